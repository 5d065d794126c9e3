//! Moderation: reports, roles, the admin actions on accounts and reports, and the region's
//! blocks of other regions' domains.
//!
//! Hiding is done here, in the use cases, not in the store's visibility predicate: a
//! suspended account's row says so (`Account::suspended`), and every status, thread,
//! notification and stream item is hydrated with its author, so [`Roost::hides`] drops it
//! with no extra query. The cost: a page is cut after the store filled it, so a page with
//! a suspended author's posts comes back shorter than `limit` (clients page on by the
//! `Link` header, which still moves on).

use super::{clamp_page, now, Roost};
use crate::id::Id;
use crate::model::*;
use crate::remote::Outbound;
use crate::{CoreError, CoreResult};
use std::collections::HashSet;
use std::sync::RwLock;

/// Mastodon's text for every admin action a caller may not take.
pub const NOT_ALLOWED: &str = "This action is not allowed";
const MAX_COMMENT: usize = 1000;
const MAX_STATUSES: usize = 100;

fn not_allowed() -> CoreError {
    CoreError::Forbidden(NOT_ALLOWED.into())
}

fn validation(msg: &str) -> CoreError {
    CoreError::Validation(format!("Validation failed: {msg}"))
}

/// What moderation keeps in memory: the domain blocks, read once and replaced on every
/// change made here (one node is its own invalidation, as for tokens).
#[derive(Default)]
pub(crate) struct ModerationState {
    blocks: tokio::sync::OnceCell<RwLock<Vec<DomainBlock>>>,
    /// The caches' domain-block version the blocks were read at.
    version: std::sync::atomic::AtomicU64,
}

/// `POST /api/v1/reports`.
#[derive(Debug, Clone, Default)]
pub struct NewReport {
    pub account_id: Option<Id>,
    pub status_ids: Vec<Id>,
    pub comment: String,
    pub category: Option<String>,
    pub rule_ids: Vec<String>,
    pub forward: bool,
}

/// `POST /api/v1/admin/accounts/:id/action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction {
    None,
    Sensitive,
    Disable,
    Silence,
    Suspend,
}

impl AdminAction {
    pub fn parse(s: &str) -> Option<AdminAction> {
        Some(match s {
            "none" => AdminAction::None,
            "sensitive" => AdminAction::Sensitive,
            "disable" => AdminAction::Disable,
            "silence" => AdminAction::Silence,
            "suspend" => AdminAction::Suspend,
            _ => return None,
        })
    }
}

/// The undo actions of the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminUndo {
    Enable,
    Unsilence,
    Unsuspend,
    Unsensitive,
}

/// A staff member acting: their account and role.
#[derive(Debug, Clone)]
pub struct Staff {
    pub account: Account,
    pub role: Role,
}

impl Roost {
    /// The role of a local user (`User` for everyone else).
    pub async fn role_of(&self, account: Id) -> CoreResult<Role> {
        Ok(self
            .store
            .user_moderation(account)
            .await?
            .map(|u| u.role)
            .unwrap_or_default())
    }

    /// The caller as staff with at least `min`, or 403.
    pub async fn staff(&self, account: &Account, min: Role) -> CoreResult<Staff> {
        let role = self.role_of(account.id).await?;
        if role >= min && role.is_staff() {
            Ok(Staff {
                account: account.clone(),
                role,
            })
        } else {
            Err(not_allowed())
        }
    }

    /// `roost admin set-role`.
    pub async fn admin_set_role(&self, username: &str, role: Role) -> CoreResult<Account> {
        let account = self
            .store
            .account_by_username(username)
            .await?
            .ok_or(CoreError::NotFound("account"))?;
        if !self.store.set_role(account.id, role).await? {
            return Err(CoreError::NotFound("account"));
        }
        Ok(account)
    }

    /// Whether the account's posts, and the account in lists, are hidden here: suspended
    /// (here or by its home region), or of a region this one blocks with `suspend`.
    pub(crate) fn hides(&self, account: &Account) -> bool {
        account.suspended || self.blocked_region(&account.home_region, DomainSeverity::Suspend)
    }

