//! Grouped notifications, as Mastodon 4.3 serves them at `/api/v2/notifications`:
//! favourites and reblogs of one status, and follows, that arrive close together are shown
//! as one group. Nothing about groups is stored: a notification's group key is computed
//! from the notification alone ([`group_key`]) and groups are formed from the store's
//! plain notification pages.
//!
//! Paging is by the ID of each group's newest notification (its *position*), as
//! Mastodon's `Link` header is: a page below `max_id` holds the groups whose newest
//! notification is below `max_id`, so walking `next` links shows every group once.

use super::hydrate::StatusView;
use super::{AccountsPage, Roost};
use crate::id::Id;
use crate::model::{Account, Notification, NotificationFilter, NotificationType, Page};
use crate::{CoreError, CoreResult};
use jiff::Timestamp;
use std::collections::{HashMap, HashSet};

/// The types Mastodon groups (its `GROUPABLE_NOTIFICATION_TYPES`).
pub const GROUPABLE_TYPES: [NotificationType; 3] = [
    NotificationType::Favourite,
    NotificationType::Reblog,
    NotificationType::Follow,
];

/// Mastodon lets a group span at most 12 hours (`MAXIMUM_GROUP_SPAN_HOURS`); it anchors a
/// group at the hour of its first notification and remembers the anchor in Redis. roost
/// keeps no group state, so a group is what falls in one fixed 12-hour window (UTC,
/// counted from the Unix epoch): the key then follows from the notification alone and
/// does not change when other notifications are dismissed or undone.
const GROUP_SPAN_HOURS: i64 = 12;
const HOUR_MS: i64 = 3_600_000;
const SPAN_MS: i64 = GROUP_SPAN_HOURS * HOUR_MS;

/// Mastodon's `limit` for groups: 40 by default, at most twice that.
pub const DEFAULT_GROUPS_LIMIT: u32 = 40;
pub const MAX_GROUPS_LIMIT: u32 = 80;
/// Accounts shown per group (Mastodon's `SAMPLE_ACCOUNTS_SIZE`).
pub const SAMPLE_ACCOUNTS: usize = 8;
/// `/api/v2/notifications/:key/accounts` pages.
pub const DEFAULT_GROUP_ACCOUNTS_LIMIT: u32 = 40;
pub const MAX_GROUP_ACCOUNTS_LIMIT: u32 = 80;

/// Raw notifications read for one answer, at most. A page of 80 groups seldom needs more
/// than a few hundred; the bound keeps a flood of notifications (or an `account_id` that
/// matches few of them) from making one request read them all. When it is reached the
/// answer holds what was found so far (the `Link` header carries on from there), group
/// counts stop at what was read, and an unread count stops at what was read.
const MAX_SCANNED: usize = 4_000;
/// Rows per store call.
const BATCH: u32 = 200;
/// A notification's ID and its `created_at` come from two clock reads: scans bounded by
/// time go this much further so that one minted on a window's edge is not missed.
const SLACK_MS: i64 = 60_000;

/// Which notifications to group, and how.
#[derive(Debug, Clone, Default)]
pub struct GroupQuery {
    pub filter: NotificationFilter,
    /// Only notifications caused by this account (`account_id`).
    pub from_account: Option<Id>,
    /// The types that may be grouped (`grouped_types[]`); `None`: all of
    /// [`GROUPABLE_TYPES`]. The others come as groups of one.
    pub grouped_types: Option<Vec<NotificationType>>,
}

impl GroupQuery {
    fn grouped(&self) -> Vec<NotificationType> {
        match &self.grouped_types {
            None => GROUPABLE_TYPES.to_vec(),
            Some(t) => GROUPABLE_TYPES
                .into_iter()
                .filter(|g| t.contains(g))
                .collect(),
        }
    }
}

/// One group of notifications: their number, the newest, and who caused them.
#[derive(Debug, Clone)]
pub struct NotificationGroup {
    pub key: String,
    pub kind: NotificationType,
    pub count: usize,
    pub most_recent_id: Id,
    /// Up to [`SAMPLE_ACCOUNTS`] accounts, the most recent first.
    pub sample_account_ids: Vec<Id>,
    pub status_id: Option<Id>,
    /// Present when the group comes from a page of groups (not from a single lookup).
    pub page: Option<GroupPage>,
}

/// Where a group sits in the page it came in.
#[derive(Debug, Clone, Copy)]
pub struct GroupPage {
    /// The oldest of the group's notifications newer than the page's lower bound.
    pub min_id: Id,
    pub max_id: Id,
    pub latest_at: Timestamp,
}

