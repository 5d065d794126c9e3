//! `/api/v2/instance`.

use crate::error::ApiResult;
use crate::v1::instance::{
    polls_configuration, version_string, MASTODON_API_VERSION, MAX_FEATURED_TAGS,
};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

pub async fn get(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let cfg = &st.roost.cfg;
    let stats = st.roost.instance_stats().await?;
    let streaming = cfg.base_url.replacen("http", "ws", 1);
    let (media, mime_types) = crate::v1::instance::media_config(&st);
    Ok(Json(json!({
        "domain": cfg.domain,
        "title": cfg.title,
        "version": version_string(),
        "source_url": cfg.base_url,
        "description": cfg.description,
        "usage": { "users": { "active_month": stats.active_month } },
        "thumbnail": { "url": format!("{}/static/header.png", cfg.base_url) },
        "icon": [],
        "languages": ["en", "zh"],
        "configuration": {
            "urls": { "streaming": streaming, "status": null },
            "vapid": { "public_key": "" },
            "accounts": { "max_featured_tags": MAX_FEATURED_TAGS, "max_pinned_statuses": 5 },
            "statuses": {
                "max_characters": cfg.max_status_chars,
                "max_media_attachments": media.max_attachments,
                "characters_reserved_per_url": roost_core::text::URL_CHAR_COST,
            },
            "media_attachments": {
                "supported_mime_types": mime_types,
                "description_limit": media.description_limit,
                "image_size_limit": media.image_size_limit, "image_matrix_limit": media.image_matrix_limit,
                "video_size_limit": media.video_size_limit, "video_frame_rate_limit": media.video_frame_rate_limit, "video_matrix_limit": media.video_matrix_limit,
            },
            "polls": polls_configuration(),
            "translation": { "enabled": false },
            "timelines_access": {
                "live_feeds": { "local": "public", "remote": "public" },
                "hashtag_feeds": { "local": "public", "remote": "public" },
                "trending_link_feeds": { "local": "disabled", "remote": "disabled" },
            },
        },
        "registrations": {
            "enabled": cfg.registrations_open,
            "approval_required": cfg.registrations_open && cfg.approval_required,
            // A pending sign-up must say why it wants to join (see `register`).
            "reason_required": cfg.registrations_open && cfg.approval_required,
            "message": null,
            "min_age": null,
            "url": null,
        },
        "api_versions": { "mastodon": MASTODON_API_VERSION },
        "contact": { "email": cfg.contact_email, "account": null },
        "rules": [],
        "roost": {
            "region": cfg.region,
            "region_number": cfg.region_number,
            // Served: `/api/v2/search` (full-text statuses when signed in) and the
            // region's trends (`/api/v1/trends/{tags,statuses,links}`).
            "features": {
                "full_text_search": st.roost.search_index().is_some(),
                "trends": true,
            },
        },
    })))
}
