//! API errors and the one table that maps them to HTTP. The full error chain goes to the
//! log; the client gets Mastodon's `{"error": "..."}` with only safe text.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use roost_core::error::chain;
use roost_core::usecase::OAuthError;
use roost_core::CoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The body or query could not be parsed at all.
    #[error("{0}")]
    BadRequest(String),
    /// Parsed, but a field is missing or has the wrong type.
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error("rate limited")]
    TooManyRequests(roost_core::limits::Limited),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn invalid_token() -> ApiError {
        ApiError::Unauthorized("The access token is invalid".into())
    }

    /// The status code and the client-safe text, for transports that report errors
    /// inside a connection (a WebSocket message) rather than as a response.
    pub fn status_and_text(&self) -> (u16, String) {
        let (code, text) = self.status_and_message();
        (code.as_u16(), text)
    }

    fn status_and_message(&self) -> (StatusCode, String) {
        use ApiError as A;
        use CoreError as C;
        match self {
            A::Core(C::NotFound(_)) => (StatusCode::NOT_FOUND, "Record not found".into()),
            A::Core(C::Validation(m)) => (StatusCode::UNPROCESSABLE_ENTITY, m.clone()),
            A::Core(C::Unauthorized(m)) => (StatusCode::UNAUTHORIZED, m.clone()),
            A::Core(C::Forbidden(m)) => (StatusCode::FORBIDDEN, m.clone()),
            A::Core(C::Conflict(m)) => (StatusCode::CONFLICT, m.clone()),
            // Mastodon has no residency errors; 403 with the rule named is the closest.
            A::Core(C::PolicyDenied(m)) => (StatusCode::FORBIDDEN, m.clone()),
            A::Core(C::Unavailable(m)) => (StatusCode::BAD_GATEWAY, m.clone()),
            A::Core(C::NotNow(m)) => (StatusCode::SERVICE_UNAVAILABLE, m.clone()),
            A::Core(C::TooLarge(m)) => (StatusCode::PAYLOAD_TOO_LARGE, m.clone()),
            // The record's account moved: where it lives now (`Location`, `moved_to`).
            A::Core(C::Moved(f)) => (
                StatusCode::PERMANENT_REDIRECT,
                format!("This record has moved to region {}", f.region),
            ),
            A::Core(C::Store(_)) | A::Core(C::Internal(_)) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error".into(),
            ),
            A::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            A::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, m.clone()),
            A::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m.clone()),
            A::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
            A::NotFound(m) => (StatusCode::NOT_FOUND, m.clone()),
            A::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request body is too large".into(),
            ),
            A::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported content type: send JSON, form-encoded or multipart data".into(),
            ),
            A::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "Too many requests".into()),
            A::OAuth(e) => {
                // Mastodon (Doorkeeper) answers 403 to revoking another client's token.
                let status = match e.error {
                    "invalid_client" => StatusCode::UNAUTHORIZED,
                    "unauthorized_client" => StatusCode::FORBIDDEN,
                    _ => StatusCode::BAD_REQUEST,
                };
                (status, e.error.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = self.status_and_message();
        if status.is_server_error() {
            tracing::error!(error = %chain(&self), "request failed");
        } else {
            tracing::debug!(error = %chain(&self), status = status.as_u16(), "request rejected");
        }
        let body = match &self {
            ApiError::OAuth(e) => {
                serde_json::json!({ "error": message, "error_description": e.description })
            }
            ApiError::Core(CoreError::Moved(f)) => serde_json::json!({
                "error": message,
                "moved_to": { "region": f.region, "id": f.new_id.to_string(), "url": moved_url(f) },
            }),
            _ => serde_json::json!({ "error": message }),
        };
        let mut resp = (status, Json(body)).into_response();
        if let ApiError::Core(CoreError::Moved(f)) = &self {
            if let Ok(v) = axum::http::HeaderValue::from_str(&moved_url(f)) {
                resp.headers_mut().insert(axum::http::header::LOCATION, v);
            }
        }
        if let ApiError::TooManyRequests(l) = &self {
            rate_limit_headers(resp.headers_mut(), l);
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static(
                    "Bearer realm=\"roost\", error=\"invalid_token\"",
                ),
            );
        }
        resp
    }
}

/// The moved record on its new home's API.
fn moved_url(f: &roost_core::model::Forward) -> String {
    let kind = if f.status { "statuses" } else { "accounts" };
    format!("{}/api/v1/{kind}/{}", f.base_url, f.new_id)
}

/// Mastodon's rate-limit headers: the limit, what is left (nothing) and when the next
/// attempt is allowed, as an ISO 8601 time; `Retry-After` for generic HTTP clients.
fn rate_limit_headers(h: &mut axum::http::HeaderMap, l: &roost_core::limits::Limited) {
    use axum::http::HeaderValue;
    let secs = l.retry_after.as_secs() + u64::from(l.retry_after.subsec_nanos() > 0);
    let reset = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(secs as i64))
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let pairs = [
        ("x-ratelimit-limit", l.limit.to_string()),
        ("x-ratelimit-remaining", "0".to_string()),
        (
            "x-ratelimit-reset",
            reset.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        ),
        ("retry-after", secs.to_string()),
    ];
    for (k, v) in pairs {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
}
