//! Home, public and hashtag timelines.

use super::hydrate::StatusView;
use super::{clamp_page, Roost};
use crate::id::Id;
use crate::model::{Page, RegionScope};
use crate::text;
use crate::CoreResult;

impl Roost {
    /// The viewer's home timeline: one range read of its fanned-out entries, merged with
    /// posts of followed foreign accounts whose regions allow only `transit` (fetched live).
    pub async fn home_timeline(&self, viewer: Id, page: Page) -> CoreResult<Vec<StatusView>> {
        let page = clamp_page(page);
        let local = async {
            let ids = self
                .filtered_page(Some(viewer), page, |p| async move {
                    Ok(self.store.home_timeline(viewer, p).await?)
                })
                .await?;
            // Entries were visible when fanned out; re-check in case a follow ended since.
            self.statuses(&ids, Some(viewer)).await
        };
        // The live fetch from other regions runs while the local page is read.
        let (local, transit) = tokio::join!(local, self.remote.transit_home(viewer, page));
        let local = local?;
        let mut transit = match transit {
            Ok(t) => self.unshunned_transit(viewer, t).await?,
            Err(e) => {
                // A region that cannot be reached leaves its posts out, not the page.
                tracing::warn!(error = %e, "live fetch for the home timeline failed");
                Vec::new()
            }
        };
        if transit.is_empty() {
            return Ok(local);
        }
        // Members of exclusive lists are read there (the fan-out keeps their stored posts
        // out of home; live ones are dropped here).
        let exclusive = self.exclusive_members(viewer).await?;
        transit.retain(|t| {
            !exclusive.contains(&t.status.account_id)
                || t.status.visibility == crate::model::Visibility::Direct
        });
        self.merge_transit(viewer, local, transit, page).await
    }

    /// Local views and live-fetched ones, merged by ID (time-ordered across regions) into
    /// one page.
    pub(crate) async fn merge_transit(
        &self,
        viewer: Id,
        local: Vec<StatusView>,
        transit: Vec<crate::remote::TransitStatus>,
        page: Page,
    ) -> CoreResult<Vec<StatusView>> {
        if transit.is_empty() {
            return Ok(local);
        }
        let mut all: Vec<StatusView> = local;
        let filters = self.filters_for(viewer).await?;
        for t in transit {
            if !all.iter().any(|v| v.status.id == t.status.id) {
                let mut v = self.transit_view_for(t, Some(viewer));
                super::filters::mark(&filters, &mut v);
                all.push(v);
            }
        }
        // IDs are time-ordered across regions, so one sort merges the sources. A `min_id`
        // page holds the items right after it: keep the oldest `limit` of them.
        all.sort_by_key(|v| std::cmp::Reverse(v.status.id));
        let limit = page.limit as usize;
        if page.min_id.is_some() && all.len() > limit {
            all.drain(..all.len() - limit);
        } else {
            all.truncate(limit);
        }
        Ok(all)
    }

    /// `local` and `remote` pick statuses of accounts homed in this region or elsewhere.
    pub fn region_scope(&self, local: bool, remote: bool) -> RegionScope {
        match (local, remote) {
            (true, false) => RegionScope::Only(self.cfg.region.clone()),
            (false, true) => RegionScope::Except(self.cfg.region.clone()),
            _ => RegionScope::All,
        }
    }

    pub async fn public_timeline(
        &self,
        viewer: Option<Id>,
        scope: &RegionScope,
        page: Page,
    ) -> CoreResult<Vec<StatusView>> {
        let ids = self
            .filtered_page(viewer, page, |p| async move {
                Ok(self.store.public_timeline(scope, p).await?)
            })
            .await?;
        self.unlimited(self.hydrate(&ids, viewer).await?, viewer)
            .await
    }

    pub async fn tag_timeline(
        &self,
        tag: &str,
        viewer: Option<Id>,
        scope: &RegionScope,
        page: Page,
    ) -> CoreResult<Vec<StatusView>> {
        let tag = text::normalize_tag(tag.trim_start_matches('#'));
        if !text::is_valid_tag(&tag) {
            return Ok(Vec::new());
        }
        let tag = &tag;
        let ids = self
            .filtered_page(viewer, page, |p| async move {
                Ok(self.store.tag_timeline(tag, scope, p).await?)
            })
            .await?;
        self.unlimited(self.hydrate(&ids, viewer).await?, viewer)
            .await
    }
}
