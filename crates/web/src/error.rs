//! Errors of the pages, each a friendly HTML page with the right status — the one table
//! from use-case errors to what a browser sees. The full chain goes to the log; the page
//! shows only safe text.

use crate::layout::Layout;
use askama::Template;
use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use roost_core::CoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    /// The page needs a signed-in user: go and sign in, then come back to `next`.
    #[error("sign-in required")]
    SignIn { next: String },
    #[error("bad CSRF token")]
    Csrf,
    #[error("too many attempts")]
    TooManyAttempts,
    #[error("{0}")]
    BadRequest(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
    /// Set when the page is about the residency policy.
    residency: bool,
}

pub fn error_page(status: StatusCode, heading: &str, message: &str, residency: bool) -> Response {
    let page = ErrorPage {
        layout: Layout::bare(heading),
        heading: heading.to_string(),
        message: message.to_string(),
        residency,
    };
    let headers = [(header::CACHE_CONTROL, "no-store")];
    match page.render() {
        Ok(html) => {
            crate::layout::with_page_headers((status, headers, Html(html)).into_response(), None)
        }
        Err(e) => {
            tracing::error!(error = %e, "error page template failed");
            (status, headers, heading.to_string()).into_response()
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, heading, message, residency) = match &self {
            WebError::NotFound | WebError::Core(CoreError::NotFound(_)) => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or it is not visible to you.".to_string(),
                false,
            ),
            WebError::SignIn { next } => {
                let mut q = url::form_urlencoded::Serializer::new(String::new());
                q.append_pair("next", next);
                return Redirect::to(&format!("/login?{}", q.finish())).into_response();
            }
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "Forbidden",
                "This form has expired or did not come from this site. Go back, reload the page and try again.".into(),
                false,
            ),
            WebError::TooManyAttempts => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                "Too many attempts in a short time. Wait a minute and try again.".into(),
                false,
            ),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m.clone(), false),
            WebError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too large",
                "What you sent is too large for this form.".into(),
                false,
            ),
            WebError::Core(CoreError::TooLarge(m)) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "Too large", m.clone(), false)
            }
            WebError::Core(CoreError::Validation(m)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Cannot do that",
                m.clone(),
                false,
            ),
            WebError::Core(CoreError::Unauthorized(_)) => (
                StatusCode::UNAUTHORIZED,
                "Sign in",
                "Please sign in again.".into(),
                false,
            ),
            WebError::Core(CoreError::Forbidden(m)) => {
                (StatusCode::FORBIDDEN, "Forbidden", m.clone(), false)
            }
            WebError::Core(CoreError::PolicyDenied(m)) => (
                StatusCode::FORBIDDEN,
                "Withheld by the residency policy",
                m.clone(),
                true,
            ),
            WebError::Core(CoreError::Conflict(m)) => {
                (StatusCode::CONFLICT, "Cannot do that", m.clone(), false)
            }
            WebError::Core(CoreError::Unavailable(_)) => (
                StatusCode::BAD_GATEWAY,
                "Another region did not answer",
                "The region this belongs to could not be reached. Try again in a moment.".into(),
                false,
            ),
            WebError::Core(CoreError::NotNow(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Not right now",
                "This server cannot take that just now. Try again in a moment.".into(),
                false,
            ),
            WebError::Core(CoreError::Moved(f)) if f.status => {
                let to = format!("{}/statuses/{}", f.base_url, f.new_id);
                return (
                    StatusCode::PERMANENT_REDIRECT,
                    [(axum::http::header::LOCATION, to)],
                )
                    .into_response();
            }
            WebError::Core(CoreError::Moved(f)) => (
                StatusCode::GONE,
                "Moved",
                format!("This account moved to region {}.", f.region),
                false,
            ),
            WebError::Core(CoreError::Store(_) | CoreError::Internal(_))
            | WebError::Template(_) => {
                tracing::error!(error = %roost_core::error::chain(&self), "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side. It has been logged; try again later."
                        .into(),
                    false,
                )
            }
        };
        if status.is_client_error() {
            tracing::debug!(error = %roost_core::error::chain(&self), %status, "page refused");
        }
        error_page(status, heading, &message, residency)
    }
}

/// Paths under these prefixes belong to the machine interfaces, whose errors are JSON.
const API_PREFIXES: [&str; 6] = [
    "/api/",
    "/oauth/",
    "/ap/",
    "/.well-known/",
    "/nodeinfo",
    "/health",
];

fn is_api_path(path: &str) -> bool {
    API_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// What an unknown path gets: the API's JSON error under machine prefixes, a friendly
/// page everywhere else. Used as the whole site's fallback.
pub fn not_found(path: &str) -> Response {
    if is_api_path(path) {
        (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({ "error": "Not found" })),
        )
            .into_response()
    } else {
        WebError::NotFound.into_response()
    }
}

pub async fn fallback(uri: Uri) -> Response {
    not_found(uri.path())
}

/// A known path with a method it does not serve: 405, as JSON on API paths (axum's default
/// has an empty body) and as a page elsewhere.
pub async fn method_not_allowed(uri: Uri) -> Response {
    if is_api_path(uri.path()) {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            axum::Json(serde_json::json!({ "error": "Method not allowed" })),
        )
            .into_response()
    } else {
        error_page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "This page cannot be used that way.",
            false,
        )
    }
}

/// Error bodies keep the convention of the path they answer, whatever produced them: an
/// extractor's plain-text rejection, a body-limit 413, a panic. Under the machine
/// prefixes every error is `{"error": ...}` (the OAuth consent page may answer HTML);
/// elsewhere every error is a page. Bodies already in the right form pass unchanged.
pub async fn error_shape(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path().to_string();
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let ctype = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_json = ctype.starts_with("application/json") || ctype.contains("+json");
    let is_html = ctype.starts_with("text/html");
    let api = is_api_path(&path);
    if (api && (is_json || (is_html && path.starts_with("/oauth/authorize")))) || (!api && is_html)
    {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    // A rejection's own text is safe and says more than the status; keep a short one.
    let text = if ctype.starts_with("text/plain") {
        axum::body::to_bytes(body, 1024)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    } else {
        None
    };
    let reason = status.canonical_reason().unwrap_or("Error").to_string();
    let message = text.unwrap_or_else(|| reason.clone());
    let mut fixed = if api {
        (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
    } else {
        error_page(status, &reason, &message, false)
    };
    for name in parts.headers.keys() {
        if name == header::CONTENT_TYPE || name == header::CONTENT_LENGTH {
            continue;
        }
        fixed.headers_mut().remove(name);
        for value in parts.headers.get_all(name) {
            fixed.headers_mut().append(name.clone(), value.clone());
        }
    }
    fixed
}
