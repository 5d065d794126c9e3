//! Registration, profiles, follows and follow requests.

use super::auth::IssuedToken;
use super::scopes::Scopes;
use super::{clamp_page, now, Roost};
use crate::id::Id;
use crate::model::*;
use crate::password;
use crate::remote::Outbound;
use crate::store::StoreError;
use crate::text;
use crate::{CoreError, CoreResult};
use roost_residency::DataClass;

/// `POST /api/v1/accounts`.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub agreement: bool,
    pub locale: Option<String>,
    pub ip: Option<String>,
    /// Why the person wants to join: required when sign-ups need approval.
    pub reason: Option<String>,
}

/// Accounts of a paginated list with the cursors for its `Link` header.
#[derive(Debug, Clone)]
pub struct AccountsPage {
    pub accounts: Vec<Account>,
    /// Cursor of the newest and oldest row, for `prev` and `next` links.
    pub bounds: Option<(Id, Id)>,
}

const MAX_DISPLAY_NAME: usize = 30;
const MAX_NOTE: usize = 500;

fn validation(field: &str, msg: &str) -> CoreError {
    CoreError::Validation(format!("Validation failed: {field} {msg}"))
}

pub fn valid_username(u: &str) -> bool {
    !u.is_empty() && u.len() <= 30 && u.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && e.len() <= 254
}