    /// Whether this region's administrators suspend `region` (a domain block, `suspend`):
    /// the federation sends it nothing and keeps nothing from it. Read from the blocks
    /// as loaded (again, if another node changed them); on a store failure, the blocks
    /// last loaded answer.
    pub async fn suspends_region(&self, region: &str) -> bool {
        if let Err(e) = self.load_moderation().await {
            tracing::warn!(error = %e, "domain blocks not reloaded; the last ones loaded answer");
        }
        self.blocked_region(region, DomainSeverity::Suspend)
    }

    /// Whether the account is kept out of public timelines: silenced, or of a region this
    /// one silences (or suspends).
    pub(crate) fn limits(&self, account: &Account) -> bool {
        account.silenced || self.blocked_region(&account.home_region, DomainSeverity::Silence)
    }

    /// A public or tag timeline without the posts of limited accounts, except to the
    /// viewer themselves and to their followers (as Mastodon): one follow lookup per
    /// page, only when the page holds a limited author.
    pub(crate) async fn unlimited(
        &self,
        mut views: Vec<super::StatusView>,
        viewer: Option<Id>,
    ) -> CoreResult<Vec<super::StatusView>> {
        let mut limited: Vec<Id> = views
            .iter()
            .filter(|v| Some(v.account.id) != viewer && self.limits(&v.account))
            .map(|v| v.account.id)
            .collect();
        if limited.is_empty() {
            return Ok(views);
        }
        limited.sort_unstable();
        limited.dedup();
        let followed: HashSet<Id> = match viewer {
            Some(v) => self
                .store
                .followed_among(v, &limited)
                .await?
                .into_iter()
                .collect(),
            None => HashSet::new(),
        };
        views.retain(|v| {
            Some(v.account.id) == viewer
                || followed.contains(&v.account.id)
                || !self.limits(&v.account)
        });
        Ok(views)
    }

    fn blocked_region(&self, region: &str, at_least: DomainSeverity) -> bool {
        if region == self.cfg.region {
            return false;
        }
        let Some(blocks) = self.moderation.blocks.get() else {
            return false;
        };
        let Some(domain) = self.cfg.cluster.region(region).map(|r| r.domain()) else {
            return false;
        };
        let blocks = blocks.read().unwrap_or_else(|p| p.into_inner());
        blocks.iter().any(|b| {
            b.domain.eq_ignore_ascii_case(&domain)
                && match at_least {
                    DomainSeverity::Suspend => b.severity == DomainSeverity::Suspend,
                    DomainSeverity::Silence => b.severity != DomainSeverity::Noop,
                    DomainSeverity::Noop => true,
                }
        })
    }

    /// Whether this region's administrators refuse the reports `region` forwards.
    fn rejects_reports_from(&self, region: &str) -> bool {
        let (Some(blocks), Some(domain)) = (
            self.moderation.blocks.get(),
            self.cfg.cluster.region(region).map(|r| r.domain()),
        ) else {
            return false;
        };
        let blocks = blocks.read().unwrap_or_else(|p| p.into_inner());
        blocks
            .iter()
            .any(|b| b.reject_reports && b.domain.eq_ignore_ascii_case(&domain))
    }

    /// Loads the domain blocks, and again after they changed (on any node: a
    /// [`crate::cache::Change::DomainBlocks`]); [`Roost::hides`] reads them without waiting.
    pub(crate) async fn load_moderation(&self) -> CoreResult<()> {
        use std::sync::atomic::Ordering;
        // Read before the store, so a change during the read is caught by the next call.
        let version = self.caches.domain_blocks_version();
        let mut fresh = false;
        let lock = self
            .moderation
            .blocks
            .get_or_try_init(|| async {
                fresh = true;
                Ok::<_, CoreError>(RwLock::new(self.store.domain_blocks().await?))
            })
            .await?;
        if !fresh && self.moderation.version.load(Ordering::SeqCst) != version {
            let blocks = self.store.domain_blocks().await?;
            *lock.write().unwrap_or_else(|p| p.into_inner()) = blocks;
        }
        self.moderation.version.store(version, Ordering::SeqCst);
        Ok(())
    }

