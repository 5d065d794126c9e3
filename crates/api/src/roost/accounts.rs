//! `POST /api/roost/v1/accounts/delete`: the signed-in user deletes their own account,
//! confirmed by their current password (as Mastodon's settings form asks). Everything
//! of theirs goes here and in every region that holds any of it; the answer is the
//! erasure record (the regions told; their acknowledgements follow).

use super::erasures::ErasureView;
use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, ClientIp, Params};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct DeleteParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    password: Option<String>,
}

pub async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    ClientIp(ip): ClientIp,
    Params(p): Params<DeleteParams>,
) -> ApiResult<Json<ErasureView>> {
    let me = auth.user("write:accounts")?;
    // A password check, as a sign-in is: one budget with the sign-ins by this name, so a
    // stolen token cannot guess the password here.
    st.roost
        .limits
        .sign_in(ip, &me.username)
        .await
        .map_err(ApiError::TooManyRequests)?;
    let erasure = st
        .roost
        .delete_own_account(me, p.password.as_deref().unwrap_or_default())
        .await?;
    Ok(Json(ErasureView::of(&erasure)))
}
