//! Turning status IDs into full views (author, mentions, tags, reblogged and quoted
//! statuses, the viewer's flags, view counts) with a fixed number of batched store reads
//! per page, whatever its length.

use super::Roost;
use crate::id::Id;
use crate::model::{Account, Notification, Status, ViewCount, ViewerFlags};
use crate::CoreResult;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
pub struct StatusView {
    pub status: Status,
    pub account: Account,
    pub mentions: Vec<Account>,
    pub tags: Vec<String>,
    /// The reblogged status, when this one is a reblog.
    pub reblog: Option<Box<StatusView>>,
    pub quote: Option<QuoteView>,
    /// Present when there is a signed-in viewer.
    pub flags: Option<ViewerFlags>,
    pub views: ViewCount,
    /// Fetched live from its home region for this answer and kept nowhere here.
    pub transit: bool,
    /// The viewer's filters it matches (Mastodon's `filtered`), whatever the context:
    /// as in Mastodon, the client (or the web page) decides by each filter's context.
    pub filtered: Vec<crate::filtering::FilterMatch>,
    /// Its poll, tallied, with the viewer's own votes.
    pub poll: Option<crate::model::Poll>,
    /// Attachments in order, with URLs this viewer may use.
    pub media: Vec<super::media::MediaView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteState {
    Accepted,
    Deleted,
    /// The viewer may not see the quoted status.
    Unauthorized,
}

#[derive(Debug, Clone)]
pub struct QuoteView {
    pub state: QuoteState,
    pub quoted_id: Id,
    /// The quoted status, only for an accepted quote at the top level; a quote inside a
    /// quote is shallow (ID and state), as in Mastodon.
    pub status: Option<Box<StatusView>>,
}

#[derive(Debug, Clone)]
pub struct NotificationView {
    pub notification: Notification,
    pub account: Account,
    pub status: Option<StatusView>,
}

struct Loaded {
    statuses: HashMap<Id, Status>,
    accounts: HashMap<Id, Account>,
    mentions: HashMap<Id, Vec<Id>>,
    tags: HashMap<Id, Vec<String>>,
    flags: HashMap<Id, ViewerFlags>,
    views: HashMap<Id, ViewCount>,
    visible_quotes: HashSet<Id>,
    polls: HashMap<Id, crate::model::Poll>,
    viewer: Option<Id>,
    has_viewer: bool,
    media: HashMap<Id, Vec<super::media::MediaView>>,
}

impl Roost {
    pub async fn hydrate_one(&self, id: Id, viewer: Option<Id>) -> CoreResult<Option<StatusView>> {
        Ok(self.hydrate(&[id], viewer).await?.pop())
    }

    /// Views of `ids` in the given order; IDs that no longer exist are skipped.
    /// Callers have already checked that the viewer may see these statuses.
    pub async fn hydrate(&self, ids: &[Id], viewer: Option<Id>) -> CoreResult<Vec<StatusView>> {
        self.hydrate_as(ids, viewer, true).await
    }

    /// `hydrate`; with `hide` false, posts of suspended accounts are kept (moderators
    /// reviewing a report still see what was reported).
    pub(crate) async fn hydrate_as(
        &self,
        ids: &[Id],
        viewer: Option<Id>,
        hide: bool,
    ) -> CoreResult<Vec<StatusView>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.load_moderation().await?;
        let day = self.views.today();
        let (b, views) = {
            // Stored view counts and pending ones are read under one guard (see views.rs).
            let _g = self.views.reading().await;
            let b = self.store.status_bundle(ids, viewer, day).await?;
            let all: Vec<Id> = b.statuses.iter().map(|s| s.id).collect();
            let mut views: HashMap<Id, ViewCount> = b.views.iter().copied().collect();
            self.views.add_pending(&mut views, &all, day);
            (b, views)
        };
        let mut mentions: HashMap<Id, Vec<Id>> = HashMap::new();
        for (sid, aid) in b.mentions {
            mentions.entry(sid).or_default().push(aid);
        }
        let mut tags: HashMap<Id, Vec<String>> = HashMap::new();
        for (sid, t) in b.tags {
            tags.entry(sid).or_default().push(t);
        }
        let statuses: HashMap<Id, Status> = b.statuses.into_iter().map(|s| (s.id, s)).collect();
        // Without its author a status is not built: a suspended account's posts, the
        // reblogs of them and the mentions of it vanish here (see moderation.rs).
        let accounts: HashMap<Id, Account> = b
            .accounts
            .into_iter()
            .filter(|a| !hide || !self.hides(a))
            .map(|a| (a.id, a))
            .collect();
        let flags: HashMap<Id, ViewerFlags> = b.flags.into_iter().collect();
        let visible_quotes: HashSet<Id> = b.visible_quotes.into_iter().collect();
        let polls = b.polls.into_iter().map(|p| (p.status_id, p)).collect();
        let media = self.media_by_status(&statuses, b.media, viewer);

