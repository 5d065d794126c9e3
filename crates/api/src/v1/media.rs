//! `/api/v1/media/...`: uploads (v1 waits for processing), and one's own uploads:
//! read (206 while processing, as Mastodon), describe, delete.

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::upload::Upload as Form;
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use roost_core::usecase::{MediaView, Upload};
use serde::Deserialize;
use std::time::Duration;

#[derive(Deserialize)]
pub struct UploadParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub focus: Option<String>,
}

/// Shared by v1 (wait until done) and v2 (wait a little, then 202).
pub(crate) async fn upload(
    st: &AppState,
    auth: &Auth,
    mut form: Form<UploadParams>,
    wait: Option<Duration>,
) -> ApiResult<(StatusCode, Json<wire::MediaAttachment>)> {
    let me = auth.user("write:media")?;
    let bytes = form
        .take("file")
        .ok_or_else(|| ApiError::Unprocessable("Validation failed: File can't be blank".into()))?;
    let view = st
        .roost
        .upload_media(
            me,
            Upload {
                bytes,
                description: form.params.description,
                focus: form.params.focus,
            },
            wait,
        )
        .await?;
    let status = if view.attachment.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(Mapper::new(&st.roost.cfg).media(&view))))
}

pub async fn post(
    State(st): State<AppState>,
    auth: Auth,
    form: Form<UploadParams>,
) -> ApiResult<(StatusCode, Json<wire::MediaAttachment>)> {
    upload(&st, &auth, form, None).await
}

fn answer(st: &AppState, v: &MediaView) -> (StatusCode, Json<wire::MediaAttachment>) {
    let status = if v.attachment.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::PARTIAL_CONTENT
    };
    (status, Json(Mapper::new(&st.roost.cfg).media(v)))
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<wire::MediaAttachment>)> {
    let me = auth.user("write:media")?;
    let v = st.roost.own_media(me, path_id(&id)?).await?;
    Ok(answer(&st, &v))
}

pub async fn put(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<UploadParams>,
) -> ApiResult<(StatusCode, Json<wire::MediaAttachment>)> {
    let me = auth.user("write:media")?;
    let v = st
        .roost
        .update_media(me, path_id(&id)?, p.description, p.focus)
        .await?;
    Ok(answer(&st, &v))
}

pub async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::MediaAttachment>> {
    let me = auth.user("write:media")?;
    let v = st.roost.delete_media(me, path_id(&id)?).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).media(&v)))
}
