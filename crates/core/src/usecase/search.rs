//! Search (`/api/v2/search`, account and tag search) and keeping the status index in step
//! with the store: the use cases announce the IDs of statuses they wrote as
//! [`Change::Status`] (heard by every node of the region), each node's worker reads them
//! back and applies them to the index off the request path; at start and periodically
//! the index is reconciled with the store, so a crash or a removal by another path
//! (retention, an account's deletion) leaves it behind only until then.

use super::hydrate::StatusView;
use super::Roost;
use crate::cache::Change;
use crate::id::Id;
use crate::model::{Account, Status, Visibility};
use crate::search::{parse_operators, Has, IndexDoc, IndexQuery, SearchError, SearchIndex};
use crate::{CoreError, CoreResult};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The index, set once by the server; its worker's queue is fed by the caches.
#[derive(Default)]
pub(crate) struct SearchState {
    index: OnceLock<Arc<dyn SearchIndex>>,
}

/// How long the worker gathers IDs before one index commit: the bound on how long an
/// acknowledged post takes to become searchable (plus the commit itself).
const BATCH_WINDOW: Duration = Duration::from_millis(100);
const BATCH_MAX: usize = 1000;
/// Store pages read by a rebuild or reconciliation.
const RECONCILE_PAGE: u32 = 2000;
/// Index candidates of the first round of filtering (at least twice the page, so that
/// most searches take one round with a small visibility check), the most of a later
/// round (each doubles), and how many rounds at most.
const CANDIDATES: usize = 40;
const CANDIDATES_MAX: usize = 1000;
const ROUNDS: usize = 5;

/// The worker's side of the queue; [`Roost::run_indexer`] consumes it.
pub struct IndexQueue(mpsc::UnboundedReceiver<Id>);

/// `GET /api/v2/search`'s parameters.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    pub kind: Option<SearchKind>,
    pub resolve: bool,
    pub following: bool,
    pub account_id: Option<Id>,
    pub limit: u32,
    pub offset: u32,
    pub min_id: Option<Id>,
    pub max_id: Option<Id>,
    /// Mastodon's `exclude_unreviewed`: only hashtags a moderator reviewed, besides the
    /// exact match. Tags are never reviewed here (trends need no review step), so this
    /// leaves the exact match only.
    pub exclude_unreviewed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    Accounts,
    Hashtags,
    Statuses,
}

/// One day of a tag's use (Mastodon's `history` entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagDay {
    /// Unix time (seconds) of the day's start, UTC.
    pub day: i64,
    pub uses: i64,
    pub accounts: i64,
}

pub use super::followed_tags::TagView;

#[derive(Debug, Default)]
pub struct SearchResults {
    pub accounts: Vec<Account>,
    pub statuses: Vec<StatusView>,
    pub hashtags: Vec<TagView>,
}

fn backend(e: SearchError) -> CoreError {
    CoreError::Store(crate::store::StoreError::Backend(Box::new(e)))
}

/// What the index keeps of a status (`None` for what it never holds: reblogs).
pub(crate) fn index_doc(
    s: &Status,
    tags: Vec<String>,
    has: Vec<Has>,
    foreign: bool,
) -> Option<IndexDoc> {
    if s.reblog_of_id.is_some() {
        return None;
    }
    let text = if s.spoiler_text.is_empty() {
        s.text.clone()
    } else {
        format!("{}\n{}", s.spoiler_text, s.text)
    };
    let link = !crate::text::parse(&s.text).links.is_empty();
    Some(IndexDoc {
        id: s.id,
        author: s.account_id,
        text,
        tags,
        language: s.language.clone(),
        reply: s.in_reply_to_id.is_some(),
        sensitive: s.sensitive,
        link,
        public: s.visibility == Visibility::Public,
        has,
        created_at: s.created_at,
        edited_at: s.edited_at,
        foreign,
    })
}