        let loaded = Loaded {
            statuses,
            accounts,
            mentions,
            tags,
            flags,
            views,
            visible_quotes,
            polls,
            viewer,
            has_viewer: viewer.is_some(),
            media,
        };
        let mut views: Vec<StatusView> = ids.iter().filter_map(|id| loaded.build(*id, 0)).collect();
        if let Some(v) = viewer {
            // One cached read of the viewer's filters for the whole page.
            let filters = self.filters_for(v).await?;
            for view in views.iter_mut() {
                crate::usecase::filters::mark(&filters, view);
            }
        }
        Ok(views)
    }

    pub(crate) async fn hydrate_notifications(
        &self,
        items: Vec<Notification>,
        viewer: Id,
    ) -> CoreResult<Vec<NotificationView>> {
        self.load_moderation().await?;
        let mut account_ids: Vec<Id> = items.iter().map(|n| n.from_account_id).collect();
        account_ids.sort_unstable();
        account_ids.dedup();
        let accounts: HashMap<Id, Account> = self
            .store
            .accounts(&account_ids)
            .await?
            .into_iter()
            .filter(|a| !self.hides(a))
            .map(|a| (a.id, a))
            .collect();
        let status_ids: Vec<Id> = items.iter().filter_map(|n| n.status_id).collect();
        let visible: HashSet<Id> = if status_ids.is_empty() {
            HashSet::new()
        } else {
            self.store
                .visible_ids(Some(viewer), &status_ids)
                .await?
                .into_iter()
                .collect()
        };
        let visible_list: Vec<Id> = status_ids
            .iter()
            .copied()
            .filter(|id| visible.contains(id))
            .collect();
        let statuses: HashMap<Id, StatusView> = self
            .hydrate(&visible_list, Some(viewer))
            .await?
            .into_iter()
            .map(|v| (v.status.id, v))
            .collect();
        Ok(items
            .into_iter()
            .filter_map(|n| {
                let account = accounts.get(&n.from_account_id)?.clone();
                let status = match n.status_id {
                    // A notification about a status the viewer can no longer see is dropped.
                    Some(sid) => Some(statuses.get(&sid)?.clone()),
                    None => None,
                };
                Some(NotificationView {
                    notification: n,
                    account,
                    status,
                })
            })
            .collect())
    }
}

impl Loaded {
    fn build(&self, id: Id, depth: u8) -> Option<StatusView> {
        let status = self.statuses.get(&id)?.clone();
        let account = self.accounts.get(&status.account_id)?.clone();
        let mentions = self
            .mentions
            .get(&id)
            .map(|ids| {
                ids.iter()
                    .filter_map(|a| self.accounts.get(a).cloned())
                    .collect()
            })
            .unwrap_or_default();
        let reblog = match status.reblog_of_id {
            Some(r) if depth == 0 => Some(Box::new(self.build(r, depth + 1)?)),
            Some(_) => None,
            None => None,
        };
        let quote = status.quote_of_id.map(|q| {
            let state = if !self.statuses.contains_key(&q) && depth < 2 {
                QuoteState::Deleted
            } else if depth < 2 && !self.visible_quotes.contains(&q) {
                QuoteState::Unauthorized
            } else {
                QuoteState::Accepted
            };
            let nested = if state == QuoteState::Accepted && depth < 2 {
                // Quoted statuses come one level down; their own quotes are shallow.
                self.build(q, 2).map(Box::new)
            } else {
                None
            };
            QuoteView {
                state,
                quoted_id: q,
                status: nested,
            }
        });
        let flags = if self.has_viewer {
            Some(self.flags.get(&id).copied().unwrap_or_default())
        } else {
            None
        };
        let views = match status.reblog_of_id {
            Some(r) => self.views.get(&r).copied().unwrap_or_default(),
            None => self.views.get(&id).copied().unwrap_or_default(),
        };
        let p_author = status.account_id;
        Some(StatusView {
            tags: self.tags.get(&id).cloned().unwrap_or_default(),
            status,
            account,
            mentions,
            reblog,
            quote,
            flags,
            views,
            transit: false,
            filtered: Vec::new(),
            poll: self.polls.get(&id).cloned().map(|mut p| {
                p.viewer_is_author = self.viewer == Some(p_author);
                p
            }),
            media: self.media.get(&id).cloned().unwrap_or_default(),
        })
    }
}
