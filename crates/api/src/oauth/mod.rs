//! `/oauth/authorize`, `/oauth/token`, `/oauth/revoke`.

pub mod authorize;
pub mod revoke;
pub mod token;

use crate::AppState;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/oauth/authorize",
            get(authorize::get).post(authorize::post),
        )
        .route("/oauth/token", post(token::post))
        .route("/oauth/revoke", post(revoke::post))
}

/// Client credentials from HTTP Basic (RFC 6749 §2.3.1), if sent that way.
pub(crate) fn basic_client(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let s = String::from_utf8(decoded).ok()?;
    let (id, secret) = s.split_once(':')?;
    let unescape = |x: &str| {
        url::form_urlencoded::parse(format!("v={x}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}
