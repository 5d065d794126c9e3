//! `/api/v2/notifications/...`: Mastodon 4.3's grouped notifications, and their JSON
//! (`GroupedNotificationsResults`, `NotificationGroup`, `PartialAccountWithAvatar`).

use crate::error::{ApiError, ApiResult};
use crate::extract::{de, Auth, Params};
use crate::paging::{accounts_page, link, PageParams, Paged};
use crate::wire::{self, Mapper};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use roost_core::model::{NotificationFilter, NotificationType};
use roost_core::usecase::notification_groups::{GroupQuery, GroupedNotifications};
use roost_core::Id;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashSet;

#[derive(Serialize)]
pub struct GroupedResults {
    pub accounts: Vec<wire::Account>,
    /// Only with `expand_accounts=partial_avatars`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_accounts: Option<Vec<PartialAccount>>,
    pub statuses: Vec<wire::Status>,
    pub notification_groups: Vec<Group>,
}

/// What a list of avatars needs of an account.
#[derive(Serialize)]
pub struct PartialAccount {
    pub id: String,
    pub acct: String,
    pub locked: bool,
    pub bot: bool,
    pub url: String,
    pub avatar: String,
    pub avatar_static: String,
}

#[derive(Serialize)]
pub struct Group {
    pub group_key: String,
    pub notifications_count: usize,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// A string, as the entity's documentation says: roost's IDs do not fit a
    /// JavaScript number.
    pub most_recent_notification_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_min_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_max_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_page_notification_at: Option<String>,
    pub sample_account_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<String>,
}

/// How sample accounts are sent (`expand_accounts`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expand {
    Full,
    /// Each group's most recent account in full, the others in `partial_accounts`.
    PartialAvatars,
}

fn expand(v: Option<&str>) -> ApiResult<Expand> {
    match v {
        None | Some("full") => Ok(Expand::Full),
        Some("partial_avatars") => Ok(Expand::PartialAvatars),
        Some(other) => Err(ApiError::BadRequest(format!(
            "Invalid value for 'expand_accounts': '{other}', allowed values are 'full' and 'partial_avatars'"
        ))),
    }
}

fn results(m: &Mapper, g: &GroupedNotifications, how: Expand) -> GroupedResults {
    let full: Vec<wire::Account>;
    let mut partial = None;
    match how {
        Expand::Full => full = m.accounts(&g.accounts),
        Expand::PartialAvatars => {
            let first: HashSet<Id> = g
                .groups
                .iter()
                .filter_map(|grp| grp.sample_account_ids.first().copied())
                .collect();
            let (lead, rest): (Vec<_>, Vec<_>) =
                g.accounts.iter().partition(|a| first.contains(&a.id));
            full = lead.into_iter().map(|a| m.account(a)).collect();
            partial = Some(
                rest.into_iter()
                    .map(|a| {
                        let w = m.account(a);
                        PartialAccount {
                            id: w.id,
                            acct: w.acct,
                            locked: w.locked,
                            bot: w.bot,
                            url: w.url,
                            avatar: w.avatar,
                            avatar_static: w.avatar_static,
                        }
                    })
                    .collect(),
            );
        }
    }
    GroupedResults {
        accounts: full,
        partial_accounts: partial,
        statuses: m.statuses(&g.statuses),
        notification_groups: g
            .groups
            .iter()
            .map(|grp| Group {
                group_key: grp.key.clone(),
                notifications_count: grp.count,
                kind: grp.kind.as_str(),
                most_recent_notification_id: grp.most_recent_id.to_string(),
                page_min_id: grp.page.map(|p| p.min_id.to_string()),
                page_max_id: grp.page.map(|p| p.max_id.to_string()),
                latest_page_notification_at: grp.page.map(|p| wire::datetime(p.latest_at)),
                sample_account_ids: grp
                    .sample_account_ids
                    .iter()
                    .map(|a| a.to_string())
                    .collect(),
                status_id: grp.status_id.map(|s| s.to_string()),
            })
            .collect(),
    }
}

