//! `/signup`, `/login`, `/logout`: the same accounts and passwords as the API.

use crate::error::WebError;
use crate::layout::{render, render_status, Layout};
use crate::session::{clear_session_cookie, local_path, session_cookie, Viewer, WebForm};
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use roost_core::usecase::Registration;
use roost_core::CoreError;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    error: Option<String>,
    login: String,
    next: String,
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    layout: Layout,
    open: bool,
    /// Sign-ups wait for a moderator: the form asks why the person wants to join.
    approval: bool,
    /// Signed up, waiting for approval.
    pending: bool,
    error: Option<String>,
    username: String,
    email: String,
    reason: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn login_form(
    State(st): State<WebState>,
    viewer: Viewer,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    let next = local_path(&q.next, "/home");
    if viewer.account.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    render(
        &viewer,
        &LoginPage {
            layout: Layout::new(&st, &viewer, "Log in").current("login"),
            error: None,
            login: String::new(),
            next,
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(st): State<WebState>,
    viewer: Viewer,
    WebForm(f): WebForm<LoginForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&f.csrf)?;
    st.roost
        .limits
        .sign_in(viewer.ip, &f.login)
        .await
        .map_err(|_| WebError::TooManyAttempts)?;
    let next = local_path(&f.next, "/home");
    match st.roost.web_sign_in(&f.login, &f.password).await? {
        Some(session) => Ok((
            [session_cookie(&session.secret, st.secure_cookies)],
            Redirect::to(&next),
        )
            .into_response()),
        None => render_status(
            &viewer,
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                layout: Layout::new(&st, &viewer, "Log in").current("login"),
                error: Some("Invalid username, e-mail or password.".into()),
                login: f.login,
                next,
            },
        ),
    }
}

pub async fn signup_form(State(st): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    if viewer.account.is_some() {
        return Ok(Redirect::to("/home").into_response());
    }
    render(
        &viewer,
        &SignupPage {
            layout: Layout::new(&st, &viewer, "Sign up").current("signup"),
            open: st.roost.cfg.registrations_open,
            approval: st.roost.cfg.approval_required,
            pending: false,
            error: None,
            username: String::new(),
            email: String::new(),
            reason: String::new(),
        },
    )
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    reason: String,
}

pub async fn signup(
    State(st): State<WebState>,
    viewer: Viewer,
    WebForm(f): WebForm<SignupForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&f.csrf)?;
    st.roost
        .limits
        .sign_up(viewer.ip)
        .await
        .map_err(|_| WebError::TooManyAttempts)?;
    let reg = Registration {
        username: f.username.clone(),
        email: f.email.clone(),
        password: f.password,
        // Submitting the form is the agreement; the page states the terms that matter.
        agreement: true,
        locale: None,
        ip: viewer.ip.map(|i| i.to_string()),
        reason: Some(f.reason.clone()),
    };
    let approval = st.roost.cfg.approval_required;
    match st.roost.web_register(reg).await {
        // The pending account's session does not work until a moderator approves it.
        Ok(_) if approval => render(
            &viewer,
            &SignupPage {
                layout: Layout::new(&st, &viewer, "Sign up").current("signup"),
                open: true,
                approval,
                pending: true,
                error: None,
                username: f.username,
                email: String::new(),
                reason: String::new(),
            },
        ),
        Ok(session) => Ok((
            [session_cookie(&session.secret, st.secure_cookies)],
            Redirect::to("/home"),
        )
            .into_response()),
        Err(CoreError::Validation(msg)) | Err(CoreError::Forbidden(msg)) => render_status(
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            &SignupPage {
                layout: Layout::new(&st, &viewer, "Sign up").current("signup"),
                open: st.roost.cfg.registrations_open,
                approval,
                pending: false,
                error: Some(msg),
                username: f.username,
                email: f.email,
                reason: f.reason,
            },
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(st): State<WebState>,
    viewer: Viewer,
    WebForm(f): WebForm<CsrfOnly>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&f.csrf)?;
    if let Some(secret) = &viewer.secret {
        st.roost.web_sign_out(secret).await?;
    }
    Ok(([clear_session_cookie(st.secure_cookies)], Redirect::to("/")).into_response())
}
