//! The moderators' pages: `/admin/reports` (the open reports, with the account actions) and
//! `/admin/accounts` (sign-ups waiting for approval), and the small report form any
//! signed-in user reaches from a post or a profile (`/report/ACCOUNT_ID`). Every form
//! carries the CSRF token; every action is a use case the admin API also calls.

use crate::error::WebError;
use crate::layout::{render, Layout};
use crate::session::{Viewer, WebForm};
use crate::statuses::back_with;
use crate::view::{who, Who};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use roost_core::model::{AccountStanding, AdminAccountFilter, Page, ReportFilter, Role};
use roost_core::usecase::{AdminAction, AdminUndo, NewReport, ReportChange, Staff};
use roost_core::{CoreError, Id};
use serde::Deserialize;

/// One report as the queue shows it.
pub struct ReportRow {
    pub id: String,
    pub category: &'static str,
    pub comment: String,
    pub when: String,
    /// None: forwarded anonymously by another region.
    pub reporter: Option<Who>,
    pub origin: Option<String>,
    pub target: Who,
    pub target_id: String,
    pub target_suspended: bool,
    pub target_silenced: bool,
    pub statuses: usize,
    pub assigned: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_reports.html")]
struct ReportsPage {
    layout: Layout,
    reports: Vec<ReportRow>,
    resolved: bool,
}

pub struct PendingRow {
    pub id: String,
    pub who: Who,
    pub email: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "admin_accounts.html")]
struct AccountsPage {
    layout: Layout,
    pending: Vec<PendingRow>,
}

#[derive(Template)]
#[template(path = "admin_report_form.html")]
struct ReportForm {
    layout: Layout,
    target: Who,
    target_id: String,
    status_id: String,
}

async fn staff(st: &WebState, viewer: &Viewer, back: &str) -> Result<Staff, WebError> {
    let me = viewer.require(back)?;
    Ok(st.roost.staff(me, Role::Moderator).await?)
}

/// The reported account: `@name` or `@name@domain` (as profile links give it) or an ID.
async fn reported(st: &WebState, s: &str) -> Result<roost_core::model::Account, WebError> {
    Ok(match s.strip_prefix('@') {
        Some(acct) => st.roost.lookup(acct).await?,
        None => st.roost.account(id_of(s)?).await?,
    })
}

fn id_of(s: &str) -> Result<Id, WebError> {
    s.parse::<Id>()
        .map_err(|_| WebError::Core(CoreError::NotFound("record")))
}

#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    resolved: Option<String>,
}

pub async fn reports(
    State(st): State<WebState>,
    viewer: Viewer,
    Query(q): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let me = staff(&st, &viewer, "/admin/reports").await?;
    let resolved = q.resolved.as_deref() == Some("1");
    let filter = ReportFilter {
        resolved: Some(resolved),
        ..Default::default()
    };
    let page = Page {
        limit: 40,
        ..Default::default()
    };
    let list = st.roost.admin_reports(&me, filter, page).await?;
    let mut ids: Vec<Id> = list
        .iter()
        .flat_map(|r| {
            [
                r.account_id,
                Some(r.target_account_id),
                r.assigned_account_id,
            ]
        })
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = st.roost.admin_rows(&ids).await?;
    let account = |id: Id| rows.iter().find(|r| r.account.id == id).map(|r| &r.account);
    let reports = list
        .iter()
        .filter_map(|r| {
            let target = account(r.target_account_id)?;
            Some(ReportRow {
                id: r.id.to_string(),
                category: r.category.as_str(),
                comment: r.comment.clone(),
                when: crate::view::human_time(r.created_at, &st.roost),
                reporter: r.account_id.and_then(account).map(|a| who(&st.roost, a)),
                origin: r.origin_region.clone(),
                target: who(&st.roost, target),
                target_id: target.id.to_string(),
                target_suspended: target.suspended,
                target_silenced: target.silenced,
                statuses: r.status_ids.len(),
                assigned: r
                    .assigned_account_id
                    .and_then(account)
                    .map(|a| a.username.clone()),
            })
        })
        .collect();
    render(
        &viewer,
        &ReportsPage {
            layout: Layout::new(&st, &viewer, "Reports").current("admin"),
            reports,
            resolved,
        },
    )
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
    /// The report an account action settles, if any.
    #[serde(default)]
    report: String,
}

