//! `/api/v1/admin/...` (and `/api/v2/admin/accounts`): the subset of Mastodon's admin API
//! that moderation apps use. Every handler checks the scope, then that the caller is staff
//! (403 `This action is not allowed` otherwise), then calls one use case.

pub mod accounts;
pub mod domain_blocks;
pub mod reports;

use crate::error::ApiResult;
use crate::extract::Auth;
use crate::wire::{self, datetime, Mapper};
use crate::AppState;
use axum::routing::{get, post};
use axum::Router;
use roost_core::model::{AdminAccountRow, Role};
use roost_core::usecase::Staff;
use serde::Serialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/accounts", get(accounts::list_v1))
        .route("/api/v2/admin/accounts", get(accounts::list_v2))
        .route("/api/v1/admin/accounts/{id}", get(accounts::get))
        .route(
            "/api/v1/admin/accounts/{id}/approve",
            post(accounts::approve),
        )
        .route("/api/v1/admin/accounts/{id}/reject", post(accounts::reject))
        .route("/api/v1/admin/accounts/{id}/action", post(accounts::action))
        .route("/api/v1/admin/accounts/{id}/enable", post(accounts::enable))
        .route(
            "/api/v1/admin/accounts/{id}/unsilence",
            post(accounts::unsilence),
        )
        .route(
            "/api/v1/admin/accounts/{id}/unsuspend",
            post(accounts::unsuspend),
        )
        .route(
            "/api/v1/admin/accounts/{id}/unsensitive",
            post(accounts::unsensitive),
        )
        .route("/api/v1/admin/reports", get(reports::list))
        .route("/api/v1/admin/reports/{id}", get(reports::get))
        .route(
            "/api/v1/admin/reports/{id}/assign_to_self",
            post(reports::assign_to_self),
        )
        .route(
            "/api/v1/admin/reports/{id}/unassign",
            post(reports::unassign),
        )
        .route("/api/v1/admin/reports/{id}/resolve", post(reports::resolve))
        .route("/api/v1/admin/reports/{id}/reopen", post(reports::reopen))
        .route(
            "/api/v1/admin/domain_blocks",
            get(domain_blocks::list).post(domain_blocks::create),
        )
        .route(
            "/api/v1/admin/domain_blocks/{id}",
            get(domain_blocks::get).delete(domain_blocks::delete),
        )
}

/// The caller as staff of at least `min`, with a token granting `scope`.
pub(crate) async fn staff(st: &AppState, auth: &Auth, scope: &str, min: Role) -> ApiResult<Staff> {
    let me = auth.user(scope)?;
    Ok(st.roost.staff(me, min).await?)
}

/// Mastodon's Admin::Account entity.
#[derive(Serialize)]
pub struct AdminAccount {
    pub id: String,
    pub username: String,
    /// None for local accounts; the home region's domain otherwise.
    pub domain: Option<String>,
    pub created_at: String,
    pub email: String,
    pub ip: Option<String>,
    pub ips: Vec<AdminIp>,
    pub locale: String,
    pub invite_request: Option<String>,
    pub role: wire::Role,
    pub confirmed: bool,
    pub approved: bool,
    pub disabled: bool,
    pub silenced: bool,
    pub suspended: bool,
    pub sensitized: bool,
    pub account: wire::Account,
    pub created_by_application_id: Option<String>,
    pub invited_by_account_id: Option<String>,
}

#[derive(Serialize)]
pub struct AdminIp {
    pub ip: String,
    pub used_at: String,
}

pub(crate) fn admin_account(st: &AppState, row: &AdminAccountRow) -> AdminAccount {
    let m = Mapper::new(&st.roost.cfg);
    let a = &row.account;
    let domain = (a.home_region != st.roost.cfg.region).then(|| {
        st.roost
            .cfg
            .cluster
            .region(&a.home_region)
            .map(|r| r.domain())
            .unwrap_or_else(|| a.home_region.clone())
    });
    let u = row.user.as_ref();
    let ip = u.and_then(|u| u.sign_up_ip.clone());
    AdminAccount {
        id: a.id.to_string(),
        username: a.username.clone(),
        domain,
        created_at: datetime(a.created_at),
        email: u.map(|u| u.email.clone()).unwrap_or_default(),
        ips: ip
            .iter()
            .map(|ip| AdminIp {
                ip: ip.clone(),
                used_at: datetime(a.created_at),
            })
            .collect(),
        ip,
        locale: u.map(|u| u.locale.clone()).unwrap_or_default(),
        invite_request: u.and_then(|u| u.sign_up_reason.clone()),
        role: wire::Role::of(u.map(|u| u.role).unwrap_or_default()),
        // roost does not confirm e-mail addresses: every local user counts as confirmed.
        confirmed: u.is_some(),
        approved: u.map(|u| u.approved).unwrap_or(true),
        disabled: u.map(|u| u.disabled).unwrap_or(false),
        silenced: a.silenced,
        suspended: a.suspended,
        sensitized: row.sensitized,
        account: m.account(a),
        created_by_application_id: None,
        invited_by_account_id: None,
    }
}
