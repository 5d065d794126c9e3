//! `GET/POST /oauth/authorize`: the sign-in and consent page of the authorization-code flow.

use crate::error::ApiResult;
use crate::extract::{de, ClientIp, Params};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use roost_core::usecase::OAuthError;
use serde::Deserialize;

const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

#[derive(Deserialize, Default)]
pub struct AuthorizeParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    response_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    client_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    redirect_uri: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    scope: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    state: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    code_challenge: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    code_challenge_method: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    username: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    password: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    decision: Option<String>,
}

#[derive(Template)]
#[template(path = "oauth_authorize.html")]
struct Page<'a> {
    title: &'a str,
    app_name: &'a str,
    scopes: Vec<String>,
    client_id: &'a str,
    redirect_uri: &'a str,
    scope: &'a str,
    state: &'a str,
    code_challenge: &'a str,
    code_challenge_method: &'a str,
    error: Option<String>,
    fatal: Option<String>,
    code: Option<String>,
}

fn render(status: StatusCode, page: Page<'_>) -> Response {
    match page.render() {
        Ok(html) => (
            status,
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::X_FRAME_OPTIONS, "DENY"),
            ],
            Html(html),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn fatal(title: &str, e: OAuthError) -> Response {
    render(
        StatusCode::BAD_REQUEST,
        Page {
            title,
            app_name: "",
            scopes: vec![],
            client_id: "",
            redirect_uri: "",
            scope: "",
            state: "",
            code_challenge: "",
            code_challenge_method: "",
            error: None,
            fatal: Some(e.description),
            code: None,
        },
    )
}

/// A 303 to the app's redirect URI. Apps registered before redirect URIs were validated
/// may hold one that is no header value: that is the app's error (400), not a panic.
fn redirect_to(uri: &str) -> ApiResult<axum::response::Response> {
    let value = axum::http::HeaderValue::from_str(uri).map_err(|_| {
        crate::error::ApiError::BadRequest("The redirect URI of this app is not valid.".into())
    })?;
    Ok((
        axum::http::StatusCode::SEE_OTHER,
        [(axum::http::header::LOCATION, value)],
    )
        .into_response())
}

/// Appends query parameters to a redirect URI that may already have a query.
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", ser.finish())
}

/// Validates the request; on success the app, its scopes and the normalised parameters.
async fn check(
    st: &AppState,
    p: &AuthorizeParams,
) -> ApiResult<Result<(roost_core::model::App, roost_core::usecase::scopes::Scopes), OAuthError>> {
    if p.response_type.as_deref().unwrap_or("code") != "code" {
        return Ok(Err(OAuthError {
            error: "unsupported_response_type",
            description: "Only response_type=code is supported.".into(),
        }));
    }
    if let Some(m) = p.code_challenge_method.as_deref().filter(|m| !m.is_empty()) {
        if m != "S256" {
            return Ok(Err(OAuthError {
                error: "invalid_request",
                description: "Only the S256 code challenge method is supported.".into(),
            }));
        }
    }
    let client_id = p.client_id.as_deref().unwrap_or("");
    let redirect = p.redirect_uri.as_deref().unwrap_or("");
    Ok(st
        .roost
        .check_authorize_request(
            client_id,
            redirect,
            p.scope.as_deref().filter(|s| !s.is_empty()),
        )
        .await?)
}

pub async fn get(
    State(st): State<AppState>,
    Params(p): Params<AuthorizeParams>,
) -> ApiResult<Response> {
    let title = st.roost.cfg.title.clone();
    let (app, scopes) = match check(&st, &p).await? {
        Ok(ok) => ok,
        Err(e) => return Ok(fatal(&title, e)),
    };
    Ok(form(&title, &app.name, &scopes, &p, None, StatusCode::OK))
}

fn form(
    title: &str,
    app_name: &str,
    scopes: &roost_core::usecase::scopes::Scopes,
    p: &AuthorizeParams,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let scope = scopes.as_string();
    render(
        status,
        Page {
            title,
            app_name,
            scopes: scopes.iter().map(String::from).collect(),
            client_id: p.client_id.as_deref().unwrap_or(""),
            redirect_uri: p.redirect_uri.as_deref().unwrap_or(""),
            scope: &scope,
            state: p.state.as_deref().unwrap_or(""),
            code_challenge: p.code_challenge.as_deref().unwrap_or(""),
            code_challenge_method: p.code_challenge_method.as_deref().unwrap_or(""),
            error,
            fatal: None,
            code: None,
        },
    )
}

pub async fn post(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    Params(p): Params<AuthorizeParams>,
) -> ApiResult<Response> {
    let title = st.roost.cfg.title.clone();
    let (app, scopes) = match check(&st, &p).await? {
        Ok(ok) => ok,
        Err(e) => return Ok(fatal(&title, e)),
    };
    let redirect_uri = p.redirect_uri.clone().unwrap_or_default();
    let state = p.state.clone().unwrap_or_default();
    if p.decision.as_deref() == Some("deny") {
        if redirect_uri == OOB {
            return Ok(fatal(
                &title,
                OAuthError {
                    error: "access_denied",
                    description: "You denied the request.".into(),
                },
            ));
        }
        let mut pairs = vec![
            ("error", "access_denied"),
            (
                "error_description",
                "The resource owner denied the request.",
            ),
        ];
        if !state.is_empty() {
            pairs.push(("state", &state));
        }
        return redirect_to(&with_query(&redirect_uri, &pairs));
    }
    let login = p.username.as_deref().unwrap_or("");
    let password = p.password.as_deref().unwrap_or("");
    // The sign-in form is a page: over the limit it is shown again with a 429.
    if st.roost.limits.sign_in(ip, login).await.is_err() {
        return Ok(form(
            &title,
            &app.name,
            &scopes,
            &p,
            Some("Too many attempts in a short time. Wait a minute and try again.".into()),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let Some(account) = st.roost.check_password(login, password).await? else {
        return Ok(form(
            &title,
            &app.name,
            &scopes,
            &p,
            Some("Invalid username or password.".into()),
            StatusCode::UNAUTHORIZED,
        ));
    };
    let challenge = p.code_challenge.clone().filter(|c| !c.is_empty());
    let method = challenge.as_ref().map(|_| "S256".to_string());
    let code = st
        .roost
        .create_auth_code(&app, &account, &redirect_uri, &scopes, challenge, method)
        .await?;
    if redirect_uri == OOB {
        let scope = scopes.as_string();
        return Ok(render(
            StatusCode::OK,
            Page {
                title: &title,
                app_name: &app.name,
                scopes: vec![],
                client_id: "",
                redirect_uri: "",
                scope: &scope,
                state: "",
                code_challenge: "",
                code_challenge_method: "",
                error: None,
                fatal: None,
                code: Some(code),
            },
        ));
    }
    let mut pairs = vec![("code", code.as_str())];
    if !state.is_empty() {
        pairs.push(("state", &state));
    }
    redirect_to(&with_query(&redirect_uri, &pairs))
}
