//! `/api/v1/lists/...` and `GET /api/v1/accounts/:id/lists`. A list is its owner's:
//! someone else's is "Record not found".

use crate::error::ApiResult;
use crate::extract::{de, Auth, Params};
use crate::paging::{accounts_page, PageParams, Paged};
use crate::wire::{self, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use roost_core::Id;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ListParams {
    #[serde(default, deserialize_with = "de::opt_string")]
    title: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    replies_policy: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    exclusive: Option<bool>,
}

#[derive(Deserialize)]
pub struct AccountIds {
    #[serde(default, deserialize_with = "de::ids")]
    account_ids: Vec<Id>,
}

/// Most accounts one request adds or removes.
const MAX_IDS: usize = 100;

fn check_ids(ids: &[Id]) -> ApiResult<()> {
    if ids.len() > MAX_IDS {
        return Err(crate::error::ApiError::Unprocessable(format!(
            "Validation failed: at most {MAX_IDS} account_ids"
        )));
    }
    Ok(())
}

pub async fn list(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<wire::List>>> {
    let me = auth.user("read:lists")?;
    let m = Mapper::new(&st.roost.cfg);
    let lists = st.roost.lists(me.id).await?;
    Ok(Json(lists.iter().map(|l| m.list(l)).collect()))
}

pub async fn post(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<ListParams>,
) -> ApiResult<Json<wire::List>> {
    let me = auth.user("write:lists")?;
    let l = st
        .roost
        .create_list(
            me.id,
            p.title.as_deref(),
            p.replies_policy.as_deref(),
            p.exclusive,
        )
        .await?;
    Ok(Json(Mapper::new(&st.roost.cfg).list(&l)))
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::List>> {
    let me = auth.user("read:lists")?;
    let l = st.roost.list(me.id, path_id(&id)?).await?;
    Ok(Json(Mapper::new(&st.roost.cfg).list(&l)))
}

pub async fn put(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<ListParams>,
) -> ApiResult<Json<wire::List>> {
    let me = auth.user("write:lists")?;
    let l = st
        .roost
        .update_list(
            me.id,
            path_id(&id)?,
            p.title.as_deref(),
            p.replies_policy.as_deref(),
            p.exclusive,
        )
        .await?;
    Ok(Json(Mapper::new(&st.roost.cfg).list(&l)))
}

pub async fn delete(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<wire::Empty>> {
    let me = auth.user("write:lists")?;
    st.roost.delete_list(me.id, path_id(&id)?).await?;
    Ok(Json(wire::Empty {}))
}

/// `GET /api/v1/lists/:id/accounts`: paged (`limit=0`: all of them).
pub async fn accounts(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Path(id): Path<String>,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Account>>> {
    let me = auth.user("read:lists")?;
    let mut page = p.page();
    // Mastodon's default here is 40.
    page.limit = p.limit.unwrap_or(40);
    let got = st.roost.list_members(me.id, path_id(&id)?, page).await?;
    Ok(accounts_page(&st, &uri, got))
}

pub async fn add_accounts(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<AccountIds>,
) -> ApiResult<Json<wire::Empty>> {
    let me = auth.user("write:lists")?;
    check_ids(&p.account_ids)?;
    st.roost
        .add_list_accounts(me.id, path_id(&id)?, &p.account_ids)
        .await?;
    Ok(Json(wire::Empty {}))
}

pub async fn remove_accounts(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<AccountIds>,
) -> ApiResult<Json<wire::Empty>> {
    let me = auth.user("write:lists")?;
    check_ids(&p.account_ids)?;
    st.roost
        .remove_list_accounts(me.id, path_id(&id)?, &p.account_ids)
        .await?;
    Ok(Json(wire::Empty {}))
}

/// `GET /api/v1/accounts/:id/lists`: the caller's lists holding that account.
pub async fn of_account(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<wire::List>>> {
    let me = auth.user("read:lists")?;
    let lists = st.roost.lists_with(me.id, path_id(&id)?).await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(Json(lists.iter().map(|l| m.list(l)).collect()))
}
