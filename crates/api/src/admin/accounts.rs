//! `/api/v1/admin/accounts/...` and `/api/v2/admin/accounts`.

use super::{admin_account, staff, AdminAccount};
use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::paging::{bounds_of, link, PageParams, Paged};
use crate::wire::Empty;
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use roost_core::model::{AccountOrigin, AccountStanding, AdminAccountFilter, Role};
use roost_core::usecase::{AdminAction, AdminUndo};
use roost_core::Id;
use serde::Deserialize;

const READ: &str = "admin:read:accounts";
const WRITE: &str = "admin:write:accounts";

/// v1's booleans.
#[derive(Deserialize)]
pub struct V1Params {
    #[serde(default, deserialize_with = "de::bool")]
    local: bool,
    #[serde(default, deserialize_with = "de::bool")]
    remote: bool,
    #[serde(default, deserialize_with = "de::bool")]
    active: bool,
    #[serde(default, deserialize_with = "de::bool")]
    pending: bool,
    #[serde(default, deserialize_with = "de::bool")]
    disabled: bool,
    #[serde(default, deserialize_with = "de::bool")]
    silenced: bool,
    #[serde(default, deserialize_with = "de::bool")]
    suspended: bool,
    #[serde(default, deserialize_with = "de::bool")]
    staff: bool,
    #[serde(default, deserialize_with = "de::opt_string")]
    username: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

/// v2's `origin`, `status` and `permissions`.
#[derive(Deserialize)]
pub struct V2Params {
    #[serde(default, deserialize_with = "de::opt_string")]
    origin: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    permissions: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    username: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

fn standing(s: &str) -> ApiResult<AccountStanding> {
    Ok(match s {
        "active" => AccountStanding::Active,
        "pending" => AccountStanding::Pending,
        "disabled" => AccountStanding::Disabled,
        "silenced" => AccountStanding::Silenced,
        "suspended" => AccountStanding::Suspended,
        _ => {
            return Err(ApiError::Unprocessable(format!(
                "Validation failed: unknown status {s}"
            )))
        }
    })
}

pub async fn list_v1(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<V1Params>,
) -> ApiResult<Paged<Vec<AdminAccount>>> {
    let filter = AdminAccountFilter {
        origin: match (p.local, p.remote) {
            (true, false) => Some(AccountOrigin::Local),
            (false, true) => Some(AccountOrigin::Remote),
            _ => None,
        },
        standing: [
            (p.pending, AccountStanding::Pending),
            (p.disabled, AccountStanding::Disabled),
            (p.silenced, AccountStanding::Silenced),
            (p.suspended, AccountStanding::Suspended),
            (p.active, AccountStanding::Active),
        ]
        .into_iter()
        .find(|(on, _)| *on)
        .map(|(_, s)| s),
        username: p.username,
        staff: p.staff,
        local_region: String::new(),
    };
    list(st, auth, uri, filter, p.page).await
}

pub async fn list_v2(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<V2Params>,
) -> ApiResult<Paged<Vec<AdminAccount>>> {
    let filter = AdminAccountFilter {
        origin: match p.origin.as_deref().filter(|o| !o.is_empty()) {
            None => None,
            Some("local") => Some(AccountOrigin::Local),
            Some("remote") => Some(AccountOrigin::Remote),
            Some(o) => {
                return Err(ApiError::Unprocessable(format!(
                    "Validation failed: unknown origin {o}"
                )))
            }
        },
        standing: p
            .status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(standing)
            .transpose()?,
        username: p.username,
        staff: p.permissions.as_deref() == Some("staff"),
        local_region: String::new(),
    };
    list(st, auth, uri, filter, p.page).await
}

async fn list(
    st: AppState,
    auth: Auth,
    uri: Uri,
    filter: AdminAccountFilter,
    page: PageParams,
) -> ApiResult<Paged<Vec<AdminAccount>>> {
    let me = staff(&st, &auth, READ, Role::Moderator).await?;
    let rows = st.roost.admin_accounts(&me, filter, page.page()).await?;
    let bounds = bounds_of(&rows, |r| r.account.id);
    Ok(Paged(
        rows.iter().map(|r| admin_account(&st, r)).collect(),
        link(&st.roost.cfg.base_url, &uri, bounds),
    ))
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    let me = staff(&st, &auth, READ, Role::Moderator).await?;
    let row = st.roost.admin_account(&me, path_id(&id)?).await?;
    Ok(Json(admin_account(&st, &row)))
}

pub async fn approve(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    let me = staff(&st, &auth, WRITE, Role::Moderator).await?;
    let row = st.roost.admin_approve(&me, path_id(&id)?).await?;
    Ok(Json(admin_account(&st, &row)))
}

pub async fn reject(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    let me = staff(&st, &auth, WRITE, Role::Moderator).await?;
    let row = st.roost.admin_reject(&me, path_id(&id)?).await?;
    Ok(Json(admin_account(&st, &row)))
}

#[derive(Deserialize)]
pub struct ActionParams {
    #[serde(rename = "type", default, deserialize_with = "de::opt_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "de::opt_id")]
    report_id: Option<Id>,
    /// The moderator's note; roost sends no e-mail, so it is not kept yet.
    #[serde(default, deserialize_with = "de::opt_string")]
    #[allow(dead_code)]
    text: Option<String>,
}

pub async fn action(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Params(p): Params<ActionParams>,
) -> ApiResult<Json<Empty>> {
    let me = staff(&st, &auth, WRITE, Role::Moderator).await?;
    let kind = p.kind.as_deref().unwrap_or("none");
    let action = AdminAction::parse(kind).ok_or_else(|| {
        ApiError::Unprocessable(format!(
            "Validation failed: Type is not included in the list ({kind})"
        ))
    })?;
    st.roost
        .admin_act(&me, path_id(&id)?, action, p.report_id)
        .await?;
    Ok(Json(Empty {}))
}

async fn undo(st: AppState, auth: Auth, id: String, u: AdminUndo) -> ApiResult<Json<AdminAccount>> {
    let me = staff(&st, &auth, WRITE, Role::Moderator).await?;
    let row = st.roost.admin_undo(&me, path_id(&id)?, u).await?;
    Ok(Json(admin_account(&st, &row)))
}

pub async fn enable(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    undo(st, auth, id, AdminUndo::Enable).await
}

pub async fn unsilence(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    undo(st, auth, id, AdminUndo::Unsilence).await
}

pub async fn unsuspend(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    undo(st, auth, id, AdminUndo::Unsuspend).await
}

pub async fn unsensitive(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    undo(st, auth, id, AdminUndo::Unsensitive).await
}
