//! `POST /api/v1/reports`: a user reports an account (and some of its posts) to this
//! region's moderators.

use crate::error::ApiResult;
use crate::extract::{de, Auth, Params};
use crate::wire::{self, datetime, Mapper};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use roost_core::model::Report as DReport;
use roost_core::usecase::NewReport;
use roost_core::Id;
use serde::{Deserialize, Serialize};

/// Mastodon's Report entity, as its reporter sees it.
#[derive(Serialize)]
pub struct Report {
    pub id: String,
    pub action_taken: bool,
    pub action_taken_at: Option<String>,
    pub category: &'static str,
    pub comment: String,
    pub forwarded: bool,
    pub created_at: String,
    pub status_ids: Option<Vec<String>>,
    pub rule_ids: Option<Vec<String>>,
    pub target_account: wire::Account,
}

pub fn report(m: &Mapper<'_>, r: &DReport, target: &roost_core::model::Account) -> Report {
    Report {
        id: r.id.to_string(),
        action_taken: r.action_taken_at.is_some(),
        action_taken_at: r.action_taken_at.map(datetime),
        category: r.category.as_str(),
        comment: r.comment.clone(),
        forwarded: r.forwarded,
        created_at: datetime(r.created_at),
        status_ids: Some(r.status_ids.iter().map(Id::to_string).collect()),
        rule_ids: Some(r.rule_ids.clone()),
        target_account: m.account(target),
    }
}

#[derive(Deserialize)]
pub struct ReportParams {
    #[serde(default, deserialize_with = "de::opt_id")]
    account_id: Option<Id>,
    #[serde(default, deserialize_with = "de::ids")]
    status_ids: Vec<Id>,
    #[serde(default, deserialize_with = "de::opt_string")]
    comment: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    category: Option<String>,
    #[serde(default, deserialize_with = "de::strings")]
    rule_ids: Vec<String>,
    #[serde(default, deserialize_with = "de::bool")]
    forward: bool,
}

pub async fn post(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<ReportParams>,
) -> ApiResult<Json<Report>> {
    let me = auth.user("write:reports")?;
    let r = st
        .roost
        .file_report(
            me,
            NewReport {
                account_id: p.account_id,
                status_ids: p.status_ids,
                comment: p.comment.unwrap_or_default(),
                category: p.category,
                rule_ids: p.rule_ids,
                forward: p.forward,
            },
        )
        .await?;
    let target = st.roost.reported_account(&r).await?;
    Ok(Json(report(&Mapper::new(&st.roost.cfg), &r, &target)))
}
