//! What other regions tell us: the federation has verified the sender, decided with the
//! residency policy that the data may be kept here and written the ledger; these use cases
//! apply the change to the local store and notify local users. Those that can end in
//! nothing say so ([`Received`]), so the federation can record that it was not kept.

use super::{now, Roost};
use crate::id::Id;
use crate::model::*;
use crate::remote::{ForeignProfile, Outbound};
use crate::store::{Favourited, StoreError};
use crate::{CoreError, CoreResult};
use std::collections::HashMap;

/// Most views of one post a region may report in one delivery. Reports go out every few
/// seconds; a real region stays far below this, and a bound keeps sums far from overflow.
pub const MAX_REPORTED_VIEWS: i64 = 1_000_000;

/// What became of something another region sent, once applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Its row is here (written now, or already: a redelivery).
    Kept,
    /// Nothing of it was written; why, in words for the ledger and the user.
    Dropped(&'static str),
}

pub(crate) const PARENT_NOT_HELD: &str = "replies to a post not held here";
pub(crate) const QUOTE_NOT_HELD: &str = "quotes a post not held here";
pub(crate) const REBLOG_NOT_HELD: &str = "reblogs a post not held here";
pub(crate) const BLOCKED: &str = "a block between the accounts refuses it";
pub(crate) const STATUS_NOT_HELD: &str = "names a post not held here";

impl Roost {
    /// Keeps (or refreshes) a foreign account: its profile, or only its address when the
    /// policy does not let us keep its profile. One this region was told was erased is
    /// not found: it is never kept again.
    pub async fn remember_account(&self, account: &Account) -> CoreResult<()> {
        if self.is_local(account) {
            return Err(CoreError::Validation(
                "a region cannot speak for this region's accounts".into(),
            ));
        }
        if self.erased_abroad(account.id).await? {
            tracing::info!(account = %account.id, "an erased account is not kept again");
            return Err(CoreError::NotFound("account"));
        }
        Ok(self.store.upsert_remote_account(account).await?)
    }

    /// Whether a foreign account is known here (as an address at least).
    pub async fn knows_account(&self, id: Id) -> CoreResult<bool> {
        Ok(self.store.account(id).await?.is_some())
    }

    /// Whether a post is kept here (a reblog of one that is not cannot be shown).
    pub async fn holds_status(&self, id: Id) -> CoreResult<bool> {
        Ok(self.store.status(id).await?.is_some())
    }

    /// A foreign account known here before rows name it: the copy kept here, else its
    /// address (`address`) is remembered.
    pub async fn known_or_remember(&self, address: Account) -> CoreResult<Account> {
        if let Some(existing) = self.store.account(address.id).await? {
            return Ok(existing);
        }
        self.remember_account(&address).await?;
        Ok(address)
    }

    /// Keeps a foreign profile as far as the gate admitted it (its fields with it, its
    /// pictures copied when they may be kept) and returns it as the reader may see it,
    /// with the counts and the suspension kept here.
    pub async fn keep_foreign_profile(&self, p: ForeignProfile) -> CoreResult<Account> {
        let id = p.kept.id;
        if p.shown.id != id {
            return Err(CoreError::Validation("a profile names two accounts".into()));
        }
        self.remember_account(&p.kept).await?;
        // Fields go with the rest of the profile (none when only the address is kept).
        self.store.set_profile_fields(id, &p.kept.fields).await?;
        if let Some(on) = p.indexable {
            self.store.set_indexable(id, on).await?;
        }
        let mut shown = p.shown;
        if let Some(stored) = self.store.account(id).await? {
            shown.followers_count = stored.followers_count;
            shown.following_count = stored.following_count;
            shown.statuses_count = stored.statuses_count;
            shown.suspended |= stored.suspended;
        }
        self.keep_profile_pictures(shown).await
    }

    /// A foreign account follows (or asks to follow) a local one.
    pub async fn receive_follow(&self, follower: Id, target: Id) -> CoreResult<Received> {
        let target = self
            .store
            .account(target)
            .await?
            .filter(|a| self.is_local(a))
            .ok_or(CoreError::NotFound("account"))?;
        if self.check_unblocked(follower, target.id).await.is_err() {
            // As Mastodon answers a follow from someone blocked: a Reject.
            self.publish(Outbound::RejectFollow {
                follower,
                target: target.id,
            })
            .await?;
            return Ok(Received::Dropped(BLOCKED));
        }
        let current = self.relationship(follower, target.id).await?;
        let wanted = if target.locked {
            FollowState::Requested
        } else {
            FollowState::Accepted
        };
        let state = self
            .store
            .follow(self.next_id()?, follower, target.id, wanted, false, true)
            .await?;
        if !current.following && !current.requested {
            let kind = match state {
                FollowState::Accepted => NotificationType::Follow,
                FollowState::Requested => NotificationType::FollowRequest,
            };
            self.notify(target.id, kind, follower, None).await?;
        }
        if state == FollowState::Accepted {
            self.publish(Outbound::AcceptFollow {
                follower,
                target: target.id,
            })
            .await?;
        }
        Ok(Received::Kept)
    }

