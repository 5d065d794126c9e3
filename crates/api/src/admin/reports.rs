//! `/api/v1/admin/reports/...`.

use super::{admin_account, staff, AdminAccount};
use crate::error::ApiResult;
use crate::extract::{de, Auth, Params};
use crate::paging::{bounds_of, link, PageParams, Paged};
use crate::wire::{self, datetime, Mapper};
use crate::{path_id, AppState};
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use roost_core::model::{Report, ReportFilter, Role};
use roost_core::usecase::{ReportChange, Staff};
use roost_core::Id;
use serde::{Deserialize, Serialize};

const READ: &str = "admin:read:reports";
const WRITE: &str = "admin:write:reports";

/// Mastodon's Admin::Report entity.
#[derive(Serialize)]
pub struct AdminReport {
    pub id: String,
    pub action_taken: bool,
    pub action_taken_at: Option<String>,
    pub category: &'static str,
    pub comment: String,
    pub forwarded: bool,
    pub created_at: String,
    pub updated_at: String,
    /// None for a report another region forwarded: the reporter is never sent.
    pub account: Option<AdminAccount>,
    pub target_account: Option<AdminAccount>,
    pub assigned_account: Option<AdminAccount>,
    pub action_taken_by_account: Option<AdminAccount>,
    pub statuses: Vec<wire::Status>,
    pub rules: Vec<wire::Empty>,
    pub roost: ReportExt,
}

/// roost's extension: which region's moderators forwarded the report, if any.
#[derive(Serialize)]
pub struct ReportExt {
    pub origin_region: Option<String>,
}

/// The wire reports, with one account read and one status read for the whole page.
async fn admin_reports(
    st: &AppState,
    staff: &Staff,
    reports: &[Report],
) -> ApiResult<Vec<AdminReport>> {
    let mut ids: Vec<Id> = reports
        .iter()
        .flat_map(|r| {
            [
                r.account_id,
                Some(r.target_account_id),
                r.assigned_account_id,
                r.action_taken_by,
            ]
        })
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = st.roost.admin_rows(&ids).await?;
    let find = |id: Option<Id>| {
        id.and_then(|id| rows.iter().find(|r| r.account.id == id))
            .map(|r| admin_account(st, r))
    };
    let status_ids: Vec<Id> = reports.iter().flat_map(|r| r.status_ids.clone()).collect();
    let views = st.roost.admin_statuses(staff, &status_ids).await?;
    let m = Mapper::new(&st.roost.cfg);
    Ok(reports
        .iter()
        .map(|r| AdminReport {
            id: r.id.to_string(),
            action_taken: r.action_taken_at.is_some(),
            action_taken_at: r.action_taken_at.map(datetime),
            category: r.category.as_str(),
            comment: r.comment.clone(),
            forwarded: r.forwarded,
            created_at: datetime(r.created_at),
            updated_at: datetime(r.updated_at),
            account: find(r.account_id),
            target_account: find(Some(r.target_account_id)),
            assigned_account: find(r.assigned_account_id),
            action_taken_by_account: find(r.action_taken_by),
            statuses: views
                .iter()
                .filter(|v| r.status_ids.contains(&v.status.id))
                .map(|v| m.status(v))
                .collect(),
            rules: vec![],
            roost: ReportExt {
                origin_region: r.origin_region.clone(),
            },
        })
        .collect())
}

#[derive(Deserialize)]
pub struct ListParams {
    #[serde(default, deserialize_with = "de::opt_bool")]
    resolved: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_id")]
    account_id: Option<Id>,
    #[serde(default, deserialize_with = "de::opt_id")]
    target_account_id: Option<Id>,
    #[serde(flatten)]
    page: PageParams,
}

pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<ListParams>,
) -> ApiResult<Paged<Vec<AdminReport>>> {
    let me = staff(&st, &auth, READ, Role::Moderator).await?;
    let filter = ReportFilter {
        // Mastodon lists unresolved reports unless asked otherwise.
        resolved: Some(p.resolved.unwrap_or(false)),
        account_id: p.account_id,
        target_account_id: p.target_account_id,
    };
    let reports = st.roost.admin_reports(&me, filter, p.page.page()).await?;
    let bounds = bounds_of(&reports, |r| r.id);
    Ok(Paged(
        admin_reports(&st, &me, &reports).await?,
        link(&st.roost.cfg.base_url, &uri, bounds),
    ))
}

async fn one(st: &AppState, staff: &Staff, r: Report) -> ApiResult<Json<AdminReport>> {
    let mut out = admin_reports(st, staff, &[r]).await?;
    Ok(Json(out.remove(0)))
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminReport>> {
    let me = staff(&st, &auth, READ, Role::Moderator).await?;
    let r = st.roost.admin_report(&me, path_id(&id)?).await?;
    one(&st, &me, r).await
}

async fn change(
    st: AppState,
    auth: Auth,
    id: String,
    c: ReportChange,
) -> ApiResult<Json<AdminReport>> {
    let me: Staff = staff(&st, &auth, WRITE, Role::Moderator).await?;
    let r = st.roost.admin_update_report(&me, path_id(&id)?, c).await?;
    one(&st, &me, r).await
}

pub async fn assign_to_self(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminReport>> {
    change(st, auth, id, ReportChange::AssignToSelf).await
}

pub async fn unassign(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminReport>> {
    change(st, auth, id, ReportChange::Unassign).await
}

pub async fn resolve(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminReport>> {
    change(st, auth, id, ReportChange::Resolve).await
}

pub async fn reopen(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminReport>> {
    change(st, auth, id, ReportChange::Reopen).await
}