impl Roost {
    /// Plugs the index in; returns the queue [`Roost::run_indexer`] works through. Once.
    pub fn attach_search(&self, index: Arc<dyn SearchIndex>) -> Option<IndexQueue> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.search.index.set(index).ok()?;
        self.caches.listen_statuses(tx);
        Some(IndexQueue(rx))
    }

    pub fn search_index(&self) -> Option<&Arc<dyn SearchIndex>> {
        self.search.index.get()
    }

    /// Queues a status written, edited or deleted for the index of this node and, on a
    /// region of several nodes, of the others.
    pub(crate) fn search_touch(&self, id: Id) {
        self.invalidation.changed(&Change::Status(id));
    }

    /// Queues statuses removed by a path outside the use cases (retention).
    pub fn search_forget(&self, ids: &[Id]) {
        for id in ids {
            self.search_touch(*id);
        }
    }

    /// Reads the statuses of `ids` back from the store and applies them to the index:
    /// present ones replaced, missing ones removed.
    async fn index_ids(&self, ids: &[Id]) -> CoreResult<()> {
        let Some(index) = self.search.index.get().cloned() else {
            return Ok(());
        };
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        let found = self.store.statuses(&ids).await?;
        let mut tags: HashMap<Id, Vec<String>> = HashMap::new();
        for (id, t) in self.store.tags(&ids).await? {
            tags.entry(id).or_default().push(t);
        }
        // Attachments and polls of the whole batch, one read each.
        let mut kinds: HashMap<Id, Vec<crate::media::MediaKind>> = HashMap::new();
        for m in self.store.status_media(&ids).await? {
            if let Some(s) = m.status_id {
                kinds.entry(s).or_default().push(m.kind);
            }
        }
        let polls: HashSet<Id> = self
            .store
            .polls(&ids, None)
            .await?
            .into_iter()
            .map(|p| p.status_id)
            .collect();
        let present: HashSet<Id> = found.iter().map(|s| s.id).collect();
        let upserts: Vec<IndexDoc> = found
            .iter()
            .filter_map(|s| {
                let has = Has::of(
                    kinds.get(&s.id).map_or(&[][..], |k| &k[..]),
                    polls.contains(&s.id),
                );
                index_doc(
                    s,
                    tags.remove(&s.id).unwrap_or_default(),
                    has,
                    self.is_foreign_id(s.id),
                )
            })
            .collect();
        let removes: Vec<Id> = ids.into_iter().filter(|i| !present.contains(i)).collect();
        tokio::task::spawn_blocking(move || index.apply(upserts, &removes))
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?
            .map_err(backend)
    }

    /// Brings the index in line with the store: indexes what it lacks or holds in an
    /// older edit, removes what the store no longer has. "Behind" is decided by the IDs
    /// and edit times the two hold, not by a counter, so nothing a crash lost stays lost.
    pub async fn reconcile_index(&self) -> CoreResult<(usize, usize)> {
        let Some(index) = self.search.index.get().cloned() else {
            return Ok((0, 0));
        };
        let held = {
            let index = index.clone();
            tokio::task::spawn_blocking(move || index.states())
                .await
                .map_err(|e| CoreError::Internal(e.to_string()))?
                .map_err(backend)?
        };
        let mut held: HashMap<Id, Option<jiff::Timestamp>> =
            held.into_iter().map(|s| (s.id, s.edited_at)).collect();
        let (mut added, mut removed) = (0, 0);
        let mut after = Id(0);
        loop {
            let page = self.store.index_states(after, RECONCILE_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            let stale: Vec<Id> = page
                .iter()
                .filter(|(id, edited)| held.remove(id) != Some(*edited))
                .map(|(id, _)| *id)
                .collect();
            added += stale.len();
            for chunk in stale.chunks(BATCH_MAX) {
                self.index_ids(chunk).await?;
            }
        }
        let gone: Vec<Id> = held.into_keys().collect();
        removed += gone.len();
        if !gone.is_empty() {
            tokio::task::spawn_blocking(move || index.apply(Vec::new(), &gone))
                .await
                .map_err(|e| CoreError::Internal(e.to_string()))?
                .map_err(backend)?;
        }
        Ok((added, removed))
    }

    /// The index worker: reconciles once, then applies queued IDs in batches, and
    /// reconciles again every `reconcile_every`, until shutdown.
    pub async fn run_indexer(
        self: Arc<Self>,
        mut queue: IndexQueue,
        reconcile_every: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        match self.reconcile_index().await {
            Ok((a, r)) => tracing::info!(indexed = a, removed = r, "search index reconciled"),
            Err(e) => tracing::warn!(error = %e, "search index reconciliation failed"),
        }
        let mut tick = tokio::time::interval(reconcile_every);
        tick.tick().await;
        loop {
            let first = tokio::select! {
                id = queue.0.recv() => id,
                _ = tick.tick() => {
                    if let Err(e) = self.reconcile_index().await {
                        tracing::warn!(error = %e, "search index reconciliation failed");
                    }
                    continue;
                }
                _ = shutdown.changed() => None,
            };
            let Some(first) = first else { break };
            let mut batch = vec![first];
            let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
            while batch.len() < BATCH_MAX {
                match tokio::time::timeout_at(deadline, queue.0.recv()).await {
                    Ok(Some(id)) => batch.push(id),
                    _ => break,
                }
            }
            if let Err(e) = self.index_ids(&batch).await {
                // Reconciliation picks these up later.
                tracing::warn!(error = %e, n = batch.len(), "indexing failed");
            }
        }
    }

    /// `GET /api/v2/search`: accounts, hashtags and statuses for `q`. Signed out, as
    /// Mastodon: no statuses, no `resolve`, no `offset` (the handler refuses those two).
    pub async fn search(
        &self,
        viewer: Option<&Account>,
        req: &SearchRequest,
    ) -> CoreResult<SearchResults> {
        let mut out = SearchResults::default();
        let q = req.q.trim();
        if q.is_empty() {
            return Ok(out);
        }
        let limit = req.limit.clamp(1, super::MAX_LIMIT);
        let wants = |k: SearchKind| req.kind.is_none_or(|want| want == k);
        let vid = viewer.map(|v| v.id);
        // A URL or handle names one thing; it is looked up (across regions through the
        // gate when `resolve`) and returned alone, as Mastodon does.
        if let Some(found) = self.resolve_reference(q, vid, req.resolve).await? {
            match found {
                Resolved::Account(a) if wants(SearchKind::Accounts) => out.accounts.push(*a),
                Resolved::Status(s) if wants(SearchKind::Statuses) => out.statuses.push(*s),
                _ => {}
            }
            return Ok(out);
        }
        if wants(SearchKind::Accounts) && req.max_id.is_none() && req.min_id.is_none() {
            out.accounts = self
                .search_accounts(q, vid, req.following, limit, req.offset)
                .await?;
        }
        if wants(SearchKind::Hashtags) && req.max_id.is_none() && req.min_id.is_none() {
            out.hashtags = self.search_tags(q, limit, req.offset).await?;
            if req.exclude_unreviewed {
                let exact = crate::text::normalize_tag(q.trim().trim_start_matches('#'));
                out.hashtags.retain(|t| t.name == exact);
            }
        }
        if wants(SearchKind::Statuses) {
            if let Some(v) = viewer {
                out.statuses = self.search_statuses(v, req, limit).await?;
            }
        }
        Ok(out)
    }

    /// `GET /api/v1/accounts/search` and the accounts of a search.
    pub async fn search_accounts(
        &self,
        q: &str,
        viewer: Option<Id>,
        following: bool,
        limit: u32,
        offset: u32,
    ) -> CoreResult<Vec<Account>> {
        let q = q.trim().trim_start_matches('@');
        // `name@this-domain` searches for `name`.
        let q = match q.split_once('@') {
            Some((n, d)) if d.eq_ignore_ascii_case(&self.cfg.domain) => n,
            _ => q,
        };
        let ids = self
            .store
            .search_accounts(q, viewer, following && viewer.is_some(), limit, offset)
            .await?;
        let accounts = self.accounts(&ids).await?;
        self.load_moderation().await?;
        Ok(accounts.into_iter().filter(|a| !self.hides(a)).collect())
    }

    /// Hashtag search and autocomplete: tags used here starting with `q`.
    pub async fn search_tags(&self, q: &str, limit: u32, offset: u32) -> CoreResult<Vec<TagView>> {
        let name = q.trim().trim_start_matches('#');
        if !crate::text::is_valid_tag(name) {
            return Ok(Vec::new());
        }
        let name = crate::text::normalize_tag(name);
        let tags = self.store.search_tags(&name, limit, offset).await?;
        let mut history = self.tag_history(&tags).await?;
        Ok(tags
            .into_iter()
            .map(|t| TagView {
                history: history.remove(&t).unwrap_or_else(|| empty_week(today())),
                name: t,
                following: None,
            })
            .collect())
    }

    async fn search_statuses(
        &self,
        viewer: &Account,
        req: &SearchRequest,
        limit: u32,
    ) -> CoreResult<Vec<StatusView>> {
        let Some(index) = self.search.index.get().cloned() else {
            return Ok(Vec::new());
        };
        let ops = parse_operators(&req.q);
        if ops.has_unknown {
            return Ok(Vec::new());
        }
        let from = match ops.from.as_deref() {
            Some("me") => Some(viewer.id),
            Some(acct) => match self.lookup(acct).await {
                Ok(a) => Some(a.id),
                Err(CoreError::NotFound(_)) => return Ok(Vec::new()),
                Err(e) => return Err(e),
            },
            None => None,
        };
        let author = match (from, req.account_id) {
            (Some(a), Some(b)) if a != b => return Ok(Vec::new()),
            (a, b) => a.or(b),
        };
        let mut query = IndexQuery {
            words: ops.words.clone(),
            tags: ops.tags.clone(),
            author,
            language: ops.language.clone(),
            reply: ops.reply,
            sensitive: ops.sensitive,
            link: ops.has_link.then_some(true),
            public: (ops.scope == Some(crate::search::Scope::Public)).then_some(true),
            has: ops.has.clone(),
            after: ops.after,
            before: ops.before,
            min_id: req.min_id,
            max_id: req.max_id,
            limit: 0,
        };
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let want = (req.offset + limit) as usize;
        query.limit = (2 * want).clamp(CANDIDATES, CANDIDATES_MAX);
        let mut kept: Vec<Id> = Vec::new();
        for _ in 0..ROUNDS {
            let q = query.clone();
            let index = index.clone();
            let ids = tokio::task::spawn_blocking(move || index.query(&q))
                .await
                .map_err(|e| CoreError::Internal(e.to_string()))?
                .map_err(backend)?;
            let full = ids.len() == query.limit;
            let Some(&oldest) = ids.last() else { break };
            let ok: HashSet<Id> = self
                .store
                .searchable(viewer.id, &ids, ops.scope)
                .await?
                .into_iter()
                .collect();
            let ids: Vec<Id> = ids.into_iter().filter(|i| ok.contains(i)).collect();
            kept.extend(self.unhidden(Some(viewer.id), ids).await?);
            if kept.len() >= want || !full {
                break;
            }
            query.max_id = Some(oldest);
            query.limit = (2 * query.limit).min(CANDIDATES_MAX);
        }
        let page: Vec<Id> = kept
            .into_iter()
            .skip(req.offset as usize)
            .take(limit as usize)
            .collect();
        self.hydrate(&page, Some(viewer.id)).await
    }

    /// A status URL, a profile URL or `@name@domain` of any region of the cluster.
    async fn resolve_reference(
        &self,
        q: &str,
        viewer: Option<Id>,
        resolve: bool,
    ) -> CoreResult<Option<Resolved>> {
        if q.starts_with("https://") || q.starts_with("http://") {
            let Some((region, path)) = self.cfg.cluster.regions.values().find_map(|r| {
                q.strip_prefix(r.base_url.trim_end_matches('/'))
                    .map(|p| (r.code.clone(), p.to_string()))
            }) else {
                return Ok(None);
            };
            let local = region == self.cfg.region;
            let segs: Vec<&str> = path
                .split(['?', '#'])
                .next()
                .unwrap_or("")
                .split('/')
                .filter(|s| !s.is_empty())
                .collect();
            let status_id = match segs.as_slice() {
                [user, id] if user.starts_with('@') => id.parse::<i64>().ok(),
                ["users", _, "statuses", id] | ["ap", "statuses", id] => id.parse::<i64>().ok(),
                _ => None,
            };
            if let Some(id) = status_id {
                let id = Id(id);
                if !local && !resolve && self.store.status(id).await?.is_none() {
                    return Ok(None);
                }
                return match self.status(id, viewer).await {
                    Ok(s) => Ok(Some(Resolved::Status(Box::new(s)))),
                    Err(CoreError::NotFound(_)) => Ok(None),
                    Err(e) => Err(e),
                };
            }
            let name = match segs.as_slice() {
                [user] if user.starts_with('@') => user.trim_start_matches('@'),
                ["users", user] => user,
                _ => return Ok(None),
            };
            return self.resolve_account(name, &region, resolve).await;
        }
        let acct = q.trim_start_matches('@');
        let Some((name, domain)) = acct.split_once('@') else {
            return Ok(None);
        };
        let Some(region) = self
            .cfg
            .cluster
            .region_by_domain(domain)
            .map(|r| r.code.clone())
        else {
            return Ok(None);
        };
        self.resolve_account(name, &region, resolve).await
    }

    async fn resolve_account(
        &self,
        name: &str,
        region: &str,
        resolve: bool,
    ) -> CoreResult<Option<Resolved>> {
        let found = if region == self.cfg.region {
            self.store.findable_account_by_username(name).await?
        } else if resolve {
            match self.foreign_account(name, region).await {
                Ok(a) => Some(a),
                Err(CoreError::NotFound(_)) => None,
                Err(e) => return Err(e),
            }
        } else {
            self.store.account_by_handle(name, region).await?
        };
        self.load_moderation().await?;
        Ok(found
            .filter(|a| !self.hides(a))
            .map(|a| Resolved::Account(Box::new(a))))
    }
}

enum Resolved {
    Account(Box<Account>),
    Status(Box<StatusView>),
}

/// Today's day number (UTC).
pub(crate) fn today() -> i64 {
    super::now().as_second().div_euclid(86_400)
}

/// Seven days of nothing, newest first.
pub(crate) fn empty_week(today: i64) -> Vec<TagDay> {
    (0..7)
        .map(|back| TagDay {
            day: (today - back) * 86_400,
            uses: 0,
            accounts: 0,
        })
        .collect()
}