/// Groups with the accounts and statuses they refer to.
#[derive(Debug, Clone, Default)]
pub struct GroupedNotifications {
    pub groups: Vec<NotificationGroup>,
    /// Every sample account, once, in order of first appearance.
    pub accounts: Vec<Account>,
    /// The groups' statuses, once each, in group order.
    pub statuses: Vec<StatusView>,
    /// Positions of the newest and the oldest group, for `prev` and `next` links.
    pub bounds: Option<(Id, Id)>,
}

/// A notification's group key as Mastodon forms it, grouping all of
/// [`GROUPABLE_TYPES`]: `favourite-{status}-{hour}`, `reblog-{status}-{hour}`,
/// `follow-{hour}`, where `{hour}` (hours since the Unix epoch) starts the notification's
/// 12-hour window; `ungrouped-{id}` for every other type. `/api/v1/notifications` shows
/// this key.
pub fn group_key(n: &Notification) -> String {
    key_and_window(n, &GROUPABLE_TYPES).0
}

/// The key, and the start (ms) of the window for a grouped one.
fn key_and_window(n: &Notification, grouped: &[NotificationType]) -> (String, Option<i64>) {
    if grouped.contains(&n.kind) {
        let hour = window_hour(n.created_at.as_millisecond());
        let start = Some(hour * HOUR_MS);
        match (n.kind, n.status_id) {
            (NotificationType::Follow, _) => return (format!("follow-{hour}"), start),
            (NotificationType::Favourite | NotificationType::Reblog, Some(s)) => {
                return (format!("{}-{s}-{hour}", n.kind.as_str()), start)
            }
            _ => {}
        }
    }
    (format!("ungrouped-{}", n.id), None)
}

/// First hour (since the Unix epoch) of the window that `ms` falls in.
fn window_hour(ms: i64) -> i64 {
    let hour = ms.div_euclid(HOUR_MS);
    hour - hour.rem_euclid(GROUP_SPAN_HOURS)
}

/// What a key names: one notification, or a window of one type.
enum Key {
    Ungrouped(Id),
    Window { kind: NotificationType, hour: i64 },
}

fn parse_key(key: &str) -> Option<Key> {
    if let Some(id) = key.strip_prefix("ungrouped-") {
        return id.parse().ok().map(Key::Ungrouped);
    }
    let (kind, rest) = key.split_once('-')?;
    let kind = NotificationType::parse(kind).filter(|k| GROUPABLE_TYPES.contains(k))?;
    let hour = rest.rsplit('-').next()?.parse().ok()?;
    Some(Key::Window { kind, hour })
}

/// A walk through the store's notifications in one direction.
struct Walk {
    up: bool,
    /// Exclusive: the last row seen (or where the walk starts).
    cursor: Option<Id>,
    /// Going down, stop above this (exclusive).
    floor: Option<Id>,
    done: bool,
}

impl Walk {
    fn down(below: Option<Id>, floor: Option<Id>) -> Walk {
        Walk {
            up: false,
            cursor: below,
            floor,
            done: false,
        }
    }
    fn up(above: Id) -> Walk {
        Walk {
            up: true,
            cursor: Some(above),
            floor: None,
            done: false,
        }
    }
}

/// Reads notifications for one answer, within [`MAX_SCANNED`] rows.
struct Scanner<'a> {
    roost: &'a Roost,
    viewer: Id,
    filter: &'a NotificationFilter,
    from: Option<Id>,
    left: usize,
}

impl<'a> Scanner<'a> {
    fn new(roost: &'a Roost, viewer: Id, q: &'a GroupQuery) -> Scanner<'a> {
        Scanner {
            roost,
            viewer,
            filter: &q.filter,
            from: q.from_account,
            left: MAX_SCANNED,
        }
    }

    /// The walk's next rows in its order (newest first going down, oldest first going
    /// up) that pass the account filter; empty once the walk or the budget is over.
    async fn next(&mut self, w: &mut Walk) -> CoreResult<Vec<Notification>> {
        loop {
            if w.done || self.left == 0 {
                return Ok(Vec::new());
            }
            let limit = BATCH.min(u32::try_from(self.left).unwrap_or(BATCH));
            let page = if w.up {
                Page {
                    max_id: None,
                    since_id: None,
                    min_id: w.cursor,
                    limit,
                }
            } else {
                Page {
                    max_id: w.cursor,
                    since_id: w.floor,
                    min_id: None,
                    limit,
                }
            };
            let mut rows = self
                .roost
                .store
                .notifications(self.viewer, self.filter, page)
                .await?;
            self.left = self.left.saturating_sub(rows.len());
            if rows.len() < limit as usize {
                w.done = true;
            }
            if w.up {
                rows.reverse();
            }
            let Some(last) = rows.last() else {
                return Ok(rows);
            };
            w.cursor = Some(last.id);
            if let Some(from) = self.from {
                rows.retain(|n| n.from_account_id == from);
            }
            if !rows.is_empty() || w.done {
                return Ok(rows);
            }
        }
    }
}

