//! roost-api: the Mastodon client API over HTTP. Handlers are grouped in files named after
//! their URLs (`v1/statuses.rs` serves `/api/v1/statuses/...`); they parse the request,
//! call one use case on [`roost_core::Roost`] and map the result to Mastodon JSON
//! ([`wire`]). Errors become HTTP in one table ([`error`]).

pub mod admin;
pub mod error;
pub mod extract;
pub mod media;
pub mod oauth;
pub mod paging;
pub mod roost;
pub mod upload;
pub mod v1;
pub mod v2;
pub mod well_known;
pub mod wire;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use error::ApiError;
use roost_core::{Id, Roost};
use std::sync::Arc;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub roost: Arc<Roost>,
    /// The region's link to the others: the gate, its ledger, the outbox.
    pub fed: Arc<roost_federation::Federation>,
    /// Largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// How long `POST /api/v2/media` waits for processing before answering 202.
    pub media_ready_wait: std::time::Duration,
}

/// Keeps a connection's slot among the server's `max_connections` taken while held. The
/// server puts one in every request's extensions; a WebSocket, which outlives its HTTP
/// connection, holds what it returns for the socket's life.
#[derive(Clone)]
pub struct Hold(pub Arc<dyn Fn() -> Box<dyn Send + Sync> + Send + Sync>);

/// Parses an ID from a path; an unparsable one is just an unknown record.
pub fn path_id(s: &str) -> Result<Id, ApiError> {
    s.parse::<Id>()
        .map_err(|_| ApiError::NotFound("Record not found".into()))
}

/// The Mastodon API routes. Callers wrap the result in a trailing-slash normaliser so that
/// `/api/v1/instance/` and `/api/v1/instance` are the same, and give the whole site one
/// fallback (unknown API paths get `{"error": "Not found"}`, see `roost_web::error`).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/static/avatar.png", get(avatar))
        .route("/static/header.png", get(avatar))
        .route("/media/{file}", get(media::public))
        .route(
            "/media/p/{media}/{variant}/{viewer}/{expires}/{sig}",
            get(media::signed),
        )
        .route(
            "/media/t/{media}/{viewer}/{expires}/{sig}",
            get(media::relay),
        )
        .route(
            "/media/t/profile/{account}/{role}/{file}",
            get(media::relay_picture),
        )
        .merge(well_known::routes())
        .merge(oauth::routes())
        .merge(v1::routes())
        .merge(v2::routes())
        .merge(roost::routes())
        .merge(admin::routes())
        .with_state(state)
}

async fn health() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// A 1x1 grey PNG stands in for avatars and headers until media uploads exist.
const PLACEHOLDER_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b,
    0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x68, 0x00, 0x00, 0x00,
    0x82, 0x00, 0x81, 0x77, 0xcd, 0x72, 0xb6, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

async fn avatar() -> impl IntoResponse {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        PLACEHOLDER_PNG,
    )
}
