//! `/api/v2/...`

pub mod instance;
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
        // Search and suggestions.
        .route("/api/v2/search", get(search::get))
        .route("/api/v2/suggestions", get(suggestions::list))
}