    /// Whether a signed-in user may use their account: not suspended, not disabled,
    /// approved.
    pub(crate) async fn may_sign_in(&self, account: &Account) -> CoreResult<bool> {
        if account.suspended {
            return Ok(false);
        }
        Ok(match self.store.user_moderation(account.id).await? {
            Some(u) => u.approved && !u.disabled,
            None => true,
        })
    }

    /// Files a report with this region's moderators.
    pub async fn file_report(&self, reporter: &Account, new: NewReport) -> CoreResult<Report> {
        let target_id = new
            .account_id
            .ok_or_else(|| validation("Target account can't be blank"))?;
        let target = self.account_or_404(target_id).await?;
        if target.id == reporter.id {
            return Err(validation("Target account cannot be yourself"));
        }
        let category = match new.category.as_deref().filter(|c| !c.is_empty()) {
            None if !new.rule_ids.is_empty() => ReportCategory::Violation,
            None => ReportCategory::Other,
            Some(c) => ReportCategory::parse(c)
                .ok_or_else(|| validation("Category is not included in the list"))?,
        };
        // roost has no server rules yet: any rule ID is unknown.
        if !new.rule_ids.is_empty() {
            return Err(validation("Rule ids must be rules of this server"));
        }
        let comment = crate::text::strip_forbidden(&new.comment).into_owned();
        if comment.chars().count() > MAX_COMMENT {
            return Err(validation(&format!(
                "Comment is too long (maximum is {MAX_COMMENT} characters)"
            )));
        }
        let mut status_ids = new.status_ids.clone();
        status_ids.sort_unstable();
        status_ids.dedup();
        if status_ids.len() > MAX_STATUSES {
            return Err(validation("Statuses are too many"));
        }
        if !status_ids.is_empty() {
            // Only posts of the reported account that the reporter may see.
            let visible = self
                .store
                .visible_ids(Some(reporter.id), &status_ids)
                .await?;
            let found = self.store.statuses(&visible).await?;
            let ok = status_ids.iter().all(|id| {
                found
                    .iter()
                    .any(|s| s.id == *id && s.account_id == target.id)
            });
            if !ok {
                return Err(validation("Statuses must be posts of the reported account"));
            }
        }
        let at = now();
        let report = Report {
            id: self.next_id()?,
            account_id: Some(reporter.id),
            target_account_id: target.id,
            category,
            comment,
            rule_ids: Vec::new(),
            status_ids,
            forwarded: new.forward && !self.is_local(&target),
            origin_region: None,
            assigned_account_id: None,
            action_taken_by: None,
            action_taken_at: None,
            created_at: at,
            updated_at: at,
        };
        self.store.create_report(&report).await?;
        let staff = self.store.staff(Role::Moderator).await?;
        self.notify_many(&staff, NotificationType::AdminReport, reporter.id, None)
            .await?;
        if report.forwarded {
            self.publish(Outbound::ReportForwarded {
                report: report.id,
                target: target.id,
                region: target.home_region.clone(),
                status_ids: report.status_ids.clone(),
                category: category.as_str().to_string(),
                comment: report.comment.clone(),
            })
            .await?;
        }
        Ok(report)
    }

    /// A report as its reporter may see it.
    pub async fn reported_account(&self, report: &Report) -> CoreResult<Account> {
        self.account_or_404(report.target_account_id).await
    }

    // ---- admin: accounts ----

    pub async fn admin_accounts(
        &self,
        _staff: &Staff,
        mut filter: AdminAccountFilter,
        page: Page,
    ) -> CoreResult<Vec<AdminAccountRow>> {
        filter.local_region = self.cfg.region.clone();
        let ids = self.store.admin_accounts(&filter, clamp_page(page)).await?;
        let rows = self.store.admin_account_rows(&ids).await?;
        Ok(ids
            .iter()
            .filter_map(|id| rows.iter().find(|r| r.account.id == *id).cloned())
            .collect())
    }

