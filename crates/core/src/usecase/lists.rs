//! Lists: create, rename, delete, members (accounts the owner follows), the list
//! timeline. A list is its owner's private data: someone else's list is not found.

use super::hydrate::StatusView;
use super::{clamp_page, now, AccountsPage, Roost};
use crate::id::Id;
use crate::model::{List, Page, RepliesPolicy};
use crate::store::StoreError;
use crate::{CoreError, CoreResult};
use std::collections::HashSet;

const MAX_TITLE: usize = 256;
/// Most lists of one account, and members of one list (Mastodon's defaults are close).
const MAX_LISTS: usize = 200;
const MAX_MEMBERS: usize = 1000;
/// What `limit=0` ("all members") reads at most.
const ALL_MEMBERS: u32 = MAX_MEMBERS as u32;

fn invalid(msg: &str) -> CoreError {
    CoreError::Validation(format!("Validation failed: {msg}"))
}

fn title_of(t: &str) -> CoreResult<String> {
    let t = t.trim();
    if t.is_empty() {
        return Err(invalid("Title can't be blank"));
    }
    if t.chars().count() > MAX_TITLE {
        return Err(invalid("Title is too long"));
    }
    Ok(t.to_string())
}

fn policy_of(p: &str) -> CoreResult<RepliesPolicy> {
    RepliesPolicy::parse(p.trim())
        .ok_or_else(|| invalid("Replies policy is not included in the list"))
}

impl Roost {
    pub async fn lists(&self, me: Id) -> CoreResult<Vec<List>> {
        Ok(self.store.lists_of(me).await?)
    }

    pub async fn list(&self, me: Id, id: Id) -> CoreResult<List> {
        self.store
            .list(me, id)
            .await?
            .ok_or(CoreError::NotFound("list"))
    }

    pub async fn create_list(
        &self,
        me: Id,
        title: Option<&str>,
        replies_policy: Option<&str>,
        exclusive: Option<bool>,
    ) -> CoreResult<List> {
        let title = title_of(title.unwrap_or(""))?;
        let replies_policy = replies_policy
            .map(policy_of)
            .transpose()?
            .unwrap_or_default();
        if self.store.lists_of(me).await?.len() >= MAX_LISTS {
            return Err(invalid("Too many lists"));
        }
        let list = List {
            id: self.next_id()?,
            account_id: me,
            title,
            replies_policy,
            exclusive: exclusive.unwrap_or(false),
            created_at: now(),
        };
        self.store.create_list(&list).await?;
        Ok(list)
    }

    pub async fn update_list(
        &self,
        me: Id,
        id: Id,
        title: Option<&str>,
        replies_policy: Option<&str>,
        exclusive: Option<bool>,
    ) -> CoreResult<List> {
        let mut list = self.list(me, id).await?;
        if let Some(t) = title {
            list.title = title_of(t)?;
        }
        if let Some(p) = replies_policy {
            list.replies_policy = policy_of(p)?;
        }
        if let Some(e) = exclusive {
            list.exclusive = e;
        }
        if !self.store.update_list(&list).await? {
            return Err(CoreError::NotFound("list"));
        }
        Ok(list)
    }

    pub async fn delete_list(&self, me: Id, id: Id) -> CoreResult<()> {
        if self.store.delete_list(me, id).await? {
            Ok(())
        } else {
            Err(CoreError::NotFound("list"))
        }
    }

    /// The members; `limit` 0 means all of them (Mastodon's rule for this list).
    pub async fn list_members(&self, me: Id, id: Id, page: Page) -> CoreResult<AccountsPage> {
        self.list(me, id).await?;
        let page = if page.limit == 0 {
            Page {
                limit: ALL_MEMBERS,
                ..page
            }
        } else {
            Page {
                limit: page.limit.min(80),
                ..page
            }
        };
        let rows = self.store.list_members(id, page).await?;
        self.cursored_accounts(rows).await
    }