    /// The foreign target's region answered a local account's follow request.
    pub async fn receive_follow_answer(
        &self,
        follower: Id,
        target: Id,
        accepted: bool,
    ) -> CoreResult<()> {
        if accepted {
            self.store.authorize_request(target, follower).await?;
        } else {
            self.store.reject_request(target, follower).await?;
            // A rejection also ends an accepted follow (Mastodon's "remove follower").
            self.store.unfollow(follower, target).await?;
        }
        Ok(())
    }

    pub async fn receive_unfollow(&self, follower: Id, target: Id) -> CoreResult<()> {
        if self.store.unfollow(follower, target).await? {
            for kind in [NotificationType::Follow, NotificationType::FollowRequest] {
                self.store
                    .remove_notifications(target, follower, kind, None)
                    .await?;
            }
        }
        Ok(())
    }

    /// A foreign status arrives (post, reply, quote or reblog). Kept when it is here
    /// (also a redelivery); dropped when it refers to a status we do not have or a block
    /// refuses it.
    pub async fn receive_status(&self, new: NewStatus) -> CoreResult<Received> {
        if self.store.status(new.id).await?.is_some() {
            return Ok(Received::Kept);
        }
        // What it refers to must be here: the store would refuse it (a reply, a quote or
        // a reblog of nothing), and the reason is worth telling.
        let mut others: Vec<Id> = new.in_reply_to_account_id.into_iter().collect();
        for (target, why) in [
            (new.in_reply_to_id, PARENT_NOT_HELD),
            (new.quote_of_id, QUOTE_NOT_HELD),
            (new.reblog_of_id, REBLOG_NOT_HELD),
        ] {
            let Some(target) = target else { continue };
            match self.store.status(target).await? {
                Some(t) => others.push(t.account_id),
                None => return Ok(Received::Dropped(why)),
            }
        }
        // A reply to, reblog or quote of someone who blocks the sender (or whom the sender
        // blocks) is refused as a local one would be, even when the sender's home could not
        // keep the block (`transit`): nothing is written, counted or notified.
        others.retain(|a| *a != new.account_id);
        if !others.is_empty()
            && !self
                .store
                .shunning(&[new.account_id], &others, Shun::Blocks)
                .await?
                .is_empty()
        {
            return Ok(Received::Dropped(BLOCKED));
        }
        let status = match self.store.create_status(&new).await {
            Ok(s) => s,
            // A reblog of a post this account already reblogged (under another ID).
            Err(StoreError::Conflict(_)) => {
                return Ok(Received::Dropped("already reblogged under another ID"))
            }
            // Deleted since the check above.
            Err(StoreError::Missing(_)) => return Ok(Received::Dropped(STATUS_NOT_HELD)),
            Err(e) => return Err(e.into()),
        };
        let from = status.account_id;
        self.live_event(crate::live::Event::Status { id: status.id });
        self.search_touch(status.id);
        if let Some(orig) = status.reblog_of_id {
            if let Some(o) = self.store.status(orig).await? {
                self.notify(o.account_id, NotificationType::Reblog, from, Some(orig))
                    .await?;
            }
            return Ok(Received::Kept);
        }
        self.notify_many(
            &new.mentions,
            NotificationType::Mention,
            from,
            Some(status.id),
        )
        .await?;
        if let Some(q) = status.quote_of_id {
            if let Some(qs) = self.store.status(q).await? {
                if !new.mentions.contains(&qs.account_id) {
                    self.notify(
                        qs.account_id,
                        NotificationType::Quote,
                        from,
                        Some(status.id),
                    )
                    .await?;
                }
            }
        }
        let reply_to_other = status
            .in_reply_to_account_id
            .is_some_and(|a| a != status.account_id);
        if status.visibility != Visibility::Direct && !reply_to_other {
            let subscribers: Vec<Id> = self
                .store
                .notifying_followers(from)
                .await?
                .into_iter()
                .filter(|a| !new.mentions.contains(a))
                .collect();
            self.notify_many(
                &subscribers,
                NotificationType::Status,
                from,
                Some(status.id),
            )
            .await?;
        }
        Ok(Received::Kept)
    }

    /// A post of another region pushed for display only (`transit`): streamed to the
    /// followers connected now, written nowhere.
    pub fn show_live(&self, t: crate::remote::TransitStatus) {
        self.live_event(crate::live::Event::Transit(std::sync::Arc::new(t)));
    }