    pub async fn admin_account(&self, _staff: &Staff, id: Id) -> CoreResult<AdminAccountRow> {
        self.store
            .admin_account_rows(&[id])
            .await?
            .pop()
            .ok_or(CoreError::NotFound("account"))
    }

    /// Refuses acting on an account whose role is not below the actor's (the owner may
    /// act on anyone but themselves).
    async fn target_for(&self, staff: &Staff, id: Id) -> CoreResult<AdminAccountRow> {
        let row = self.admin_account(staff, id).await?;
        if row.account.id == staff.account.id {
            return Err(not_allowed());
        }
        let role = row.user.as_ref().map(|u| u.role).unwrap_or_default();
        if role >= staff.role && staff.role != Role::Owner {
            return Err(not_allowed());
        }
        Ok(row)
    }

    pub async fn admin_approve(&self, staff: &Staff, id: Id) -> CoreResult<AdminAccountRow> {
        let row = self.target_for(staff, id).await?;
        match &row.user {
            Some(u) if !u.approved => {
                self.store.set_user_standing(id, Some(true), None).await?;
                // Its cached tokens still say pending: drop them, the next use reads anew.
                for t in self.store.tokens_of(id).await? {
                    self.invalidation
                        .changed(&crate::cache::Change::TokenRevoked {
                            access_hash: t.access_hash,
                        });
                }
                self.admin_account(staff, id).await
            }
            _ => Err(CoreError::Forbidden(NOT_ALLOWED.into())),
        }
    }

    /// Rejecting a pending sign-up deletes it, as in Mastodon.
    pub async fn admin_reject(&self, staff: &Staff, id: Id) -> CoreResult<AdminAccountRow> {
        let row = self.target_for(staff, id).await?;
        match &row.user {
            Some(u) if !u.approved => {
                self.store.delete_account(id).await?;
                Ok(row)
            }
            _ => Err(CoreError::Forbidden(NOT_ALLOWED.into())),
        }
    }

    /// `POST /api/v1/admin/accounts/:id/action`; `report` is resolved with it.
    pub async fn admin_act(
        &self,
        staff: &Staff,
        id: Id,
        action: AdminAction,
        report: Option<Id>,
    ) -> CoreResult<()> {
        let row = self.target_for(staff, id).await?;
        let report = match report {
            Some(r) => Some(
                self.store
                    .report(r)
                    .await?
                    .filter(|r| r.target_account_id == id)
                    .ok_or(CoreError::NotFound("report"))?,
            ),
            None => None,
        };
        let at = Some(now());
        match action {
            AdminAction::None => {}
            AdminAction::Sensitive => {
                self.store
                    .set_account_flag(id, AccountFlag::Sensitized, at)
                    .await?;
            }
            AdminAction::Silence => {
                self.store
                    .set_account_flag(id, AccountFlag::Silenced, at)
                    .await?;
            }
            AdminAction::Disable => {
                if row.user.is_none() {
                    return Err(not_allowed());
                }
                self.store.set_user_standing(id, None, Some(true)).await?;
                self.revoke_all_tokens(id).await?;
            }
            AdminAction::Suspend => self.suspend(&row.account).await?,
        }
        if let Some(mut r) = report {
            r.action_taken_at = at;
            r.action_taken_by = Some(staff.account.id);
            r.updated_at = now();
            self.store.update_report(&r).await?;
        }
        Ok(())
    }