    /// Adds accounts the owner follows: 404 for an unknown or unfollowed one, 422 for a
    /// member already; nothing is added unless all can be.
    pub async fn add_list_accounts(&self, me: Id, id: Id, accounts: &[Id]) -> CoreResult<()> {
        self.list(me, id).await?;
        let mut wanted = accounts.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        let known = self.store.accounts(&wanted).await?;
        if known.len() != wanted.len() {
            return Err(CoreError::NotFound("account"));
        }
        let now_in = self
            .store
            .list_members(
                id,
                Page {
                    limit: ALL_MEMBERS,
                    ..Page::default()
                },
            )
            .await?;
        if now_in.len() + wanted.len() > MAX_MEMBERS {
            return Err(invalid("Too many accounts in this list"));
        }
        let entries: Vec<(Id, Id)> = wanted
            .iter()
            .map(|a| Ok((self.next_id()?, *a)))
            .collect::<CoreResult<_>>()?;
        match self.store.add_list_members(id, &entries).await {
            Ok(()) => Ok(()),
            Err(StoreError::Missing(_)) => Err(CoreError::NotFound("account")),
            Err(StoreError::Conflict(_)) => Err(invalid("Account has already been taken")),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn remove_list_accounts(&self, me: Id, id: Id, accounts: &[Id]) -> CoreResult<()> {
        self.list(me, id).await?;
        Ok(self.store.remove_list_members(id, accounts).await?)
    }

    /// The viewer's lists holding `account`.
    pub async fn lists_with(&self, me: Id, account: Id) -> CoreResult<Vec<List>> {
        self.account_or_404(account).await?;
        Ok(self.store.lists_with_member(me, account).await?)
    }

    /// The list's timeline: one range read of its entries, less what the owner hides,
    /// merged (as the home timeline is) with members' posts that their regions let us show
    /// only in transit, fetched live.
    pub async fn list_timeline(&self, me: Id, id: Id, page: Page) -> CoreResult<Vec<StatusView>> {
        let list = self.list(me, id).await?;
        let page = clamp_page(page);
        let ids = self
            .filtered_page(Some(me), page, |p| async move {
                Ok(self.store.list_timeline(id, p).await?)
            })
            .await?;
        // Entries were visible when fanned out; re-check in case that changed since.
        let local = self.statuses(&ids, Some(me)).await?;
        let all_members = Page {
            limit: ALL_MEMBERS,
            ..Page::default()
        };
        let members: HashSet<Id> = self
            .store
            .list_members(id, all_members)
            .await?
            .into_iter()
            .map(|c| c.item)
            .collect();
        if !members.iter().any(|m| self.is_foreign_id(*m)) {
            return Ok(local);
        }
        let transit = match self.remote.transit_home(me, page).await {
            Ok(t) => self.unshunned_transit(me, t).await?,
            Err(e) => {
                tracing::warn!(error = %e, "live fetch for a list timeline failed");
                Vec::new()
            }
        };
        let mut kept = Vec::new();
        for t in transit {
            if members.contains(&t.status.account_id)
                && t.status.visibility != crate::model::Visibility::Direct
                && self.list_shows_reply(&list, &members, &t.status).await?
            {
                kept.push(t);
            }
        }
        self.merge_transit(me, local, kept, page).await
    }

    /// The list's replies policy for a status it did not get by the fan-out.
    async fn list_shows_reply(
        &self,
        list: &List,
        members: &HashSet<Id>,
        s: &crate::model::Status,
    ) -> CoreResult<bool> {
        let Some(to) = s.in_reply_to_account_id.filter(|to| *to != s.account_id) else {
            return Ok(true);
        };
        if to == list.account_id {
            return Ok(true);
        }
        Ok(match list.replies_policy {
            RepliesPolicy::None => false,
            RepliesPolicy::List => members.contains(&to),
            RepliesPolicy::Followed => !self
                .store
                .followed_among(list.account_id, &[to])
                .await?
                .is_empty(),
        })
    }

    /// The accounts the viewer's exclusive lists hold: their posts stay out of home.
    pub(crate) async fn exclusive_members(&self, me: Id) -> CoreResult<HashSet<Id>> {
        let mut out = HashSet::new();
        for l in self
            .store
            .lists_of(me)
            .await?
            .into_iter()
            .filter(|l| l.exclusive)
        {
            let all = Page {
                limit: ALL_MEMBERS,
                ..Page::default()
            };
            out.extend(
                self.store
                    .list_members(l.id, all)
                    .await?
                    .into_iter()
                    .map(|c| c.item),
            );
        }
        Ok(out)
    }
}