    /// An edit of a foreign status kept here, by its author.
    pub async fn receive_edit(&self, id: Id, author: Id, edit: StatusEdit) -> CoreResult<Received> {
        match self.store.status(id).await? {
            // An Update that changes nothing of the text only refreshes the poll's
            // counts (see `receive_poll`): no edit is recorded.
            Some(s)
                if s.account_id == author
                    && s.text == edit.text
                    && s.spoiler_text == edit.spoiler_text
                    && s.sensitive == edit.sensitive
                    && s.language == edit.language =>
            {
                Ok(Received::Kept)
            }
            Some(s) if s.account_id == author => {
                self.store.edit_status(id, &edit).await?;
                self.live_event(crate::live::Event::Edited { id });
                self.search_touch(id);
                let sharers = self.store.sharers(id).await?;
                self.notify_many(&sharers, NotificationType::Update, author, Some(id))
                    .await?;
                Ok(Received::Kept)
            }
            // Held, but not its author's: the row stays as it was (`receive` checks the
            // author, so this is only a forgery that got that far).
            Some(_) => Ok(Received::Kept),
            None => Ok(Received::Dropped("edits a post not held here")),
        }
    }

    /// A deletion by the status's author; a status we do not have is nothing to do.
    pub async fn receive_delete(&self, id: Id, author: Id) -> CoreResult<()> {
        if let Some(s) = self.store.status(id).await? {
            if s.account_id == author {
                let event = self.deletion_event(&s).await?;
                let media = self.store.status_media(&[id]).await?;
                if self.store.delete_status(id).await?.is_some() {
                    self.live_event(event);
                    self.search_touch(id);
                }
                // The kept copies of its files go with it.
                for m in &media {
                    self.drop_blobs(m).await?;
                }
            }
        }
        Ok(())
    }

    /// A foreign account blocks a local one (`undo`: no longer does). The block is
    /// kept so that the local account's interactions with the blocker are refused here
    /// and what the blocker posts is hidden from them, as at the blocker's home.
    pub async fn receive_block(&self, blocker: Id, target: Id, undo: bool) -> CoreResult<()> {
        if !self.is_foreign_id(blocker) {
            return Err(CoreError::Forbidden(
                "a region cannot speak for this region's accounts".into(),
            ));
        }
        let target = self
            .store
            .account(target)
            .await?
            .filter(|a| self.is_local(a))
            .ok_or(CoreError::NotFound("account"))?;
        if undo {
            self.store.unblock(blocker, target.id).await?;
        } else {
            self.store
                .block(self.next_id()?, blocker, target.id, now())
                .await?;
        }
        Ok(())
    }

    /// A foreign account favourited (or no longer favourites) a status kept here.
    pub async fn receive_favourite(
        &self,
        account: Id,
        status: Id,
        undo: bool,
    ) -> CoreResult<Received> {
        let Some(s) = self.store.status(status).await? else {
            return Ok(Received::Dropped(STATUS_NOT_HELD));
        };
        if undo {
            if self.store.unfavourite(account, status).await? {
                self.store
                    .remove_notifications(
                        s.account_id,
                        account,
                        NotificationType::Favourite,
                        Some(status),
                    )
                    .await?;
            }
        } else {
            let note = self.notification_for(
                s.account_id,
                NotificationType::Favourite,
                account,
                Some(status),
            )?;
            // A block either way refuses it in the write; the sender's region learns
            // nothing (as a local refusal).
            match self
                .store
                .favourite(self.next_id()?, account, status, note.as_ref())
                .await
            {
                Ok(Favourited::New { notified: true }) => {
                    if let Some(n) = &note {
                        self.notified(n);
                    }
                }
                Ok(_) => {}
                Err(StoreError::Blocked) => return Ok(Received::Dropped(BLOCKED)),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Received::Kept)
    }

    /// Views of local statuses read in another region. Only a post's home counts its
    /// views, and no region reads one post more than [`MAX_REPORTED_VIEWS`] times between
    /// two reports: anything else is refused whole, before a count is kept.
    pub fn receive_views(&self, counts: &[(Id, i64)]) -> CoreResult<()> {
        let mut per_post: HashMap<Id, i64> = HashMap::new();
        for &(id, n) in counts {
            if self.is_foreign_id(id) {
                return Err(CoreError::Forbidden(
                    "views can only be reported to the post's home region".into(),
                ));
            }
            let sum = per_post.entry(id).or_default();
            *sum = sum.saturating_add(n);
            if !(0..=MAX_REPORTED_VIEWS).contains(&n) || *sum > MAX_REPORTED_VIEWS {
                return Err(CoreError::Validation(format!(
                    "view counts must be between 0 and {MAX_REPORTED_VIEWS} per post"
                )));
            }
        }
        let now = jiff::Timestamp::now();
        for (id, n) in per_post {
            if n > 0 {
                self.views.record_many(id, n, now);
            }
        }
        Ok(())
    }
}
