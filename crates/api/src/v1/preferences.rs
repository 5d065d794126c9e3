//! `/api/v1/preferences`

use crate::error::ApiResult;
use crate::extract::Auth;
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::extract::State;
use axum::Json;

pub async fn get(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<wire::Preferences>> {
    let me = auth.user("read:accounts")?;
    let d = st.roost.posting_defaults(me).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).preferences(&d)))
}
