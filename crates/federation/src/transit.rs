//! Posts another region lets us see only in transit: fetched live through the gate when
//! a timeline or a post is read, checked against what the sending region speaks for, and
//! held for a few seconds in memory (never written anywhere).

use crate::ap::{self, Actor, Note};
use crate::convert;
use crate::gate::Transfer;
use crate::service::{unavailable, Federation};
use roost_core::model::*;
use roost_core::remote::TransitStatus;
use roost_core::{CoreError, CoreResult, Id};
use roost_residency::DataClass;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Body of the roost extension that fetches posts live (`POST /ap/roost/timeline`).
#[derive(Debug, Serialize, Deserialize)]
pub struct TimelineQuery {
    pub viewer: Option<Id>,
    pub authors: Vec<Id>,
    pub max_id: Option<Id>,
    pub since_id: Option<Id>,
    pub min_id: Option<Id>,
    pub limit: u32,
}

/// Body of `POST /ap/roost/status`.
#[derive(Debug, Serialize, Deserialize)]
pub struct StatusQuery {
    pub viewer: Option<Id>,
    pub id: Id,
}

/// Answer of both: notes with their authors' actors.
#[derive(Debug, Serialize, Deserialize)]
pub struct TransitItems {
    pub items: Vec<TransitItem>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TransitItem {
    pub note: Note,
    pub actor: Actor,
}

/// Bounded, short-lived memory of live fetches. Never written anywhere.
#[derive(Default)]
pub(crate) struct TransitCache {
    entries: HashMap<String, (Instant, Arc<Vec<TransitStatus>>)>,
}

const CACHE_MAX: usize = 10_000;

impl Federation {
    /// Posts of `region` as it sent them, each kept only if that region speaks for it
    /// (its own post, by its own author).
    pub(crate) fn transit_statuses(&self, region: &str, items: TransitItems) -> Vec<TransitStatus> {
        let base = self.base_of(region);
        let cluster = self.gate.cluster();
        let mut out = Vec::new();
        for it in items.items {
            let Ok(p) = convert::parse_note(cluster, region, &it.note) else {
                continue;
            };
            let author_id = convert::id_of_region(cluster, region, &it.actor.id, "users");
            if author_id != Some(p.status.account_id) || it.actor.home_region != region {
                continue;
            }
            let author_id = p.status.account_id;
            let mentions = p
                .mentions
                .iter()
                .filter_map(|a| convert::address_account(cluster, a))
                .collect();
            let views = it
                .note
                .views
                .as_ref()
                .map(|v| ViewCount {
                    total: v.total,
                    today: v.today,
                })
                .unwrap_or_default();
            // Only files minted by the post's home region.
            let media = ap::foreign_media(&it.note)
                .into_iter()
                .filter(|m| m.id.region() == author_id.region())
                .collect();
            // The poll with its home's counts, shown as they are: votes go to the home.
            let poll = convert::poll_of(&it.note).map(|(new, votes, voters)| Poll {
                status_id: p.status.id,
                options: new.options,
                votes,
                voters_count: voters,
                multiple: new.multiple,
                hide_totals: new.hide_totals,
                expires_at: new.expires_at,
                own_votes: None,
                viewer_is_author: false,
            });
            out.push(TransitStatus {
                poll,
                media,
                author: it.actor.to_account(author_id, true, &base),
                status: p.status,
                mentions,
                tags: p.tags,
                views,
            });
        }
        out
    }

    async fn live(
        &self,
        region: &str,
        path: &str,
        t: Transfer,
        body: &impl Serialize,
    ) -> CoreResult<Vec<TransitStatus>> {
        let body = serde_json::to_vec(body).unwrap_or_default();
        let key = format!("{region}{path}{}", String::from_utf8_lossy(&body));
        if let Some((at, hit)) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .get(&key)
        {
            if at.elapsed() < self.transit_ttl {
                return Ok(hit.as_ref().clone());
            }
        }
        let bytes = self
            .gate
            .query(&t, path, &body)
            .await
            .map_err(unavailable)?;
        let items: TransitItems = serde_json::from_slice(&bytes).map_err(|e| {
            CoreError::Unavailable(format!("region {region} sent a bad answer: {e}"))
        })?;
        let out = self.transit_statuses(region, items);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let ttl = self.transit_ttl;
        if cache.entries.len() >= CACHE_MAX {
            cache.entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if cache.entries.len() >= CACHE_MAX {
                cache.entries.clear();
            }
        }
        cache
            .entries
            .insert(key, (Instant::now(), Arc::new(out.clone())));
        Ok(out)
    }

    pub(crate) async fn live_home(&self, viewer: Id, page: Page) -> CoreResult<Vec<TransitStatus>> {
        if !self.inbound_transit {
            return Ok(Vec::new());
        }
        let followed = self.store.followed_foreign(viewer, &self.region).await?;
        let mut by_region: HashMap<String, Vec<Id>> = HashMap::new();
        for a in followed {
            // Posts of a class we may only see in transit are fetched live (the others
            // were delivered and are kept here).
            let transit = crate::destinations::transit_from(
                self.gate.cluster(),
                &a.home_region,
                &self.region,
            );
            if transit {
                by_region
                    .entry(a.home_region.clone())
                    .or_default()
                    .push(a.id);
            }
        }
        if by_region.is_empty() {
            return Ok(Vec::new());
        }
        let mut tasks = Vec::new();
        for (region, authors) in by_region {
            let q = TimelineQuery {
                viewer: Some(viewer),
                authors,
                max_id: page.max_id,
                since_id: page.since_id,
                min_id: page.min_id,
                limit: page.limit,
            };
            let t = Transfer {
                counterpart: region.clone(),
                class: DataClass::SocialGraph,
                subject: Some(viewer),
                object: format!("timeline-query:{viewer}"),
                purpose: "fetch posts live (transit)".into(),
            };
            tasks.push(async move {
                let r = self.live(&region, "/ap/roost/timeline", t, &q).await;
                (region, r)
            });
        }
        let mut out = Vec::new();
        for (region, r) in futures::future::join_all(tasks).await {
            match r {
                Ok(items) => out.extend(items),
                Err(e) => tracing::warn!(region, error = %e, "live fetch failed"),
            }
        }
        Ok(out)
    }

    pub(crate) async fn live_status(
        &self,
        viewer: Option<Id>,
        id: Id,
    ) -> CoreResult<Option<TransitStatus>> {
        let Some(region) = self.home_of(id).filter(|r| *r != self.region) else {
            return Ok(None);
        };
        let d = self
            .gate
            .cluster()
            .decide(&region, &self.region, DataClass::PublicContent);
        if !d.allowed() {
            return Err(CoreError::PolicyDenied(format!(
                "Withheld by the residency policy ({})",
                d.rule()
            )));
        }
        let (class, subject) = match viewer {
            Some(v) => (DataClass::Engagement, Some(v)),
            None => (DataClass::Aggregate, None),
        };
        let t = Transfer {
            counterpart: region.clone(),
            class,
            subject,
            object: format!("status-query:{id}"),
            purpose: "fetch post live (transit)".into(),
        };
        let items = self
            .live(&region, "/ap/roost/status", t, &StatusQuery { viewer, id })
            .await?;
        Ok(items.into_iter().find(|s| s.status.id == id))
    }
}
