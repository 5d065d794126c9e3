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

/// A password check, as a sign-in is: one budget with the sign-ins by this name, so a
/// stolen token cannot guess the password through these routes.
async fn password_budget(
    st: &AppState,
    ip: Option<std::net::IpAddr>,
    username: &str,
) -> ApiResult<()> {
    st.roost
        .limits
        .sign_in(ip, username)
        .await
        .map_err(ApiError::TooManyRequests)
}

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
    password_budget(&st, ip, &me.username).await?;
    let erasure = st
        .roost
        .delete_own_account(me, p.password.as_deref().unwrap_or_default())
        .await?;
    Ok(Json(ErasureView::of(&erasure)))
}

#[derive(Deserialize)]
pub struct MoveParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    password: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    region: Option<String>,
}

/// Where the account lives now.
#[derive(serde::Serialize)]
pub struct MovedView {
    region: String,
    id: String,
    /// The account at its new home, on that region's API.
    url: String,
}

/// `POST /api/roost/v1/accounts/move`: the signed-in user moves their account, with
/// everything of it, to another region of the cluster (their current password confirms
/// it). Afterwards it lives only there; here its old IDs forward.
pub async fn move_home(
    State(st): State<AppState>,
    auth: Auth,
    ClientIp(ip): ClientIp,
    Params(p): Params<MoveParams>,
) -> ApiResult<Json<MovedView>> {
    let me = auth.user("write:accounts")?;
    password_budget(&st, ip, &me.username).await?;
    let f = st
        .roost
        .move_own_account(
            me,
            p.password.as_deref().unwrap_or_default(),
            p.region.as_deref().unwrap_or_default(),
        )
        .await?;
    let base = st
        .roost
        .cfg
        .cluster
        .region(&f.region)
        .map(|r| r.base_url.clone())
        .unwrap_or_default();
    Ok(Json(MovedView {
        url: format!("{base}/api/v1/accounts/{}", f.new_id),
        region: f.region,
        id: f.new_id.to_string(),
    }))
}
