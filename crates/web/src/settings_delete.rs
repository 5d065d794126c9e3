//! `POST /settings/delete`: the signed-in user deletes their account from the settings
//! page, confirmed by their current password (the same use case as the API's
//! `accounts/delete`). Signed out afterwards: the session went with the account.

use crate::error::WebError;
use crate::session::{clear_session_cookie, Viewer, WebForm};
use crate::statuses::back_with;
use crate::WebState;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

pub async fn post(
    State(st): State<WebState>,
    viewer: Viewer,
    WebForm(f): WebForm<DeleteForm>,
) -> Result<Response, WebError> {
    let me = viewer.require("/settings/profile")?;
    viewer.check_csrf(&f.csrf)?;
    // Counted as a sign-in: a session left open must not let anyone guess the password.
    st.roost
        .limits
        .sign_in(viewer.ip, &me.username)
        .await
        .map_err(|_| WebError::TooManyAttempts)?;
    match st.roost.delete_own_account(me, &f.password).await {
        Ok(_) => Ok(([clear_session_cookie(st.secure_cookies)], Redirect::to("/")).into_response()),
        Err(e) => back_with(&viewer, Err(e), "/settings/profile").map(IntoResponse::into_response),
    }
}