impl Roost {
    /// Creates a local account with its user, then a token for the registering app.
    pub async fn register(
        &self,
        app_id: Id,
        app_scopes: &Scopes,
        reg: Registration,
    ) -> CoreResult<(Account, IssuedToken)> {
        if !self.cfg.registrations_open {
            return Err(CoreError::Forbidden(
                "Registrations are closed on this server".into(),
            ));
        }
        let username = reg.username.trim().to_string();
        if !valid_username(&username) {
            return Err(validation(
                "Username",
                "must contain only letters, numbers and underscores (at most 30)",
            ));
        }
        if !valid_email(reg.email.trim()) {
            return Err(validation("Email", "is invalid"));
        }
        let pw_len = reg.password.chars().count();
        if !(8..=72).contains(&pw_len) {
            return Err(validation("Password", "must be 8 to 72 characters long"));
        }
        if !reg.agreement {
            return Err(validation("Agreement", "must be accepted"));
        }
        let approval = self.cfg.approval_required;
        let reason = reg
            .reason
            .as_deref()
            .map(|r| text::strip_forbidden(r.trim()).into_owned())
            .filter(|r| !r.is_empty());
        if approval && reason.is_none() {
            return Err(validation("Reason", "can't be blank"));
        }
        if reason.as_ref().is_some_and(|r| r.chars().count() > 1000) {
            return Err(validation(
                "Reason",
                "is too long (maximum is 1000 characters)",
            ));
        }
        let password_hash = password::hash(reg.password.clone()).await?;
        let created_at = now();
        let id = self.next_id()?;
        let account = NewAccount {
            id,
            username: username.clone(),
            home_region: self.cfg.region.clone(),
            display_name: String::new(),
            created_at,
        };
        let user = User {
            account_id: id,
            email: reg.email.trim().to_string(),
            password_hash,
            locale: reg
                .locale
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| "en".into()),
            created_at,
            sign_up_ip: reg.ip,
        };
        let created = match (approval, &reason) {
            (true, Some(r)) => self.store.create_pending_account(&account, &user, r).await,
            _ => self.store.create_account(&account, Some(&user)).await,
        };
        let account = match created {
            Ok(a) => a,
            Err(StoreError::Conflict("username")) => {
                return Err(validation("Username", "is already taken"))
            }
            Err(StoreError::Conflict("email")) => {
                return Err(validation("Email", "is already taken"))
            }
            Err(e) => return Err(e.into()),
        };
        if let (false, Some(r)) = (approval, &reason) {
            // Open sign-ups may say why too; nothing waits on it.
            self.store.set_sign_up_reason(account.id, r).await?;
        }
        // A pending account gets its token as in Mastodon: refused (403) until a
        // moderator approves the account, then it works.
        let token = self
            .issue_token(app_id, Some(account.id), app_scopes.clone(), true)
            .await?;
        let staff = self.store.staff(Role::Moderator).await?;
        self.notify_many(&staff, NotificationType::AdminSignUp, account.id, None)
            .await?;
        Ok((account, token))
    }

    /// Creates a local account from the operator's command line.
    pub async fn admin_create_account(
        &self,
        username: &str,
        email: &str,
        password: &str,
    ) -> CoreResult<Account> {
        if !valid_username(username) {
            return Err(validation(
                "Username",
                "must contain only letters, numbers and underscores (at most 30)",
            ));
        }
        if !valid_email(email) {
            return Err(validation("Email", "is invalid"));
        }
        if !(8..=72).contains(&password.chars().count()) {
            return Err(validation("Password", "must be 8 to 72 characters long"));
        }
        let created_at = now();
        let id = self.next_id()?;
        let user = User {
            account_id: id,
            email: email.to_string(),
            password_hash: password::hash(password.to_string()).await?,
            locale: "en".into(),
            created_at,
            sign_up_ip: None,
        };
        let new = NewAccount {
            id,
            username: username.into(),
            home_region: self.cfg.region.clone(),
            display_name: String::new(),
            created_at,
        };
        match self.store.create_account(&new, Some(&user)).await {
            Ok(a) => Ok(a),
            Err(StoreError::Conflict(what)) => {
                Err(CoreError::Conflict(format!("{what} is already taken")))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_accounts(&self, page: Page) -> CoreResult<Vec<Account>> {
        Ok(self.store.list_accounts(page).await?)
    }

    pub async fn account(&self, id: Id) -> CoreResult<Account> {
        self.account_or_404(id).await
    }

    pub async fn accounts(&self, ids: &[Id]) -> CoreResult<Vec<Account>> {
        let found = self.store.accounts(ids).await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.iter().find(|a| a.id == *id).cloned())
            .collect())
    }

    /// `acct` is `name` or `name@domain`; the domain of another region of the cluster
    /// resolves through that region.
    pub async fn lookup(&self, acct: &str) -> CoreResult<Account> {
        let acct = acct.trim().trim_start_matches('@');
        let (name, domain) = match acct.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (acct, None),
        };
        if !valid_username(name) {
            return Err(CoreError::NotFound("account"));
        }
        if let Some(d) = domain {
            if !d.eq_ignore_ascii_case(&self.cfg.domain) {
                let region = self
                    .cfg
                    .cluster
                    .region_by_domain(d)
                    .map(|r| r.code.clone())
                    .ok_or(CoreError::NotFound("account"))?;
                if region != self.cfg.region {
                    return self.foreign_account(name, &region).await;
                }
            }
        }
        // A sign-up awaiting approval is not found (nor its pages) until approved.
        self.store
            .findable_account_by_username(name)
            .await?
            .ok_or(CoreError::NotFound("account"))
    }

    /// A foreign account by name: the copy kept here, or asked of its home region.
    pub(crate) async fn foreign_account(&self, name: &str, region: &str) -> CoreResult<Account> {
        if let Some(a) = self.store.account_by_handle(name, region).await? {
            return Ok(a);
        }
        let p = self.remote.resolve_account(name, region).await?;
        self.keep_foreign_profile(p).await
    }

    pub async fn update_profile(
        &self,
        account: &Account,
        display_name: Option<String>,
        note: Option<String>,
        locked: Option<bool>,
        bot: Option<bool>,
        discoverable: Option<bool>,
    ) -> CoreResult<Account> {
        // Control characters mean nothing in a name or bio and break the feeds.
        let display_name = display_name.map(|d| text::strip_forbidden(&d).into_owned());
        let note = note.map(|n| text::strip_forbidden(&n).into_owned());
        if let Some(d) = &display_name {
            if d.chars().count() > MAX_DISPLAY_NAME {
                return Err(validation(
                    "Display name",
                    &format!("is too long (maximum is {MAX_DISPLAY_NAME} characters)"),
                ));
            }
        }
        let mut update = ProfileUpdate {
            display_name,
            locked,
            bot,
            discoverable,
            ..Default::default()
        };
        if let Some(n) = note {
            if n.chars().count() > MAX_NOTE {
                return Err(validation(
                    "Note",
                    &format!("is too long (maximum is {MAX_NOTE} characters)"),
                ));
            }
            update.note_html = Some(self.render_text(&n).await?);
            update.note_source = Some(n);
        }
        let was_locked = account.locked;
        let updated = self.store.update_profile(account.id, &update).await?;
        if was_locked && !updated.locked {
            // Unlocking accepts every pending request, as Mastodon does.
            loop {
                let page = Page {
                    limit: 40,
                    ..Default::default()
                };
                let pending = self.store.follow_requests(account.id, page).await?;
                if pending.is_empty() {
                    break;
                }
                let mut progressed = false;
                for r in pending {
                    let accepted = self.store.authorize_request(account.id, r.item).await?;
                    progressed |= accepted;
                    if accepted && self.is_foreign_id(r.item) {
                        self.publish(Outbound::AcceptFollow {
                            follower: r.item,
                            target: account.id,
                        })
                        .await?;
                    }
                    self.store
                        .remove_notifications(
                            account.id,
                            r.item,
                            NotificationType::FollowRequest,
                            None,
                        )
                        .await?;
                }
                if !progressed {
                    break;
                }
            }
            self.publish(Outbound::ProfileUpdated {
                account: account.id,
            })
            .await?;
            return self.account_or_404(account.id).await;
        }
        self.publish(Outbound::ProfileUpdated {
            account: account.id,
        })
        .await?;
        Ok(updated)
    }

    /// Renders user text, linking mentions of accounts that exist here.
    pub(crate) async fn render_text(&self, source: &str) -> CoreResult<String> {
        let (_, resolved) = self.resolve_mentions(&text::parse(source)).await?;
        Ok(text::render(source, &self.cfg.base_url, &|m| {
            resolved
                .iter()
                .find(|(r, _)| r == m)
                .map(|(_, a)| text::ResolvedMention {
                    url: self.account_url(a),
                    username: a.username.clone(),
                })
        }))
    }

    /// Local accounts named by the mentions, in order, without duplicates.
    pub(crate) async fn resolve_mentions(
        &self,
        parsed: &text::Parsed,
    ) -> CoreResult<(Vec<Account>, Vec<(text::MentionRef, Account)>)> {
        let mut accounts: Vec<Account> = Vec::new();
        let mut pairs = Vec::new();
        for m in &parsed.mentions {
            if !valid_username(&m.username) {
                continue;
            }
            let region = match &m.domain {
                None => None,
                Some(d) if d.eq_ignore_ascii_case(&self.cfg.domain) => None,
                Some(d) => match self.cfg.cluster.region_by_domain(d) {
                    Some(r) if r.code != self.cfg.region => Some(r.code.clone()),
                    Some(_) => None,
                    // Not a region of ours: left as plain text.
                    None => continue,
                },
            };
            let found = match region {
                None => self.store.account_by_username(&m.username).await?,
                // A foreign account that cannot be reached stays plain text.
                Some(r) => self.foreign_account(&m.username, &r).await.ok(),
            };
            if let Some(a) = found {
                if !accounts.iter().any(|x| x.id == a.id) {
                    accounts.push(a.clone());
                }
                pairs.push((m.clone(), a));
            }
        }
        Ok((accounts, pairs))
    }

    pub async fn account_statuses(
        &self,
        account: Id,
        viewer: Option<Id>,
        filter: &AccountStatusFilter,
        page: Page,
    ) -> CoreResult<Vec<super::StatusView>> {
        self.account_or_404(account).await?;
        let mut filter = filter.clone();
        filter.tagged = filter
            .tagged
            .map(|t| text::normalize_tag(t.trim_start_matches('#')));
        let ids = self
            .store
            .account_statuses(account, viewer, &filter, clamp_page(page))
            .await?;
        self.hydrate(&ids, viewer).await
    }

    /// Loads the accounts of a cursored page, keeping the cursors for its `Link` header.
    pub(crate) async fn cursored_accounts(
        &self,
        rows: Vec<Cursored<Id>>,
    ) -> CoreResult<AccountsPage> {
        let bounds = rows
            .first()
            .zip(rows.last())
            .map(|(f, l)| (f.cursor, l.cursor));
        let ids: Vec<Id> = rows.iter().map(|r| r.item).collect();
        Ok(AccountsPage {
            accounts: self.accounts(&ids).await?,
            bounds,
        })
    }

    pub async fn followers(&self, account: Id, page: Page) -> CoreResult<AccountsPage> {
        self.account_or_404(account).await?;
        let rows = self.store.followers(account, clamp_page(page)).await?;
        self.cursored_accounts(rows).await
    }

    pub async fn following(&self, account: Id, page: Page) -> CoreResult<AccountsPage> {
        self.account_or_404(account).await?;
        let rows = self.store.following(account, clamp_page(page)).await?;
        self.cursored_accounts(rows).await
    }

    pub async fn count_follow_requests(&self, account: Id) -> CoreResult<i64> {
        Ok(self.store.count_follow_requests(account).await?)
    }

    pub async fn follow_requests(&self, account: Id, page: Page) -> CoreResult<AccountsPage> {
        let rows = self
            .store
            .follow_requests(account, clamp_page(page))
            .await?;
        self.cursored_accounts(rows).await
    }

    pub async fn relationships(
        &self,
        viewer: Id,
        targets: &[Id],
    ) -> CoreResult<Vec<(Id, Relationship)>> {
        let rels = self.store.relationships(viewer, targets).await?;
        Ok(targets.iter().copied().zip(rels).collect())
    }

    pub async fn relationship(&self, viewer: Id, target: Id) -> CoreResult<Relationship> {
        Ok(self
            .store
            .relationships(viewer, &[target])
            .await?
            .pop()
            .unwrap_or_default())
    }

    /// Follows `target`, or asks to when the account is locked.
    pub async fn follow(
        &self,
        follower: &Account,
        target: Id,
        notify: Option<bool>,
        reblogs: Option<bool>,
    ) -> CoreResult<Relationship> {
        let target = self.account_or_404(target).await?;
        if target.id == follower.id {
            return Err(CoreError::Forbidden("You cannot follow yourself".into()));
        }
        // As Mastodon: a block either way makes following impossible (403).
        self.check_unblocked(follower.id, target.id).await?;
        let foreign = !self.is_local(&target);
        if foreign {
            self.check_crossing_kept(&target.home_region, DataClass::SocialGraph)?;
        }
        let current = self.relationship(follower.id, target.id).await?;
        // A foreign follow stays a request until the target's region accepts it.
        let wanted = if target.locked || foreign {
            FollowState::Requested
        } else {
            FollowState::Accepted
        };
        let state = self
            .store
            .follow(
                self.next_id()?,
                follower.id,
                target.id,
                wanted,
                notify.unwrap_or(current.notifying),
                reblogs.unwrap_or(if current.following {
                    current.showing_reblogs
                } else {
                    true
                }),
            )
            .await?;
        let is_new = !current.following && !current.requested;
        if foreign {
            if is_new {
                self.publish(Outbound::Follow {
                    follower: follower.id,
                    target: target.id,
                })
                .await?;
            }
        } else if is_new {
            let kind = match state {
                FollowState::Accepted => NotificationType::Follow,
                FollowState::Requested => NotificationType::FollowRequest,
            };
            self.notify(target.id, kind, follower.id, None).await?;
        }
        self.relationship(follower.id, target.id).await
    }

    pub async fn unfollow(&self, follower: &Account, target: Id) -> CoreResult<Relationship> {
        let target = self.account_or_404(target).await?;
        if self.store.unfollow(follower.id, target.id).await? {
            if !self.is_local(&target) {
                self.publish(Outbound::UndoFollow {
                    follower: follower.id,
                    target: target.id,
                })
                .await?;
            }
            self.store
                .remove_notifications(
                    target.id,
                    follower.id,
                    NotificationType::FollowRequest,
                    None,
                )
                .await?;
            // The follow notification goes with the follow (as in Mastodon), so a later
            // follow notifies again.
            self.store
                .remove_notifications(target.id, follower.id, NotificationType::Follow, None)
                .await?;
        }
        self.relationship(follower.id, target.id).await
    }

    pub async fn authorize_follow_request(
        &self,
        account: &Account,
        requester: Id,
    ) -> CoreResult<Relationship> {
        let req = self.account_or_404(requester).await?;
        if !self.store.authorize_request(account.id, requester).await? {
            return Err(CoreError::NotFound("follow request"));
        }
        if !self.is_local(&req) {
            self.publish(Outbound::AcceptFollow {
                follower: requester,
                target: account.id,
            })
            .await?;
        }
        self.store
            .remove_notifications(account.id, requester, NotificationType::FollowRequest, None)
            .await?;
        self.relationship(account.id, requester).await
    }

    pub async fn reject_follow_request(
        &self,
        account: &Account,
        requester: Id,
    ) -> CoreResult<Relationship> {
        let req = self.account_or_404(requester).await?;
        if !self.store.reject_request(account.id, requester).await? {
            return Err(CoreError::NotFound("follow request"));
        }
        if !self.is_local(&req) {
            self.publish(Outbound::RejectFollow {
                follower: requester,
                target: account.id,
            })
            .await?;
        }
        self.store
            .remove_notifications(account.id, requester, NotificationType::FollowRequest, None)
            .await?;
        self.relationship(account.id, requester).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_emails() {
        assert!(valid_username("alice_01"));
        assert!(!valid_username("al ice"));
        assert!(!valid_username(""));
        assert!(!valid_username(&"a".repeat(31)));
        assert!(valid_email("a@b.example"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("@b.example"));
        assert!(!valid_email("a b@c.example"));
    }
}
