//! `/api/v2/...`

pub mod filters;
pub mod instance;
pub mod media;
pub mod notifications;
pub mod search;
pub mod suggestions;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/instance", get(instance::get))
        .route("/api/v2/notifications", get(notifications::list))
        .route(
            "/api/v2/notifications/unread_count",
            get(notifications::unread_count),
        )
        .route("/api/v2/notifications/{group_key}", get(notifications::get))
        .route(
            "/api/v2/notifications/{group_key}/accounts",
            get(notifications::accounts),
        )
        .route(
            "/api/v2/notifications/{group_key}/dismiss",
            post(notifications::dismiss),
        )
        // Filters.
        .route("/api/v2/filters", get(filters::list).post(filters::post))
        .route(
            "/api/v2/filters/{id}",
            get(filters::get).put(filters::put).delete(filters::delete),
        )
        .route(
            "/api/v2/filters/{id}/keywords",
            get(filters::keywords).post(filters::add_keyword),
        )
        .route(
            "/api/v2/filter_keywords/{id}",
            get(filters::get_keyword)
                .put(filters::put_keyword)
                .delete(filters::delete_keyword),
        )
        // Mastodon's own paths for one keyword or status entry (Mastodon.py uses them).
        .route(
            "/api/v2/filters/keywords/{id}",
            get(filters::get_keyword)
                .put(filters::put_keyword)
                .delete(filters::delete_keyword),
        )
        .route(
            "/api/v2/filters/statuses/{id}",
            get(filters::get_status).delete(filters::delete_status),
        )
        .route(
            "/api/v2/filters/{id}/statuses",
            get(filters::statuses).post(filters::add_status),
        )
        .route(
            "/api/v2/filter_statuses/{id}",
            get(filters::get_status).delete(filters::delete_status),
        )
        .route("/api/v2/media", post(media::post))
        // Search and suggestions.
        .route("/api/v2/search", get(search::get))
        .route("/api/v2/suggestions", get(suggestions::list))
}
