//! `/api/v2/...`

pub mod instance;

use crate::AppState;
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v2/instance", get(instance::get))
}
