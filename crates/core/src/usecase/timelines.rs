//! Home, public and hashtag timelines.

use super::hydrate::StatusView;
use super::{clamp_page, Roost};
use crate::id::Id;
use crate::model::{Page, RegionScope};
use crate::text;
use crate::CoreResult;

impl Roost {
    /// The viewer's home timeline: one range read of its fanned-out entries.
    pub async fn home_timeline(&self, viewer: Id, page: Page) -> CoreResult<Vec<StatusView>> {
        let ids = self.store.home_timeline(viewer, clamp_page(page)).await?;
        // Entries were visible when fanned out; re-check in case a follow ended since.
        self.statuses(&ids, Some(viewer)).await
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
        let ids = self.store.public_timeline(scope, clamp_page(page)).await?;
        self.hydrate(&ids, viewer).await
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
        let ids = self
            .store
            .tag_timeline(&tag, scope, clamp_page(page))
            .await?;
        self.hydrate(&ids, viewer).await
    }
}
