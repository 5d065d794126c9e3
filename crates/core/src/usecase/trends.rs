//! A region's trends (tags, posts, links), tag history, suggestions of whom to follow, the
//! `indexable` opt-in, and related posts from the search index.

use super::hydrate::StatusView;
use super::search::{empty_week, today, TagDay, TagView};
use super::Roost;
use crate::id::Id;
use crate::model::Account;
use crate::store::{SuggestionSource, TagUse};
use crate::CoreResult;
use std::collections::{HashMap, HashSet};

/// How far back trends look.
const TREND_DAYS: i64 = 7;
const STATUS_TREND_DAYS: i64 = 3;
/// Posts scanned for trending links.
const LINK_SCAN: u32 = 400;

/// A link posted in the region, as a PreviewCard is built from what roost knows (no page
/// is fetched): its URL, host, and the last week of uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTrend {
    pub url: String,
    pub host: String,
    pub history: Vec<TagDay>,
}

/// A suggested account and why.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub account: Account,
    pub source: SuggestionSource,
}

fn since_days(days: i64) -> jiff::Timestamp {
    let start = (today() - (days - 1)) * 86_400;
    jiff::Timestamp::from_second(start).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// Seven days of `rows` (one tag's or link's), newest first, empty days included.
fn week(rows: &[&TagUse]) -> Vec<TagDay> {
    let mut days = empty_week(today());
    for r in rows {
        if let Some(d) = days.iter_mut().find(|d| d.day == r.day * 86_400) {
            d.uses += r.uses;
            d.accounts += r.accounts;
        }
    }
    days
}

/// Recent accounts count most: each day back halves a day's weight.
fn score(days: &[TagDay]) -> f64 {
    days.iter()
        .enumerate()
        .map(|(back, d)| d.accounts as f64 / f64::from(1u32 << back.min(30)) + d.uses as f64 * 1e-3)
        .sum()
}

/// Tags by [`score`] of their week.
fn rank_tags(rows: &[TagUse], limit: u32, offset: u32) -> Vec<TagView> {
    let mut by_tag: HashMap<&str, Vec<&TagUse>> = HashMap::new();
    for r in rows {
        by_tag.entry(r.tag.as_str()).or_default().push(r);
    }
    let mut tags: Vec<TagView> = by_tag
        .into_iter()
        .map(|(name, rows)| TagView {
            name: name.to_string(),
            history: week(&rows),
            following: None,
        })
        .collect();
    tags.sort_by(|a, b| {
        score(&b.history)
            .total_cmp(&score(&a.history))
            .then_with(|| a.name.cmp(&b.name))
    });
    tags.into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect()
}

impl Roost {
    /// Mastodon's `history` of each tag (normalised names): the last seven days (UTC),
    /// newest first, uses in public posts here and how many accounts made them. For
    /// `/api/v1/tags/:name` and every Tag entity.
    pub async fn tag_history(&self, tags: &[String]) -> CoreResult<HashMap<String, Vec<TagDay>>> {
        if tags.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = self
            .store
            .tag_uses(since_days(TREND_DAYS), Some(tags))
            .await?;
        Ok(tags
            .iter()
            .map(|t| {
                let mine: Vec<&TagUse> = rows.iter().filter(|r| &r.tag == t).collect();
                (t.clone(), week(&mine))
            })
            .collect())
    }

    /// `GET /api/v1/trends/tags`: tags of the last week, by accounts using them, recent days
    /// weighing more.
    pub async fn trending_tags(&self, limit: u32, offset: u32) -> CoreResult<Vec<TagView>> {
        let rows = self.store.tag_uses(since_days(TREND_DAYS), None).await?;
        Ok(rank_tags(&rows, limit, offset))
    }

    /// This region's tag counts of the last week, as another region may ask for them.
    pub async fn local_tag_counts(&self) -> CoreResult<Vec<TagUse>> {
        Ok(self.store.tag_uses(since_days(TREND_DAYS), None).await?)
    }

    /// `GET /api/roost/v1/trends/tags?scope=cluster`: trends over every region whose
    /// policy lets its aggregate counts come here, asked through the gate (each answer is
    /// ledgered there as an `aggregate` transfer); a region that cannot be reached is
    /// left out. Only counts cross, never a post or an account.
    pub async fn cluster_trending_tags(&self, limit: u32, offset: u32) -> CoreResult<Vec<TagView>> {
        let mut rows = self.local_tag_counts().await?;
        let others: Vec<String> = self
            .cfg
            .cluster
            .regions
            .keys()
            .filter(|r| **r != self.cfg.region)
            .cloned()
            .collect();
        for region in others {
            let d = self.cfg.cluster.decide(
                &region,
                &self.cfg.region,
                roost_residency::DataClass::Aggregate,
            );
            if !d.allowed() {
                continue;
            }
            match self.remote.tag_counts(&region).await {
                Ok(theirs) => rows.extend(theirs),
                Err(e) => tracing::warn!(region, error = %e, "tag counts unavailable"),
            }
        }
        Ok(rank_tags(&rows, limit, offset))
    }

    /// `GET /api/v1/trends/statuses`: public posts of the last days by engagement.
    pub async fn trending_statuses(
        &self,
        viewer: Option<Id>,
        limit: u32,
        offset: u32,
    ) -> CoreResult<Vec<StatusView>> {
        let ids = self
            .store
            .engaged_statuses(since_days(STATUS_TREND_DAYS), limit, offset)
            .await?;
        let ids = self.unhidden(viewer, ids).await?;
        self.hydrate(&ids, viewer).await
    }

    /// `GET /api/v1/trends/links`: URLs in the region's engaged public posts of the last
    /// week, by how many accounts posted them.
    pub async fn trending_links(&self, limit: u32, offset: u32) -> CoreResult<Vec<LinkTrend>> {
        let ids = self
            .store
            .engaged_statuses(since_days(TREND_DAYS), LINK_SCAN, 0)
            .await?;
        let statuses = self.store.statuses(&ids).await?;
        let mut uses: HashMap<String, Vec<TagUse>> = HashMap::new();
        for s in &statuses {
            for url in crate::text::parse(&s.text).links {
                let day = s.created_at.as_second().div_euclid(86_400);
                let rows = uses.entry(url.clone()).or_default();
                match rows.iter_mut().find(|r| r.day == day) {
                    Some(r) => r.uses += 1,
                    None => rows.push(TagUse {
                        tag: url,
                        day,
                        uses: 1,
                        accounts: 0,
                    }),
                }
            }
        }
        // Accounts per link and day: distinct authors.
        let mut authors: HashMap<(String, i64), HashSet<Id>> = HashMap::new();
        for s in &statuses {
            for url in crate::text::parse(&s.text).links {
                let day = s.created_at.as_second().div_euclid(86_400);
                authors.entry((url, day)).or_default().insert(s.account_id);
            }
        }
        let mut links: Vec<LinkTrend> = uses
            .into_iter()
            .map(|(url, mut rows)| {
                for r in &mut rows {
                    r.accounts = authors
                        .get(&(url.clone(), r.day))
                        .map_or(0, |a| a.len() as i64);
                }
                let refs: Vec<&TagUse> = rows.iter().collect();
                LinkTrend {
                    host: url::host_of(&url),
                    history: week(&refs),
                    url,
                }
            })
            .collect();
        links.sort_by(|a, b| {
            score(&b.history)
                .total_cmp(&score(&a.history))
                .then_with(|| a.url.cmp(&b.url))
        });
        Ok(links
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect())
    }

    /// `GET /api/v2/suggestions`.
    pub async fn suggestions(&self, viewer: Id, limit: u32) -> CoreResult<Vec<Suggestion>> {
        let rows = self.store.suggestions(viewer, limit).await?;
        let ids: Vec<Id> = rows.iter().map(|(id, _)| *id).collect();
        let accounts = self.accounts(&ids).await?;
        self.load_moderation().await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, source)| {
                let account = accounts.iter().find(|a| a.id == id)?.clone();
                (!self.hides(&account)).then_some(Suggestion { account, source })
            })
            .collect())
    }

    /// `DELETE /api/v1/suggestions/:account_id`.
    pub async fn dismiss_suggestion(&self, viewer: Id, target: Id) -> CoreResult<()> {
        Ok(self.store.dismiss_suggestion(viewer, target).await?)
    }

    pub async fn indexable(&self, account: Id) -> CoreResult<bool> {
        Ok(self.store.indexable(account).await?)
    }

    /// `indexable` of `PATCH /api/v1/accounts/update_credentials`.
    pub async fn set_indexable(&self, account: Id, indexable: bool) -> CoreResult<()> {
        Ok(self.store.set_indexable(account, indexable).await?)
    }

    /// Posts related to `status` that the viewer may see: from the search index (similar
    /// words and tags, Chinese segmented as in search), or, without an index or when it
    /// finds nothing, the store's rule (shared tags, mentions, same author).
    pub async fn related(
        &self,
        status: Id,
        viewer: Option<Id>,
        limit: u32,
    ) -> CoreResult<Vec<StatusView>> {
        if let (Some(index), Some(s)) = (
            self.search_index().cloned(),
            self.store.status(status).await?,
        ) {
            let tags: Vec<String> = self
                .store
                .tags(&[status])
                .await?
                .into_iter()
                .map(|(_, t)| t)
                .collect();
            let text = format!("{} {}", s.spoiler_text, s.text);
            let want = (limit as usize) * 3 + 10;
            let found =
                tokio::task::spawn_blocking(move || index.similar(&text, &tags, status, want))
                    .await
                    .map_err(|e| crate::CoreError::Internal(e.to_string()))?;
            if let Ok(ids) = found {
                let visible: HashSet<Id> = self
                    .store
                    .visible_ids(viewer, &ids)
                    .await?
                    .into_iter()
                    .collect();
                let ids: Vec<Id> = ids.into_iter().filter(|i| visible.contains(i)).collect();
                let mut ids = self.unhidden(viewer, ids).await?;
                ids.truncate(limit as usize);
                if !ids.is_empty() {
                    return self.hydrate(&ids, viewer).await;
                }
            }
        }
        let ids = self.store.related_statuses(status, viewer, limit).await?;
        self.hydrate(&ids, viewer).await
    }
}

mod url {
    /// The host of an `http(s)` URL as the text parser found it.
    pub(super) fn host_of(u: &str) -> String {
        let rest = u.split_once("://").map_or(u, |(_, r)| r);
        rest.split(['/', '?', '#'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    }
}