    pub async fn admin_undo(
        &self,
        staff: &Staff,
        id: Id,
        undo: AdminUndo,
    ) -> CoreResult<AdminAccountRow> {
        let row = self.target_for(staff, id).await?;
        match undo {
            AdminUndo::Enable => {
                self.store.set_user_standing(id, None, Some(false)).await?;
            }
            AdminUndo::Unsilence => {
                self.store
                    .set_account_flag(id, AccountFlag::Silenced, None)
                    .await?;
            }
            AdminUndo::Unsensitive => {
                self.store
                    .set_account_flag(id, AccountFlag::Sensitized, None)
                    .await?;
            }
            AdminUndo::Unsuspend => {
                self.store
                    .set_account_flag(id, AccountFlag::Suspended, None)
                    .await?;
                if self.is_local(&row.account) {
                    self.publish(Outbound::Unsuspended { account: id }).await?;
                }
            }
        }
        self.admin_account(staff, id).await
    }

    /// Marks the account suspended (its row, so every read hides it at once), closes its
    /// streams, and tells the regions that hold its content. Its tokens are kept, as
    /// Mastodon keeps them: `authenticate` refuses them while it is suspended, and they
    /// work again once it is not.
    async fn suspend(&self, account: &Account) -> CoreResult<()> {
        self.store
            .set_account_flag(account.id, AccountFlag::Suspended, Some(now()))
            .await?;
        if self.is_local(account) {
            self.live_event(crate::live::Event::AccountClosed {
                account: account.id,
            });
            self.publish(Outbound::Suspended {
                account: account.id,
            })
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn revoke_all_tokens(&self, account: Id) -> CoreResult<()> {
        for t in self.store.tokens_of(account).await? {
            self.revoke_token(&t).await?;
        }
        Ok(())
    }

    // ---- admin: reports ----

    pub async fn admin_reports(
        &self,
        _staff: &Staff,
        filter: ReportFilter,
        page: Page,
    ) -> CoreResult<Vec<Report>> {
        Ok(self.store.reports(&filter, clamp_page(page)).await?)
    }

    pub async fn admin_report(&self, _staff: &Staff, id: Id) -> CoreResult<Report> {
        self.store
            .report(id)
            .await?
            .ok_or(CoreError::NotFound("report"))
    }

    /// Assigns, unassigns, resolves or reopens a report.
    pub async fn admin_update_report(
        &self,
        staff: &Staff,
        id: Id,
        change: ReportChange,
    ) -> CoreResult<Report> {
        let mut r = self.admin_report(staff, id).await?;
        match change {
            ReportChange::AssignToSelf => r.assigned_account_id = Some(staff.account.id),
            ReportChange::Unassign => r.assigned_account_id = None,
            ReportChange::Resolve => {
                r.action_taken_at = Some(now());
                r.action_taken_by = Some(staff.account.id);
            }
            ReportChange::Reopen => {
                r.action_taken_at = None;
                r.action_taken_by = None;
            }
        }
        r.updated_at = now();
        self.store.update_report(&r).await?;
        Ok(r)
    }

    /// Reported posts as moderators see them: those of suspended accounts included.
    pub async fn admin_statuses(
        &self,
        _staff: &Staff,
        ids: &[Id],
    ) -> CoreResult<Vec<super::StatusView>> {
        self.hydrate_as(ids, None, false).await
    }

    /// Accounts by ID for the admin views (unknown ones skipped).
    pub async fn admin_rows(&self, ids: &[Id]) -> CoreResult<Vec<AdminAccountRow>> {
        Ok(self.store.admin_account_rows(ids).await?)
    }

    // ---- admin: domain blocks ----

    pub async fn admin_domain_blocks(&self, _staff: &Staff) -> CoreResult<Vec<DomainBlock>> {
        Ok(self.store.domain_blocks().await?)
    }

    pub async fn admin_domain_block(&self, staff: &Staff, id: Id) -> CoreResult<DomainBlock> {
        self.admin_domain_blocks(staff)
            .await?
            .into_iter()
            .find(|b| b.id == id)
            .ok_or(CoreError::NotFound("domain block"))
    }

    pub async fn admin_block_domain(
        &self,
        _staff: &Staff,
        mut block: DomainBlock,
    ) -> CoreResult<DomainBlock> {
        let domain = block
            .domain
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if domain.is_empty() || domain.contains(['/', ' ', '@']) {
            return Err(validation("Domain is invalid"));
        }
        if domain.eq_ignore_ascii_case(&self.cfg.domain) {
            return Err(validation("Domain cannot be this server"));
        }
        block.domain = domain;
        block.id = self.next_id()?;
        block.created_at = now();
        match self.store.create_domain_block(&block).await {
            Ok(()) => {}
            Err(crate::store::StoreError::Conflict(_)) => {
                return Err(validation("Domain has already been taken"))
            }
            Err(e) => return Err(e.into()),
        }
        self.reload_domain_blocks().await?;
        Ok(block)
    }

    pub async fn admin_unblock_domain(&self, staff: &Staff, id: Id) -> CoreResult<()> {
        self.admin_domain_block(staff, id).await?;
        self.store.delete_domain_block(id).await?;
        self.reload_domain_blocks().await
    }

    /// Tells every node (this one too) to read the domain blocks again.
    async fn reload_domain_blocks(&self) -> CoreResult<()> {
        self.invalidation
            .changed(&crate::cache::Change::DomainBlocks);
        self.load_moderation().await
    }

    /// A report forwarded by another region's moderators about a user of this region:
    /// anonymous; only the posts of the reported account are kept with it.
    pub async fn receive_report(
        &self,
        origin: &str,
        target: Id,
        status_ids: &[Id],
        category: &str,
        comment: &str,
    ) -> CoreResult<()> {
        self.load_moderation().await?;
        if self.rejects_reports_from(origin) {
            return Ok(());
        }
        let Some(account) = self.store.account(target).await? else {
            return Ok(());
        };
        if !self.is_local(&account) {
            return Ok(());
        }
        let found = self.store.statuses(status_ids).await?;
        let mut status_ids: Vec<Id> = found
            .iter()
            .filter(|s| s.account_id == target)
            .map(|s| s.id)
            .take(MAX_STATUSES)
            .collect();
        status_ids.sort_unstable();
        let at = now();
        let report = Report {
            id: self.next_id()?,
            account_id: None,
            target_account_id: target,
            category: ReportCategory::parse(category).unwrap_or(ReportCategory::Other),
            comment: crate::text::strip_forbidden(comment)
                .chars()
                .take(MAX_COMMENT)
                .collect(),
            rule_ids: Vec::new(),
            status_ids,
            forwarded: true,
            origin_region: Some(origin.to_string()),
            assigned_account_id: None,
            action_taken_by: None,
            action_taken_at: None,
            created_at: at,
            updated_at: at,
        };
        self.store.create_report(&report).await?;
        // No reporter to name: the notification is "about" the reported account.
        let staff = self.store.staff(Role::Moderator).await?;
        self.notify_many(&staff, NotificationType::AdminReport, target, None)
            .await
    }

    /// Another region announced that one of its users is suspended, or no longer: the
    /// account is hidden (or shown) here the same way.
    pub async fn receive_suspension(&self, account: Id, suspended: bool) -> CoreResult<()> {
        if self.is_foreign_id(account) {
            let at = suspended.then(now);
            self.store
                .set_account_flag(account, AccountFlag::Suspended, at)
                .await?;
        }
        Ok(())
    }
}

/// The report changes of the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportChange {
    AssignToSelf,
    Unassign,
    Resolve,
    Reopen,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_rank_and_parse() {
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Moderator);
        assert!(Role::Moderator.is_staff() && !Role::User.is_staff());
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn admin_actions_parse_as_mastodon_names_them() {
        assert_eq!(AdminAction::parse("suspend"), Some(AdminAction::Suspend));
        assert_eq!(AdminAction::parse("none"), Some(AdminAction::None));
        assert_eq!(AdminAction::parse("Suspend"), None);
        assert_eq!(ReportCategory::parse("legal"), Some(ReportCategory::Legal));
        assert_eq!(DomainSeverity::parse("noop"), Some(DomainSeverity::Noop));
    }
}
