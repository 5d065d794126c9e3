//! `/api/v1/accounts/:id/{note,pin,unpin,featured_tags}` and
//! `/api/v1/accounts/familiar_followers`: what an account keeps about others.

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::Json;
use roost_core::Id;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct NoteParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    comment: Option<String>,
}

/// The Relationship with this account's note and endorsement filled in.
async fn relationship(st: &AppState, me: Id, target: Id) -> ApiResult<wire::Relationship> {
    let rel = st.roost.relationship(me, target).await?;
    let (notes, endorsed) = st.roost.relationship_extras(me, &[target]).await?;
    let mut out = Mapper::new(&st.roost.cfg).relationship(target, &rel);
    out.endorsed = endorsed.contains(&target);
    out.note = notes.into_iter().next().map(|(_, n)| n).unwrap_or_default();
    Ok(out)
}

pub async fn note(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<NoteParams>,
) -> ApiResult<Json<wire::Relationship>> {
    let me = auth.user("write:accounts")?;
    let target = path_id(&id)?;
    st.roost
        .set_note(me, target, p.comment.as_deref().unwrap_or_default())
        .await?;
    Ok(Json(relationship(&st, me.id, target).await?))
}

pub async fn pin(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Relationship>> {
    let me = auth.user("write:accounts")?;
    let target = path_id(&id)?;
    st.roost.set_endorsed(me, target, true).await?;
    Ok(Json(relationship(&st, me.id, target).await?))
}

pub async fn unpin(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Relationship>> {
    let me = auth.user("write:accounts")?;
    let target = path_id(&id)?;
    st.roost.set_endorsed(me, target, false).await?;
    Ok(Json(relationship(&st, me.id, target).await?))
}

pub async fn featured_tags(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<wire::FeaturedTag>>> {
    auth.viewer("read:accounts")?;
    let owner = st.roost.account(path_id(&id)?).await?;
    let tags = st.roost.featured_tags(owner.id).await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Json(
        tags.iter().map(|t| m.featured_tag(t, &owner)).collect(),
    ))
}

#[derive(Deserialize)]
pub struct IdsParams {
    #[serde(default, deserialize_with = "de::ids")]
    id: Vec<Id>,
}

#[derive(Serialize)]
pub struct FamiliarFollowers {
    id: String,
    accounts: Vec<wire::Account>,
}

pub async fn familiar_followers(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<IdsParams>,
) -> ApiResult<Json<Vec<FamiliarFollowers>>> {
    let me = auth.user("read:follows")?;
    if p.id.len() > 40 {
        return Err(ApiError::Unprocessable(
            "Validation failed: at most 40 ids".into(),
        ));
    }
    let m = Mapper::new(&st.roost.cfg);
    let mut out = Vec::with_capacity(p.id.len());
    for id in p.id {
        let accounts = st.roost.familiar_followers(me, id).await?;
        out.push(FamiliarFollowers {
            id: id.to_string(),
            accounts: m.accounts(&accounts),
        });
    }
    Ok(Json(out))
}
