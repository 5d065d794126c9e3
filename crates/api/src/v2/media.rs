//! `POST /api/v2/media`: 200 with URLs when processing ends quickly, else 202 with
//! `url: null`; the client then polls `GET /api/v1/media/:id`.

use crate::error::ApiResult;
use crate::extract::Auth;
use crate::upload::Upload as Form;
use crate::v1::media::{upload, UploadParams};
use crate::{wire, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

pub async fn post(
    State(st): State<AppState>,
    auth: Auth,
    form: Form<UploadParams>,
) -> ApiResult<(StatusCode, Json<wire::MediaAttachment>)> {
    let wait = st.media_ready_wait;
    upload(&st, &auth, form, Some(wait)).await
}