/// Filters shared by the list and the unread count.
#[derive(Deserialize)]
pub struct FilterParams {
    #[serde(default, deserialize_with = "de::strings")]
    types: Vec<String>,
    #[serde(default, deserialize_with = "de::strings")]
    exclude_types: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_id")]
    account_id: Option<Id>,
    #[serde(default, deserialize_with = "de::strings")]
    grouped_types: Vec<String>,
}

/// Unknown type names are ignored, as Mastodon does (clients send types newer servers
/// know).
fn known(names: &[String]) -> Vec<NotificationType> {
    names
        .iter()
        .filter_map(|n| NotificationType::parse(n))
        .collect()
}

impl FilterParams {
    /// The query, or `None` when `types[]` names only types roost never sends.
    fn query(&self) -> Option<GroupQuery> {
        let types = known(&self.types);
        if !self.types.is_empty() && types.is_empty() {
            return None;
        }
        Some(GroupQuery {
            filter: NotificationFilter {
                types,
                exclude_types: known(&self.exclude_types),
            },
            from_account: self.account_id,
            // `grouped_types[]` present but naming nothing groupable groups nothing.
            grouped_types: (!self.grouped_types.is_empty()).then(|| known(&self.grouped_types)),
        })
    }
}

#[derive(Deserialize)]
pub struct ListParams {
    #[serde(flatten)]
    page: PageParams,
    #[serde(flatten)]
    filter: FilterParams,
    #[serde(default, deserialize_with = "de::opt_string")]
    expand_accounts: Option<String>,
    /// roost filters no notifications, so there are none to include.
    #[serde(default, deserialize_with = "de::bool")]
    #[allow(dead_code)]
    include_filtered: bool,
}

pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Params(p): Params<ListParams>,
) -> ApiResult<Paged<GroupedResults>> {
    let me = auth.user("read:notifications")?;
    let how = expand(p.expand_accounts.as_deref())?;
    let m = Mapper::new(&st.roost.cfg);
    let Some(q) = p.filter.query() else {
        return Ok(Paged(
            results(&m, &GroupedNotifications::default(), how),
            None,
        ));
    };
    let g = st
        .roost
        .notification_groups(me.id, &q, p.page.page())
        .await?;
    Ok(Paged(
        results(&m, &g, how),
        link(&st.roost.cfg.base_url, &uri, g.bounds),
    ))
}

pub async fn get(
    State(st): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> ApiResult<Json<GroupedResults>> {
    let me = auth.user("read:notifications")?;
    let g = st.roost.notification_group(me.id, &key).await?;
    Ok(Json(results(&Mapper::new(&st.roost.cfg), &g, Expand::Full)))
}

pub async fn accounts(
    State(st): State<AppState>,
    auth: Auth,
    uri: Uri,
    Path(key): Path<String>,
    Params(p): Params<PageParams>,
) -> ApiResult<Paged<Vec<wire::Account>>> {
    let me = auth.user("read:notifications")?;
    let page = st
        .roost
        .notification_group_accounts(me.id, &key, p.page())
        .await?;
    Ok(accounts_page(&st, &uri, page))
}

pub async fn dismiss(
    State(st): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
) -> ApiResult<Json<Value>> {
    let me = auth.user("write:notifications")?;
    st.roost.dismiss_notification_group(me.id, &key).await?;
    Ok(Json(json!({})))
}

#[derive(Deserialize)]
pub struct UnreadParams {
    #[serde(default, deserialize_with = "de::opt_u32")]
    limit: Option<u32>,
    #[serde(flatten)]
    filter: FilterParams,
}

pub async fn unread_count(
    State(st): State<AppState>,
    auth: Auth,
    Params(p): Params<UnreadParams>,
) -> ApiResult<Json<Value>> {
    let me = auth.user("read:notifications")?;
    let limit = p.limit.unwrap_or(100).clamp(1, 1000) as usize;
    let count = match p.filter.query() {
        Some(q) => {
            st.roost
                .unread_notification_groups(me.id, &q, limit)
                .await?
        }
        None => 0,
    };
    Ok(Json(json!({ "count": count })))
}