/// A group being gathered: its notifications, newest first (the first is its position).
struct Found {
    key: String,
    members: Vec<Notification>,
    /// Start (ms) of its window, for grouped keys.
    window: Option<i64>,
}

/// Start (ms) of the earliest window among the groups: older notifications are in none.
fn oldest_window(found: &[Found]) -> Option<i64> {
    found.iter().filter_map(|f| f.window).min()
}

impl Roost {
    /// A page of groups. `max_id`/`since_id` page down from the newest, `min_id` up
    /// from it; `limit` counts groups.
    pub async fn notification_groups(
        &self,
        viewer: Id,
        q: &GroupQuery,
        page: Page,
    ) -> CoreResult<GroupedNotifications> {
        let limit = match page.limit {
            0 => DEFAULT_GROUPS_LIMIT,
            n => n.min(MAX_GROUPS_LIMIT),
        } as usize;
        let grouped = q.grouped();
        let mut scan = Scanner::new(self, viewer, q);
        let (found, lower) = match page.min_id {
            Some(min) => {
                let lower = page.since_id.map_or(min, |s| s.max(min));
                let found = groups_up(&mut scan, &grouped, lower, page.max_id, limit).await?;
                (found, Some(lower))
            }
            None => {
                let found =
                    groups_down(&mut scan, &grouped, page.max_id, page.since_id, limit).await?;
                (found, page.since_id)
            }
        };
        self.present(viewer, found, lower, true).await
    }

    /// One group by its key, counted in full.
    pub async fn notification_group(
        &self,
        viewer: Id,
        key: &str,
    ) -> CoreResult<GroupedNotifications> {
        let members = self.group_members(viewer, key).await?;
        let found = Found {
            key: key.to_string(),
            members,
            window: None,
        };
        let out = self.present(viewer, vec![found], None, false).await?;
        if out.groups.is_empty() {
            return Err(CoreError::NotFound("notification"));
        }
        Ok(out)
    }

