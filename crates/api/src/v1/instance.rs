//! `/api/v1/instance` (and the small lists clients fetch next to it).

use crate::error::ApiResult;
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
            "accounts": { "max_featured_tags": 0 },
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
            "polls": { "max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0 },
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

pub async fn custom_emojis() -> Json<Vec<Value>> {
    Json(Vec::new())
}
