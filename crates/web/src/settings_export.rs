//! `GET /settings/export`: the settings page's "Download your archive" — the same use
//! case and ZIP as the API's `accounts/export`, for the signed-in session. A GET: it
//! changes nothing, and another site that links here only makes the user download
//! their own archive, which it cannot read.

use crate::error::WebError;
use crate::session::Viewer;
use crate::WebState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

pub async fn get(State(st): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let me = viewer.require("/settings/profile")?;
    let mut out = st.fed.archive_writer(&st.roost, me).await?;
    st.roost.export_account(me, &mut out).await?;
    Ok(out.finish().await?.into_response())
}
