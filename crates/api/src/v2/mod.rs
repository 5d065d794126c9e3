//! `/api/v2/...`

pub mod instance;
pub mod media;
pub mod notifications;

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
        .route("/api/v2/media", post(media::post))
}
