//! Blocks, mutes, user-level domain (region) blocks and conversation mutes, and the
//! checks and filters other use cases apply with them.
//!
//! A block is the blocker's `social_graph` data. Its region enforces it on everything it
//! serves; when the blocked account lives elsewhere, its home is told (an `Outbound::Block`)
//! so that it refuses their interactions there too — unless this region's policy denies
//! `social_graph` to that region, in which case nothing is sent and nothing says so.

use super::accounts::AccountsPage;
use super::hydrate::StatusView;
use super::{clamp_page, now, Roost};
use crate::id::Id;
use crate::model::{Account, Cursored, Mute, Page, Relationship, Shun};
use crate::remote::Outbound;
use crate::{CoreError, CoreResult};
use roost_residency::DataClass;
use std::collections::HashSet;
use std::future::Future;

/// How many times a timeline page is read again to make up for hidden statuses.
const REFILL_ROUNDS: usize = 3;

/// A page of domain blocks with its (newest, oldest) cursors for the `Link` header.
#[derive(Debug, Clone)]
pub struct DomainBlocksPage {
    pub domains: Vec<String>,
    pub bounds: Option<(Id, Id)>,
}

/// A page of mutes: the muted accounts with each mute's expiry.
#[derive(Debug, Clone)]
pub struct MutesPage {
    pub accounts: AccountsPage,
    pub mutes: Vec<Mute>,
}

pub(crate) fn not_allowed() -> CoreError {
    CoreError::Forbidden("This action is not allowed".into())
}

impl Roost {
    pub async fn block(&self, actor: &Account, target: Id) -> CoreResult<Relationship> {
        let target = self.account_or_404(target).await?;
        if target.id == actor.id {
            return Err(CoreError::Forbidden("You cannot block yourself".into()));
        }
        if self
            .store
            .block(self.next_id()?, actor.id, target.id, now())
            .await?
            && !self.is_local(&target)
        {
            self.tell_block(actor.id, &target, true).await?;
        }
        self.relationship(actor.id, target.id).await
    }

    pub async fn unblock(&self, actor: &Account, target: Id) -> CoreResult<Relationship> {
        let target = self.account_or_404(target).await?;
        if self.store.unblock(actor.id, target.id).await? && !self.is_local(&target) {
            self.tell_block(actor.id, &target, false).await?;
        }
        self.relationship(actor.id, target.id).await
    }

    /// Tells the blocked account's home of a block or its end, when the policy lets the
    /// blocker's social graph go there; otherwise the block holds here alone.
    async fn tell_block(&self, actor: Id, target: &Account, on: bool) -> CoreResult<()> {
        let d = self.cfg.cluster.decide(
            &self.cfg.region,
            &target.home_region,
            DataClass::SocialGraph,
        );
        if !d.allowed() {
            return Ok(());
        }
        let event = if on {
            Outbound::Block {
                account: actor,
                target: target.id,
            }
        } else {
            Outbound::UndoBlock {
                account: actor,
                target: target.id,
            }
        };
        self.publish(event).await
    }

    pub async fn blocks(&self, viewer: Id, page: Page) -> CoreResult<AccountsPage> {
        let rows = self.store.blocks(viewer, clamp_page(page)).await?;
        self.cursored_accounts(rows).await
    }

    /// Mutes `target`; `duration` in seconds, 0 or none for ever. A new mute replaces the
    /// old one's settings.
    pub async fn mute(
        &self,
        actor: &Account,
        target: Id,
        notifications: bool,
        duration: Option<u64>,
    ) -> CoreResult<Relationship> {
        let target = self.account_or_404(target).await?;
        if target.id == actor.id {
            return Err(CoreError::Forbidden("You cannot mute yourself".into()));
        }
        let expires_at = match duration.filter(|d| *d > 0) {
            Some(d) => {
                let secs = i64::try_from(d)
                    .ok()
                    .filter(|s| *s <= 100 * 365 * 86_400)
                    .ok_or_else(|| {
                        CoreError::Validation("Validation failed: duration is too long".into())
                    })?;
                Some(now() + jiff::SignedDuration::from_secs(secs))
            }
            None => None,
        };
        self.store
            .mute(
                self.next_id()?,
                actor.id,
                target.id,
                notifications,
                expires_at,
                now(),
            )
            .await?;
        self.relationship(actor.id, target.id).await
    }