pub async fn report_action(
    State(st): State<WebState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    WebForm(f): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    let me = staff(&st, &viewer, "/admin/reports").await?;
    viewer.check_csrf(&f.csrf)?;
    let change = match action.as_str() {
        "assign" => ReportChange::AssignToSelf,
        "unassign" => ReportChange::Unassign,
        "resolve" => ReportChange::Resolve,
        "reopen" => ReportChange::Reopen,
        _ => return Err(WebError::Core(CoreError::NotFound("action"))),
    };
    let result = st
        .roost
        .admin_update_report(&me, id_of(&id)?, change)
        .await
        .map(|_| "Report updated.");
    back_with(&viewer, result, "/admin/reports").map(IntoResponse::into_response)
}

pub async fn account_action(
    State(st): State<WebState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    WebForm(f): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    let me = staff(&st, &viewer, "/admin/reports").await?;
    viewer.check_csrf(&f.csrf)?;
    let id = id_of(&id)?;
    let report = f.report.parse::<Id>().ok();
    let roost = &st.roost;
    let (result, back) = match action.as_str() {
        "suspend" | "silence" | "disable" | "sensitive" => {
            let a = AdminAction::parse(&action).unwrap_or(AdminAction::None);
            (
                roost.admin_act(&me, id, a, report).await.map(|_| "Done."),
                "/admin/reports",
            )
        }
        "unsuspend" | "unsilence" | "enable" => {
            let u = match action.as_str() {
                "unsuspend" => AdminUndo::Unsuspend,
                "unsilence" => AdminUndo::Unsilence,
                _ => AdminUndo::Enable,
            };
            (
                roost.admin_undo(&me, id, u).await.map(|_| "Done."),
                "/admin/reports",
            )
        }
        "approve" => (
            roost.admin_approve(&me, id).await.map(|_| "Approved."),
            "/admin/accounts",
        ),
        "reject" => (
            roost.admin_reject(&me, id).await.map(|_| "Rejected."),
            "/admin/accounts",
        ),
        _ => return Err(WebError::Core(CoreError::NotFound("action"))),
    };
    back_with(&viewer, result, back).map(IntoResponse::into_response)
}

pub async fn accounts(State(st): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let me = staff(&st, &viewer, "/admin/accounts").await?;
    let filter = AdminAccountFilter {
        standing: Some(AccountStanding::Pending),
        ..Default::default()
    };
    let page = Page {
        limit: 40,
        ..Default::default()
    };
    let rows = st.roost.admin_accounts(&me, filter, page).await?;
    let pending = rows
        .iter()
        .map(|r| PendingRow {
            id: r.account.id.to_string(),
            who: who(&st.roost, &r.account),
            email: r.user.as_ref().map(|u| u.email.clone()).unwrap_or_default(),
            reason: r
                .user
                .as_ref()
                .and_then(|u| u.sign_up_reason.clone())
                .unwrap_or_default(),
        })
        .collect();
    render(
        &viewer,
        &AccountsPage {
            layout: Layout::new(&st, &viewer, "Sign-ups").current("admin"),
            pending,
        },
    )
}

#[derive(Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    status: String,
}

pub async fn report_form(
    State(st): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, WebError> {
    viewer.require(&format!("/report/{id}"))?;
    let target = reported(&st, &id).await?;
    render(
        &viewer,
        &ReportForm {
            layout: Layout::new(&st, &viewer, "Report"),
            target: who(&st.roost, &target),
            target_id: target.id.to_string(),
            status_id: q
                .status
                .parse::<Id>()
                .map(|i| i.to_string())
                .unwrap_or_default(),
        },
    )
}

#[derive(Deserialize)]
pub struct ReportPost {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    forward: Option<String>,
}

pub async fn report_post(
    State(st): State<WebState>,
    viewer: Viewer,
    Path(id): Path<String>,
    WebForm(f): WebForm<ReportPost>,
) -> Result<Response, WebError> {
    let me = viewer.require(&format!("/report/{id}"))?;
    viewer.check_csrf(&f.csrf)?;
    let target = reported(&st, &id).await?.id;
    let result = st
        .roost
        .file_report(
            me,
            NewReport {
                account_id: Some(target),
                status_ids: f.status.parse::<Id>().into_iter().collect(),
                comment: f.comment,
                category: Some(f.category).filter(|c| !c.is_empty()),
                rule_ids: Vec::new(),
                forward: f.forward.is_some(),
            },
        )
        .await
        .map(|_| "Thank you: the moderators will look at your report.");
    back_with(&viewer, result, &format!("/report/{id}")).map(IntoResponse::into_response)
}
