//! `GET /api/roost/v1/accounts/export`: the signed-in user downloads the archive of their
//! account (Mastodon's archive layout, with roost's `residency.json`: where their data
//! is and the ledger's proofs of every transfer of it), as a ZIP attachment.

use crate::error::ApiResult;
use crate::extract::Auth;
use crate::AppState;
use axum::extract::State;
use roost_federation::archive::Archive;

pub async fn get(State(st): State<AppState>, auth: Auth) -> ApiResult<Archive> {
    let me = auth.user("read:accounts")?;
    let mut out = st.fed.archive_writer(&st.roost, me).await?;
    st.roost.export_account(me, &mut out).await?;
    Ok(out.finish().await?)
}
