//! Who is looking: the session cookie (a token of the built-in web app, so signing out
//! revokes it like any API token), the CSRF token every form carries, one-shot flash
//! messages, and the limiter on sign-in attempts.

use crate::error::WebError;
use crate::WebState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use cookie::{Cookie, SameSite};
use rand::RngCore;
use roost_core::model::{Account, Role};
use roost_core::usecase::constant_eq;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "roost_session";
const CSRF_COOKIE: &str = "roost_csrf";
const FLASH_COOKIE: &str = "roost_flash";

/// The browser behind a request.
pub struct Viewer {
    pub account: Option<Account>,
    /// The signed-in user's standing with the staff (`User` when signed out), for the
    /// navigation's link to the moderators' pages; the pages themselves check again.
    pub role: Role,
    /// The raw session secret, when signed in.
    pub secret: Option<String>,
    /// The token forms must echo in their `csrf` field.
    pub csrf: String,
    /// A fresh pre-session CSRF cookie to set with the response.
    pub new_csrf_cookie: Option<String>,
    /// A message left by the previous request (e.g. a refused post), shown once.
    pub flash: Option<Flash>,
    /// The client's address, for limiting sign-in attempts (in memory only).
    pub ip: Option<std::net::IpAddr>,
    pub secure: bool,
}

#[derive(Debug, Clone)]
pub struct Flash {
    pub error: bool,
    pub text: String,
}

/// Signed in, the CSRF token is derived from the session secret, so a cookie planted by
/// a neighbouring site cannot forge it; signed out, it is a random cookie echoed by the form
/// (double submit).
fn session_csrf(secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"roost-web-csrf\n");
    h.update(secret.as_bytes());
    hex::encode(&h.finalize()[..16])
}

fn random_token() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn cookies(parts: &Parts) -> impl Iterator<Item = Cookie<'static>> + '_ {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_owned()))
        .filter_map(Result::ok)
        .map(|c| c.into_owned())
}

impl FromRequestParts<WebState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, st: &WebState) -> Result<Viewer, WebError> {
        let mut secret = None;
        let mut csrf_cookie = None;
        let mut flash = None;
        for c in cookies(parts) {
            match c.name() {
                SESSION_COOKIE if !c.value().is_empty() => secret = Some(c.value().to_string()),
                CSRF_COOKIE if c.value().len() == 32 => csrf_cookie = Some(c.value().to_string()),
                FLASH_COOKIE => flash = decode_flash(c.value()),
                _ => {}
            }
        }
        let account = match &secret {
            Some(s) => st.roost.web_session(s).await?,
            None => None,
        };
        // A stale or revoked session counts as signed out.
        let secret = secret.filter(|_| account.is_some());
        let role = match &account {
            Some(a) => st.roost.role_of(a.id).await?,
            None => Role::User,
        };
        let (csrf, new_csrf_cookie) = match (&secret, csrf_cookie) {
            (Some(s), _) => (session_csrf(s), None),
            (None, Some(c)) => (c, None),
            (None, None) => {
                let t = random_token();
                (t.clone(), Some(t))
            }
        };
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Viewer {
            account,
            role,
            secret,
            csrf,
            new_csrf_cookie,
            flash,
            ip,
            secure: st.secure_cookies,
        })
    }
}

impl Viewer {
    /// The signed-in account, or a redirect to the sign-in page that comes back here.
    pub fn require(&self, back: &str) -> Result<&Account, WebError> {
        self.account.as_ref().ok_or_else(|| WebError::SignIn {
            next: back.to_string(),
        })
    }

    /// Refuses a form whose CSRF field does not match (403, nothing changed). Every form
    /// that changes anything checks it, so a signed-in account whose move is running is
    /// refused here too.
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        if !(self.new_csrf_cookie.is_none() && constant_eq(sent, &self.csrf)) {
            return Err(WebError::Csrf);
        }
        if let Some(a) = &self.account {
            roost_core::usecase::check_not_moving(a)?;
        }
        Ok(())
    }

    /// `Set-Cookie` values every page response carries: the CSRF cookie when new, and
    /// the clearing of a flash that has now been shown.
    pub fn cookies_to_set(&self) -> Vec<HeaderValue> {
        let mut out = Vec::new();
        if let Some(t) = &self.new_csrf_cookie {
            out.push(cookie_header(
                CSRF_COOKIE,
                t,
                None,
                self.secure,
                SameSite::Strict,
            ));
        }
        if self.flash.is_some() {
            out.push(cookie_header(
                FLASH_COOKIE,
                "",
                Some(0),
                self.secure,
                SameSite::Lax,
            ));
        }
        out
    }
}