    /// The accounts of a group's notifications, newest first, paged by notification ID.
    pub async fn notification_group_accounts(
        &self,
        viewer: Id,
        key: &str,
        page: Page,
    ) -> CoreResult<AccountsPage> {
        let members = self.group_members(viewer, key).await?;
        let limit = match page.limit {
            0 => DEFAULT_GROUP_ACCOUNTS_LIMIT,
            n => n.min(MAX_GROUP_ACCOUNTS_LIMIT),
        } as usize;
        let lower = match (page.since_id, page.min_id) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let inside = members
            .into_iter()
            .filter(|n| page.max_id.is_none_or(|m| n.id < m) && lower.is_none_or(|l| n.id > l));
        let chosen: Vec<Notification> = if page.min_id.is_some() {
            // The ones right after `min_id`, still shown newest first.
            let mut v: Vec<Notification> = inside.collect();
            let skip = v.len().saturating_sub(limit);
            v.drain(..skip);
            v
        } else {
            inside.take(limit).collect()
        };
        let bounds = match (chosen.first(), chosen.last()) {
            (Some(a), Some(b)) => Some((a.id, b.id)),
            _ => None,
        };
        let mut ids: Vec<Id> = chosen.iter().map(|n| n.from_account_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let by_id: HashMap<Id, Account> = self
            .store
            .accounts(&ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        Ok(AccountsPage {
            accounts: chosen
                .iter()
                .filter_map(|n| by_id.get(&n.from_account_id).cloned())
                .collect(),
            bounds,
        })
    }

    /// Dismisses every notification of the group.
    pub async fn dismiss_notification_group(&self, viewer: Id, key: &str) -> CoreResult<()> {
        let members = self.group_members(viewer, key).await?;
        // Sent together, the writer commits them in one batch instead of one by one.
        for chunk in members.chunks(BATCH as usize) {
            let mut set = tokio::task::JoinSet::new();
            for n in chunk {
                let store = self.store.clone();
                let id = n.id;
                set.spawn(async move { store.dismiss_notification(viewer, id).await });
            }
            while let Some(done) = set.join_next().await {
                done.map_err(|e| CoreError::Internal(format!("dismissing failed: {e}")))??;
            }
        }
        Ok(())
    }

    /// How many groups hold notifications newer than the `notifications` marker, up to
    /// `limit`.
    pub async fn unread_notification_groups(
        &self,
        viewer: Id,
        q: &GroupQuery,
        limit: usize,
    ) -> CoreResult<usize> {
        let last_read = self
            .markers(viewer, &["notifications".to_string()])
            .await?
            .into_iter()
            .next()
            .map(|m| m.last_read_id);
        let grouped = q.grouped();
        let mut scan = Scanner::new(self, viewer, q);
        let mut walk = Walk::down(None, last_read);
        let mut keys = HashSet::new();
        'scan: loop {
            let rows = scan.next(&mut walk).await?;
            if rows.is_empty() {
                break;
            }
            for n in rows {
                keys.insert(key_and_window(&n, &grouped).0);
                if keys.len() >= limit {
                    break 'scan;
                }
            }
        }
        Ok(keys.len())
    }

    /// Every notification of the group named by `key`, newest first; `NotFound` when
    /// there is none.
    async fn group_members(&self, viewer: Id, key: &str) -> CoreResult<Vec<Notification>> {
        let not_found = || CoreError::NotFound("notification");
        let (kind, hour) = match parse_key(key).ok_or_else(not_found)? {
            Key::Ungrouped(id) => {
                let n = self.store.notification(viewer, id).await?;
                return Ok(vec![n.ok_or_else(not_found)?]);
            }
            Key::Window { kind, hour } => (kind, hour),
        };
        let start = hour.checked_mul(HOUR_MS).ok_or_else(not_found)?;
        if start > super::now().as_millisecond() + SLACK_MS {
            return Err(not_found());
        }
        let q = GroupQuery {
            filter: NotificationFilter {
                types: vec![kind],
                exclude_types: Vec::new(),
            },
            ..GroupQuery::default()
        };
        let mut scan = Scanner::new(self, viewer, &q);
        let mut walk = Walk::down(Some(Id::floor_at(start + SPAN_MS + SLACK_MS)), None);
        let mut out = Vec::new();
        'scan: loop {
            let rows = scan.next(&mut walk).await?;
            if rows.is_empty() {
                break;
            }
            for n in rows {
                if n.created_at.as_millisecond() < start - SLACK_MS {
                    break 'scan;
                }
                if group_key(&n) == key {
                    out.push(n);
                }
            }
        }
        if out.is_empty() {
            return Err(not_found());
        }
        Ok(out)
    }