    pub async fn unmute(&self, actor: &Account, target: Id) -> CoreResult<Relationship> {
        let target = self.account_or_404(target).await?;
        self.store.unmute(actor.id, target.id).await?;
        self.relationship(actor.id, target.id).await
    }

    pub async fn mutes(&self, viewer: Id, page: Page) -> CoreResult<MutesPage> {
        let rows = self.store.mutes(viewer, clamp_page(page)).await?;
        let mutes: Vec<Mute> = rows.iter().map(|r| r.item).collect();
        let ids: Vec<Cursored<Id>> = rows
            .iter()
            .map(|r| Cursored {
                cursor: r.cursor,
                item: r.item.target,
            })
            .collect();
        Ok(MutesPage {
            accounts: self.cursored_accounts(ids).await?,
            mutes,
        })
    }

    /// The region a domain names (a region's host name, or its code), if any.
    fn region_of_domain(&self, domain: &str) -> Option<String> {
        self.cfg
            .cluster
            .region_by_domain(domain)
            .or_else(|| self.cfg.cluster.region(domain))
            .map(|r| r.code.clone())
    }

    fn domain_param(domain: &str) -> CoreResult<String> {
        let d = domain.trim().trim_start_matches('@').to_lowercase();
        let ok = !d.is_empty()
            && d.len() <= 253
            && d.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':');
        if !ok {
            return Err(CoreError::Validation(
                "Validation failed: domain is not a valid domain name".into(),
            ));
        }
        Ok(d)
    }

    pub async fn block_domain(&self, actor: &Account, domain: &str) -> CoreResult<()> {
        let domain = Self::domain_param(domain)?;
        let region = self.region_of_domain(&domain);
        if region.as_deref() == Some(self.cfg.region.as_str()) {
            return Err(CoreError::Validation(
                "Validation failed: you cannot block your own domain".into(),
            ));
        }
        self.store
            .block_domain(self.next_id()?, actor.id, &domain, region.as_deref(), now())
            .await?;
        Ok(())
    }

    pub async fn unblock_domain(&self, actor: &Account, domain: &str) -> CoreResult<()> {
        let domain = Self::domain_param(domain)?;
        self.store.unblock_domain(actor.id, &domain).await?;
        Ok(())
    }

    pub async fn domain_blocks(&self, viewer: Id, page: Page) -> CoreResult<DomainBlocksPage> {
        let rows = self
            .store
            .user_domain_blocks(viewer, clamp_page(page))
            .await?;
        let bounds = rows
            .first()
            .zip(rows.last())
            .map(|(f, l)| (f.cursor, l.cursor));
        Ok(DomainBlocksPage {
            domains: rows.into_iter().map(|r| r.item).collect(),
            bounds,
        })
    }

    /// Mutes (or unmutes) the thread the status is in: its notifications stop.
    pub async fn mute_conversation(
        &self,
        actor: &Account,
        id: Id,
        muted: bool,
    ) -> CoreResult<StatusView> {
        self.visible_status(id, Some(actor.id)).await?;
        let root = self.store.thread_root(id).await?;
        if muted {
            self.store.mute_conversation(actor.id, root).await?;
        } else {
            self.store.unmute_conversation(actor.id, root).await?;
        }
        self.status(id, Some(actor.id)).await
    }

    /// Refuses an interaction between `actor` and `other` when either blocks the other.
    pub(crate) async fn check_unblocked(&self, actor: Id, other: Id) -> CoreResult<()> {
        if actor != other
            && !self
                .store
                .shunning(&[other], &[actor], Shun::Blocks)
                .await?
                .is_empty()
        {
            return Err(not_allowed());
        }
        Ok(())
    }

    /// Those of `recipients` who are to hear of `from`'s act about `status`: not if either
    /// blocks the other, if they mute `from` with notifications, hide `from`'s region, or
    /// muted the thread.
    pub(crate) async fn notifiable(
        &self,
        recipients: &[Id],
        from: Id,
        status: Option<Id>,
    ) -> CoreResult<Vec<Id>> {
        if recipients.is_empty() {
            return Ok(Vec::new());
        }
        let mut kept: HashSet<Id> = self
            .store
            .shunning(&[from], recipients, Shun::Notifications)
            .await?
            .into_iter()
            .collect();
        if let Some(s) = status {
            let root = self.store.thread_root(s).await?;
            kept.extend(self.store.conversation_muters(root, recipients).await?);
        }
        Ok(recipients
            .iter()
            .copied()
            .filter(|r| !kept.contains(r))
            .collect())
    }

    /// `ids` without those hidden from `viewer` (blocks, mutes, region blocks).
    pub(crate) async fn unhidden(&self, viewer: Option<Id>, ids: Vec<Id>) -> CoreResult<Vec<Id>> {
        let Some(viewer) = viewer else {
            return Ok(ids);
        };
        if ids.is_empty() {
            return Ok(ids);
        }
        let hidden: HashSet<Id> = self
            .store
            .hidden_statuses(viewer, &ids)
            .await?
            .into_iter()
            .collect();
        Ok(ids.into_iter().filter(|i| !hidden.contains(i)).collect())
    }

    /// Reads a timeline page through `fetch`, leaving out what is hidden from `viewer`,
    /// and reads on (a few times at most) so that hidden statuses do not shorten it.
    pub(crate) async fn filtered_page<F, Fut>(
        &self,
        viewer: Option<Id>,
        page: Page,
        fetch: F,
    ) -> CoreResult<Vec<Id>>
    where
        F: Fn(Page) -> Fut,
        Fut: Future<Output = CoreResult<Vec<Id>>>,
    {
        let page = clamp_page(page);
        let limit = page.limit as usize;
        let mut out: Vec<Id> = Vec::new();
        let mut next = page;
        for _ in 0..REFILL_ROUNDS {
            let ids = fetch(next).await?;
            let full = ids.len() == limit;
            let (Some(&newest), Some(&oldest)) = (ids.first(), ids.last()) else {
                break;
            };
            out.extend(self.unhidden(viewer, ids).await?);
            if out.len() >= limit || !full || viewer.is_none() {
                break;
            }
            if page.min_id.is_some() {
                next.min_id = Some(newest);
            } else {
                next.max_id = Some(oldest);
            }
        }
        out.sort_by_key(|i| std::cmp::Reverse(*i));
        out.dedup();
        if page.min_id.is_some() && out.len() > limit {
            out.drain(..out.len() - limit);
        } else {
            out.truncate(limit);
        }
        Ok(out)
    }

    /// The accounts of a cursored page (favourited_by, reblogged_by) without those that
    /// block or are blocked by the viewer.
    pub(crate) async fn without_blocked(
        &self,
        viewer: Option<Id>,
        mut rows: Vec<Cursored<Id>>,
    ) -> CoreResult<Vec<Cursored<Id>>> {
        let Some(viewer) = viewer else {
            return Ok(rows);
        };
        let among: Vec<Id> = rows.iter().map(|r| r.item).collect();
        let gone: HashSet<Id> = self
            .store
            .shunning(&[viewer], &among, Shun::Blocks)
            .await?
            .into_iter()
            .collect();
        rows.retain(|r| !gone.contains(&r.item));
        Ok(rows)
    }
}

impl Roost {
    /// Posts fetched live from other regions, without those of authors hidden from the
    /// viewer (they are kept nowhere here, so the check is by author).
    pub(crate) async fn unshunned_transit(
        &self,
        viewer: Id,
        items: Vec<crate::remote::TransitStatus>,
    ) -> CoreResult<Vec<crate::remote::TransitStatus>> {
        let mut authors: Vec<Id> = items.iter().map(|t| t.status.account_id).collect();
        authors.sort_unstable();
        authors.dedup();
        let mut hidden = HashSet::new();
        for a in authors {
            if !self
                .store
                .shunning(&[a], &[viewer], Shun::Posts)
                .await?
                .is_empty()
            {
                hidden.insert(a);
            }
        }
        Ok(items
            .into_iter()
            .filter(|t| !hidden.contains(&t.status.account_id))
            .collect())
    }
}