fn cookie_header(
    name: &str,
    value: &str,
    max_age_secs: Option<i64>,
    secure: bool,
    same_site: SameSite,
) -> HeaderValue {
    let mut c = Cookie::new(name.to_owned(), value.to_owned());
    c.set_path("/");
    c.set_http_only(true);
    c.set_same_site(same_site);
    c.set_secure(secure);
    if let Some(s) = max_age_secs {
        c.set_max_age(cookie::time::Duration::seconds(s));
    }
    HeaderValue::from_str(&c.to_string()).expect("cookie values are ASCII")
}

/// `Set-Cookie` opening a session. Lax, so that following a link to roost from elsewhere
/// arrives signed in, while cross-site form posts do not carry it.
pub fn session_cookie(secret: &str, secure: bool) -> (axum::http::HeaderName, HeaderValue) {
    (
        SET_COOKIE,
        cookie_header(SESSION_COOKIE, secret, None, secure, SameSite::Lax),
    )
}

pub fn clear_session_cookie(secure: bool) -> (axum::http::HeaderName, HeaderValue) {
    (
        SET_COOKIE,
        cookie_header(SESSION_COOKIE, "", Some(0), secure, SameSite::Lax),
    )
}

/// `Set-Cookie` leaving a message for the next page (after a redirect).
pub fn flash_cookie(flash: &Flash, secure: bool) -> (axum::http::HeaderName, HeaderValue) {
    let kind = if flash.error { "e" } else { "i" };
    let text: String = flash.text.chars().take(300).collect();
    let value: String =
        url::form_urlencoded::byte_serialize(format!("{kind}{text}").as_bytes()).collect();
    (
        SET_COOKIE,
        cookie_header(FLASH_COOKIE, &value, Some(60), secure, SameSite::Lax),
    )
}

fn decode_flash(raw: &str) -> Option<Flash> {
    let text: String = url::form_urlencoded::parse(format!("f={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    let mut chars = text.chars();
    let error = match chars.next()? {
        'e' => true,
        'i' => false,
        _ => return None,
    };
    let text: String = chars.collect();
    (!text.is_empty()).then_some(Flash { error, text })
}

/// A local path to go back to after a form; anything else (other sites, `//host`) is
/// replaced by `fallback`, so forms cannot be used as open redirects.
pub fn local_path(p: &str, fallback: &str) -> String {
    let ok = p.starts_with('/')
        && !p.starts_with("//")
        && !p.starts_with("/\\")
        && !p.chars().any(|c| c.is_control() || c == '\\');
    if ok {
        p.to_string()
    } else {
        fallback.to_string()
    }
}

/// A url-encoded form body; a malformed one is a 400 page, not axum's plain-text answer.
pub struct WebForm<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for WebForm<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request(req: axum::extract::Request, st: &S) -> Result<Self, WebError> {
        match axum::Form::<T>::from_request(req, st).await {
            Ok(axum::Form(v)) => Ok(WebForm(v)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(WebError::PayloadTooLarge)
            }
            Err(e) => Err(WebError::BadRequest(format!(
                "The form could not be read: {}",
                e.body_text()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_round_trips_and_local_paths_stay_local() {
        let (_, v) = flash_cookie(
            &Flash {
                error: true,
                text: "Text can't be blank; 中文 <b>".into(),
            },
            false,
        );
        let raw = v.to_str().unwrap();
        let value = raw
            .strip_prefix("roost_flash=")
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        let f = decode_flash(value).unwrap();
        assert!(f.error);
        assert_eq!(f.text, "Text can't be blank; 中文 <b>");
        assert!(decode_flash("xjunk").is_none());

        assert_eq!(local_path("/@a/1", "/"), "/@a/1");
        assert_eq!(local_path("//evil.example/x", "/"), "/");
        assert_eq!(local_path("https://evil.example", "/home"), "/home");
        assert_eq!(local_path("/\\evil.example", "/"), "/");
    }

    #[test]
    fn csrf_tokens_differ_per_session() {
        assert_ne!(session_csrf("a"), session_csrf("b"));
        assert_eq!(session_csrf("a").len(), 32);
    }
}