    /// Turns gathered groups into the answer: counts and samples, the statuses the
    /// viewer may see and the accounts. A group whose status is gone or hidden is left
    /// out, as `/api/v1/notifications` leaves out such notifications; the bounds still
    /// cover it, so paging goes on past it.
    async fn present(
        &self,
        viewer: Id,
        found: Vec<Found>,
        lower: Option<Id>,
        paged: bool,
    ) -> CoreResult<GroupedNotifications> {
        let bounds = match (found.first(), found.last()) {
            (Some(a), Some(b)) => Some((a.members[0].id, b.members[0].id)),
            _ => None,
        };
        let mut groups: Vec<NotificationGroup> =
            found.iter().map(|f| summarise(f, lower, paged)).collect();

        let mut status_ids: Vec<Id> = Vec::new();
        for id in groups.iter().filter_map(|g| g.status_id) {
            if !status_ids.contains(&id) {
                status_ids.push(id);
            }
        }
        let statuses = if status_ids.is_empty() {
            Vec::new()
        } else {
            let visible: HashSet<Id> = self
                .store
                .visible_ids(Some(viewer), &status_ids)
                .await?
                .into_iter()
                .collect();
            status_ids.retain(|id| visible.contains(id));
            self.hydrate(&status_ids, Some(viewer)).await?
        };
        let shown: HashSet<Id> = statuses.iter().map(|v| v.status.id).collect();
        groups.retain(|g| g.status_id.is_none_or(|s| shown.contains(&s)));

        let mut account_ids: Vec<Id> = groups
            .iter()
            .flat_map(|g| g.sample_account_ids.iter().copied())
            .collect();
        account_ids.sort_unstable();
        account_ids.dedup();
        let mut by_id: HashMap<Id, Account> = self
            .store
            .accounts(&account_ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        for g in &mut groups {
            g.sample_account_ids.retain(|a| by_id.contains_key(a));
        }
        groups.retain(|g| !g.sample_account_ids.is_empty());
        let mut accounts = Vec::new();
        for g in &groups {
            for id in &g.sample_account_ids {
                if let Some(a) = by_id.remove(id) {
                    accounts.push(a);
                }
            }
        }
        Ok(GroupedNotifications {
            groups,
            accounts,
            statuses,
            bounds,
        })
    }
}

fn summarise(f: &Found, lower: Option<Id>, paged: bool) -> NotificationGroup {
    let top = &f.members[0];
    let mut samples: Vec<Id> = Vec::new();
    for m in &f.members {
        if !samples.contains(&m.from_account_id) {
            samples.push(m.from_account_id);
            if samples.len() == SAMPLE_ACCOUNTS {
                break;
            }
        }
    }
    let page = paged.then(|| GroupPage {
        min_id: f
            .members
            .iter()
            .rev()
            .find(|m| lower.is_none_or(|l| m.id > l))
            .unwrap_or(top)
            .id,
        max_id: top.id,
        latest_at: top.created_at,
    });
    NotificationGroup {
        key: f.key.clone(),
        kind: top.kind,
        count: f.members.len(),
        most_recent_id: top.id,
        sample_account_ids: samples,
        status_id: top.status_id,
        page,
    }
}

/// Groups whose newest notification is below `upper` and above `lower`, newest first,
/// each with all of its notifications (those at or below `lower` too, as Mastodon
/// counts them).
async fn groups_down(
    scan: &mut Scanner<'_>,
    grouped: &[NotificationType],
    upper: Option<Id>,
    lower: Option<Id>,
    limit: usize,
) -> CoreResult<Vec<Found>> {
    // A group with a notification at or above `upper` came on an earlier page. Only a
    // group whose window holds `upper`'s time can have notifications on both sides.
    let mut newer: HashSet<String> = HashSet::new();
    if let Some(u) = upper {
        let end = (window_hour(u.unix_ms() + SLACK_MS) + GROUP_SPAN_HOURS) * HOUR_MS + SLACK_MS;
        let mut walk = Walk::up(Id(u.0.saturating_sub(1)));
        'up: loop {
            let rows = scan.next(&mut walk).await?;
            if rows.is_empty() {
                break;
            }
            for n in rows {
                if n.created_at.as_millisecond() > end {
                    break 'up;
                }
                let (key, window) = key_and_window(&n, grouped);
                if window.is_some() {
                    newer.insert(key);
                }
            }
        }
    }
    let mut found: Vec<Found> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut open = true;
    let mut walk = Walk::down(upper, None);
    'down: loop {
        let rows = scan.next(&mut walk).await?;
        if rows.is_empty() {
            break;
        }
        for n in rows {
            if open && (found.len() >= limit || lower.is_some_and(|l| n.id <= l)) {
                open = false;
            }
            if !open {
                // Only the chosen groups' older notifications are wanted now.
                match oldest_window(&found) {
                    Some(start) if n.created_at.as_millisecond() >= start - SLACK_MS => {}
                    _ => break 'down,
                }
            }
            let (key, window) = key_and_window(&n, grouped);
            if let Some(&i) = index.get(&key) {
                found[i].members.push(n);
            } else if open && !newer.contains(&key) {
                index.insert(key.clone(), found.len());
                found.push(Found {
                    key,
                    members: vec![n],
                    window,
                });
            }
        }
    }
    Ok(found)
}

