//! `/api/v2/instance`.

use crate::error::ApiResult;
use crate::v1::instance::{version_string, MASTODON_API_VERSION};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

pub async fn get(State(st): State<AppState>) -> ApiResult<Json<Value>> {
    let cfg = &st.roost.cfg;
    let stats = st.roost.instance_stats().await?;
    let streaming = cfg.base_url.replacen("http", "ws", 1);
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
            "accounts": { "max_featured_tags": 0, "max_pinned_statuses": 5 },
            "statuses": {
                "max_characters": cfg.max_status_chars,
                "max_media_attachments": 0,
                "characters_reserved_per_url": roost_core::text::URL_CHAR_COST,
            },
            "media_attachments": {
                "supported_mime_types": [],
                "description_limit": 1500,
                "image_size_limit": 0, "image_matrix_limit": 0,
                "video_size_limit": 0, "video_frame_rate_limit": 0, "video_matrix_limit": 0,
            },
            "polls": { "max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0 },
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
