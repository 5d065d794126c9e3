//! `/api/v1/instance` (and the small lists clients fetch next to it).

use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

/// The Mastodon version whose API roost implements; clients gate features on it.
pub const MASTODON_VERSION: &str = "4.5.0";
/// `api_versions.mastodon` of that release.
pub const MASTODON_API_VERSION: u32 = 7;

pub fn version_string() -> String {
    format!(
        "{MASTODON_VERSION} (compatible; roost {})",
        env!("CARGO_PKG_VERSION")
    )
}

/// Mastodon's limit, kept by `Roost::feature_tag`.
pub const MAX_FEATURED_TAGS: u32 = 10;

/// `configuration.polls`: the limits `PollRequest::validate` keeps.
pub fn polls_configuration() -> Value {
    use roost_core::usecase::polls::*;
    json!({
        "max_options": POLL_MAX_OPTIONS,
        "max_characters_per_option": POLL_MAX_CHARS_PER_OPTION,
        "min_expiration": POLL_MIN_EXPIRATION,
        "max_expiration": POLL_MAX_EXPIRATION,
    })
}

/// The media limits in force and the types accepted (all zero and none where uploads are
/// not set up, so nothing is advertised that does not work).
pub(crate) fn media_config(
    st: &AppState,
) -> (roost_core::media::MediaLimits, &'static [&'static str]) {
    match st.roost.media_limits() {
        Some(l) => (*l, roost_core::media::SUPPORTED_MIME_TYPES),
        None => (
            roost_core::media::MediaLimits {
                image_size_limit: 0,
                image_matrix_limit: 0,
                video_size_limit: 0,
                video_matrix_limit: 0,
                video_frame_rate_limit: 0,
                max_attachments: 0,
                ..Default::default()
            },
            &[],
        ),
    }
}

pub async fn get(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let cfg = &st.roost.cfg;
    let stats = st.roost.instance_stats().await?;
    let streaming = cfg.base_url.replacen("http", "ws", 1);
    let (media, mime_types) = media_config(&st);
    Ok(Json(json!({
        "uri": cfg.domain,
        "title": cfg.title,
        "short_description": cfg.description,
        "description": cfg.description,
        "email": cfg.contact_email,
        "version": version_string(),
        "urls": { "streaming_api": streaming },
        "stats": { "user_count": stats.user_count, "status_count": stats.status_count, "domain_count": 0 },
        "thumbnail": format!("{}/static/header.png", cfg.base_url),
        "languages": ["en", "zh"],
        "registrations": cfg.registrations_open,
        "approval_required": cfg.registrations_open && cfg.approval_required,
        "invites_enabled": false,
        "configuration": {
            "accounts": { "max_featured_tags": MAX_FEATURED_TAGS },
            "statuses": {
                "max_characters": cfg.max_status_chars,
                "max_media_attachments": media.max_attachments,
                "characters_reserved_per_url": roost_core::text::URL_CHAR_COST,
            },
            "media_attachments": {
                "supported_mime_types": mime_types,
                "image_size_limit": media.image_size_limit, "image_matrix_limit": media.image_matrix_limit,
                "video_size_limit": media.video_size_limit, "video_frame_rate_limit": media.video_frame_rate_limit, "video_matrix_limit": media.video_matrix_limit,
                "description_limit": media.description_limit,
            },
            "polls": polls_configuration(),
        },
        "contact_account": null,
        "rules": [],
        "roost": { "region": cfg.region },
    })))
}

pub async fn peers() -> Json<Vec<String>> {
    Json(Vec::new())
}

pub async fn rules() -> Json<Vec<Value>> {
    Json(Vec::new())
}

pub async fn extended_description(State(st): State<AppState>) -> Json<Value> {
    Json(json!({
        "updated_at": started_at(),
        "content": st.roost.cfg.extended_description,
    }))
}

pub async fn privacy_policy(State(st): State<AppState>) -> Json<Value> {
    Json(json!({
        "updated_at": started_at(),
        "content": st.roost.cfg.privacy_policy,
    }))
}

/// 404 when no terms are configured, as Mastodon answers then.
pub async fn terms_of_service(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let content = st
        .roost
        .cfg
        .terms_of_service
        .clone()
        .ok_or_else(|| ApiError::NotFound("Record not found".into()))?;
    Ok(Json(json!({
        "effective_date": &started_at()[..10],
        "effective": true,
        "content": content,
        "succeeded_by": null,
    })))
}

/// The config's texts change only with a restart, so they date from the process start.
fn started_at() -> String {
    static AT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    AT.get_or_init(|| crate::wire::datetime(jiff::Timestamp::now()))
        .clone()
}

/// The last twelve weeks, this one first; counts are strings, as Mastodon's.
pub async fn activity(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let weeks = st.roost.weekly_activity(12).await?;
    Ok(Json(Value::Array(
        weeks
            .into_iter()
            .map(|(week, statuses, logins, registrations)| {
                json!({
                    "week": week.as_second().to_string(),
                    "statuses": statuses.to_string(),
                    "logins": logins.to_string(),
                    "registrations": registrations.to_string(),
                })
            })
            .collect(),
    )))
}

/// Languages a post may be tagged with (ISO 639-1), as Mastodon's list names them.
const LANGUAGES: &[(&str, &str)] = &[
    ("ar", "Arabic"),
    ("bn", "Bengali"),
    ("de", "German"),
    ("en", "English"),
    ("es", "Spanish"),
    ("fil", "Filipino"),
    ("fr", "French"),
    ("hi", "Hindi"),
    ("id", "Indonesian"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("ms", "Malay"),
    ("pt", "Portuguese"),
    ("ru", "Russian"),
    ("ta", "Tamil"),
    ("th", "Thai"),
    ("tl", "Tagalog"),
    ("tr", "Turkish"),
    ("vi", "Vietnamese"),
    ("zh", "Chinese"),
];

pub async fn languages() -> Json<Value> {
    Json(Value::Array(
        LANGUAGES
            .iter()
            .map(|(code, name)| json!({ "code": code, "name": name }))
            .collect(),
    ))
}

/// roost translates nothing: no pairs (and the instance documents say translation is off).
pub async fn translation_languages() -> Json<Value> {
    Json(json!({}))
}