/// The `limit` groups whose newest notifications come right after `lower` (and below
/// `upper`), newest first, each with all of its notifications.
async fn groups_up(
    scan: &mut Scanner<'_>,
    grouped: &[NotificationType],
    lower: Id,
    upper: Option<Id>,
    limit: usize,
) -> CoreResult<Vec<Found>> {
    // Oldest first. A notification is its group's newest once the walk has passed the end
    // of the group's window (or the end of the notifications) without another.
    let mut rows: Vec<(Notification, String, Option<i64>)> = Vec::new();
    let mut last: HashMap<String, usize> = HashMap::new();
    let mut walk = Walk::up(lower);
    let positions: Vec<usize> = loop {
        let batch = scan.next(&mut walk).await?;
        let finished = batch.is_empty();
        for n in batch {
            let (key, window) = key_and_window(&n, grouped);
            last.insert(key.clone(), rows.len());
            rows.push((n, key, window));
        }
        let reached = rows
            .last()
            .map_or(i64::MIN, |r| r.0.created_at.as_millisecond());
        let mut positions = Vec::new();
        let mut complete = finished;
        for (i, (n, key, window)) in rows.iter().enumerate() {
            if upper.is_some_and(|u| n.id >= u) {
                complete = true;
                break;
            }
            if last[key] != i {
                continue;
            }
            let settled =
                finished || window.is_none_or(|start| reached > start + SPAN_MS + SLACK_MS);
            if !settled {
                break;
            }
            positions.push(i);
            if positions.len() == limit {
                complete = true;
                break;
            }
        }
        if complete {
            break positions;
        }
    };
    let mut found: Vec<Found> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for &i in positions.iter().rev() {
        let (_, key, window) = &rows[i];
        index.insert(key.clone(), found.len());
        found.push(Found {
            key: key.clone(),
            members: Vec::new(),
            window: *window,
        });
    }
    for (n, key, _) in rows.into_iter().rev() {
        if let Some(&i) = index.get(&key) {
            found[i].members.push(n);
        }
    }
    // Their notifications at or below `lower`.
    if let Some(start) = oldest_window(&found) {
        let mut walk = Walk::down(Some(Id(lower.0.saturating_add(1))), None);
        'tail: loop {
            let rows = scan.next(&mut walk).await?;
            if rows.is_empty() {
                break;
            }
            for n in rows {
                if n.created_at.as_millisecond() < start - SLACK_MS {
                    break 'tail;
                }
                let (key, _) = key_and_window(&n, grouped);
                if let Some(&i) = index.get(&key) {
                    found[i].members.push(n);
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: i64, kind: NotificationType, status: Option<i64>, at: &str) -> Notification {
        Notification {
            id: Id(id),
            account_id: Id(1),
            kind,
            from_account_id: Id(2),
            status_id: status.map(Id),
            created_at: at.parse().unwrap(),
        }
    }

    #[test]
    fn keys_follow_mastodon_and_twelve_hour_windows() {
        use NotificationType as T;
        let at = "2024-08-23T08:59:56Z";
        let hour = "2024-08-23T08:59:56Z"
            .parse::<Timestamp>()
            .unwrap()
            .as_second()
            / 3600;
        let start = hour - hour % 12;
        assert_eq!(
            group_key(&n(5, T::Favourite, Some(77), at)),
            format!("favourite-77-{start}")
        );
        assert_eq!(
            group_key(&n(5, T::Reblog, Some(77), at)),
            format!("reblog-77-{start}")
        );
        assert_eq!(
            group_key(&n(5, T::Follow, None, at)),
            format!("follow-{start}")
        );
        assert_eq!(group_key(&n(5, T::Mention, Some(77), at)), "ungrouped-5");
        assert_eq!(group_key(&n(5, T::FollowRequest, None, at)), "ungrouped-5");
        // Same window, same key; the next window, another.
        let early = n(6, T::Favourite, Some(77), "2024-08-23T00:00:00Z");
        let late = n(7, T::Favourite, Some(77), "2024-08-23T11:59:59Z");
        let next = n(8, T::Favourite, Some(77), "2024-08-23T12:00:00Z");
        assert_eq!(group_key(&early), group_key(&late));
        assert_ne!(group_key(&late), group_key(&next));
        // Not among the grouped types: a group of one.
        let only_reblogs = [T::Reblog];
        assert_eq!(key_and_window(&early, &only_reblogs).0, "ungrouped-6");
    }

    #[test]
    fn keys_parse_back() {
        assert!(matches!(
            parse_key("ungrouped-42"),
            Some(Key::Ungrouped(Id(42)))
        ));
        assert!(matches!(
            parse_key("favourite-77-479004"),
            Some(Key::Window {
                kind: NotificationType::Favourite,
                hour: 479_004
            })
        ));
        assert!(matches!(
            parse_key("follow-12"),
            Some(Key::Window {
                kind: NotificationType::Follow,
                hour: 12
            })
        ));
        for bad in [
            "",
            "ungrouped-",
            "ungrouped-x",
            "mention-1-2",
            "favourite",
            "nope-1",
        ] {
            assert!(parse_key(bad).is_none(), "{bad}");
        }
    }
}
