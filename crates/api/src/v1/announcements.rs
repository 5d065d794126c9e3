//! `/api/v1/announcements/...`. roost has no announcements yet (no way to write one), so
//! the list is empty and every announcement ID is unknown (404), as Mastodon answers for
//! an ID it does not have.

use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::Value;

pub async fn list(State(_st): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<Value>>> {
    auth.user("read")?;
    Ok(Json(Vec::new()))
}

fn unknown() -> ApiError {
    ApiError::NotFound("Record not found".into())
}

pub async fn dismiss(auth: Auth, Path(_id): Path<String>) -> ApiResult<Json<Value>> {
    auth.user("write:accounts")?;
    Err(unknown())
}

pub async fn reaction(
    auth: Auth,
    Path((_id, _name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    auth.user("write:favourites")?;
    Err(unknown())
}
