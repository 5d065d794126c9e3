//! Polls: validating a poll as posted, reading one, voting, and announcing the end.
//!
//! A poll is part of its status and lives where the status does; votes (`engagement`)
//! are counted only there, once per voter.

use super::{now, Roost};
use crate::id::Id;
use crate::model::*;
use crate::store::StoreError;
use crate::{CoreError, CoreResult};

/// Mastodon's limits (`configuration.polls` in the instance documents).
pub const POLL_MAX_OPTIONS: usize = 4;
pub const POLL_MAX_CHARS_PER_OPTION: usize = 50;
pub const POLL_MIN_EXPIRATION: i64 = 300;
pub const POLL_MAX_EXPIRATION: i64 = 2_629_746;

/// `poll[...]` of `POST /api/v1/statuses` and `PUT /api/v1/statuses/:id`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollRequest {
    pub options: Vec<String>,
    pub expires_in: Option<i64>,
    pub multiple: bool,
    pub hide_totals: bool,
}

fn invalid(msg: &str) -> CoreError {
    CoreError::Validation(format!("Validation failed: {msg}"))
}

impl PollRequest {
    /// Checks Mastodon's rules (PollValidator) and returns the cleaned options.
    pub fn validate(&self) -> CoreResult<(Vec<String>, i64)> {
        let options: Vec<String> = self
            .options
            .iter()
            .map(|o| crate::text::strip_forbidden(o).trim().to_string())
            .collect();
        if options.len() < 2 {
            return Err(invalid("Poll options must have more than one item"));
        }
        if options.len() > POLL_MAX_OPTIONS {
            return Err(invalid(&format!(
                "Poll options can't contain more than {POLL_MAX_OPTIONS} items"
            )));
        }
        if options.iter().any(|o| o.is_empty()) {
            return Err(invalid("Poll options can't be blank"));
        }
        if options
            .iter()
            .any(|o| o.chars().count() > POLL_MAX_CHARS_PER_OPTION)
        {
            return Err(invalid(&format!(
                "Poll options cannot be longer than {POLL_MAX_CHARS_PER_OPTION} characters each"
            )));
        }
        let mut seen = std::collections::HashSet::new();
        if !options.iter().all(|o| seen.insert(o.as_str())) {
            return Err(invalid("Poll options contain duplicate items"));
        }
        let expires_in = self
            .expires_in
            .ok_or_else(|| invalid("Poll expires in can't be blank"))?;
        if expires_in < POLL_MIN_EXPIRATION {
            return Err(invalid("Poll expiration is too soon"));
        }
        if expires_in > POLL_MAX_EXPIRATION {
            return Err(invalid("Poll expiration is too far into the future"));
        }
        Ok((options, expires_in))
    }

    /// The poll as stored, starting now.
    pub fn to_new(&self) -> CoreResult<NewPoll> {
        let (options, expires_in) = self.validate()?;
        let expires_at = now()
            .checked_add(jiff::SignedDuration::from_secs(expires_in))
            .map_err(|_| invalid("Poll expiration is too far into the future"))?;
        Ok(NewPoll {
            options,
            expires_at,
            multiple: self.multiple,
            hide_totals: self.hide_totals,
        })
    }
}

impl Roost {
    /// `GET /api/v1/polls/:id`: the poll of a status the viewer may see (404 otherwise).
    pub async fn poll(&self, id: Id, viewer: Option<Id>) -> CoreResult<Poll> {
        let status = self.visible_status(id, viewer).await?;
        let mut poll = self
            .store
            .polls(&[id], viewer)
            .await?
            .pop()
            .ok_or(CoreError::NotFound("poll"))?;
        poll.viewer_is_author = viewer == Some(status.account_id);
        Ok(poll)
    }

    /// `POST /api/v1/polls/:id/votes`, with Mastodon's VoteValidator rules: 422 when the
    /// poll ended, for one's own poll, an unknown choice, several choices on a
    /// single-choice poll, or a second vote; 404 when the viewer may not see it.
    pub async fn vote(&self, id: Id, voter: &Account, choices: &[u32]) -> CoreResult<Poll> {
        let status = self.visible_status(id, Some(voter.id)).await?;
        self.check_unblocked(voter.id, status.account_id).await?;
        // A poll of another region is counted there: its policy must let that region
        // keep the vote (as a follow), or the vote is refused here at once.
        let home = self
            .is_foreign_id(id)
            .then(|| self.region_of(id).map(str::to_string))
            .flatten();
        if let Some(region) = &home {
            self.check_crossing_kept(region, roost_residency::DataClass::Engagement)?;
        }
        let poll = self
            .store
            .polls(&[id], Some(voter.id))
            .await?
            .pop()
            .ok_or(CoreError::NotFound("poll"))?;
        if poll.expired(now()) {
            return Err(invalid("The poll has already ended"));
        }
        if status.account_id == voter.id {
            return Err(invalid("You cannot vote in your own polls"));
        }
        let mut choices = choices.to_vec();
        choices.sort_unstable();
        choices.dedup();
        if choices.is_empty() || choices.iter().any(|c| *c as usize >= poll.options.len()) {
            return Err(invalid("The chosen vote option does not exist"));
        }
        if !poll.multiple && choices.len() > 1 {
            return Err(invalid("You can only choose one option in this poll"));
        }
        if poll.own_votes.as_ref().is_some_and(|v| !v.is_empty()) {
            return Err(invalid("You have already voted on this poll"));
        }
        match self.store.vote(id, voter.id, &choices, now()).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(invalid("You have already voted on this poll"))
            }
            Err(StoreError::Missing(_)) => return Err(CoreError::NotFound("poll")),
            Err(e) => return Err(e.into()),
        }
        let event = match home {
            Some(_) => crate::remote::Outbound::Voted {
                account: voter.id,
                status: id,
                choices,
            },
            // The new counts reach the regions that keep the status, as its updates do.
            None => crate::remote::Outbound::Updated { status: id },
        };
        self.publish(event).await?;
        self.poll(id, Some(voter.id)).await
    }

    /// The poll of a status of another region kept here, as its home sent it (with the
    /// home's counts); `None` removes it. Nothing for a status not kept here.
    pub async fn receive_poll(
        &self,
        status: Id,
        author: Id,
        poll: Option<(NewPoll, Vec<i64>, i64)>,
    ) -> CoreResult<()> {
        match self.store.status(status).await? {
            Some(s) if s.account_id == author && self.is_foreign_id(status) => {}
            _ => return Ok(()),
        }
        let old = self.store.polls(&[status], None).await?.pop();
        match poll {
            None if old.is_some() => self.store.set_poll(status, None, false).await?,
            None => {}
            Some((new, votes, voters)) => {
                let keep = old
                    .as_ref()
                    .is_some_and(|o| o.options == new.options && o.multiple == new.multiple);
                self.store.set_poll(status, Some(&new), keep).await?;
                self.store.set_poll_tally(status, &votes, voters).await?;
            }
        }
        Ok(())
    }

    /// A vote of another region's user on a poll of this region, sent by its home: the
    /// same rules as a local vote; counted once per voter (a repeat changes nothing);
    /// the new counts go to the regions that keep the status, as its updates do.
    pub async fn receive_vote(
        &self,
        voter: Id,
        id: Id,
        choices: &[u32],
    ) -> CoreResult<crate::usecase::Received> {
        use crate::usecase::Received;
        let Some(status) = self.store.status(id).await? else {
            return Ok(Received::Dropped(super::inbound::STATUS_NOT_HELD));
        };
        if self.is_foreign_id(id) || status.account_id == voter {
            return Ok(Received::Dropped(
                "not a poll another region's user may vote in",
            ));
        }
        if self
            .check_unblocked(voter, status.account_id)
            .await
            .is_err()
        {
            return Ok(Received::Dropped(super::inbound::BLOCKED));
        }
        if self.store.visible_ids(Some(voter), &[id]).await?.is_empty() {
            // A poll the voter may not see: as if it did not exist.
            return Ok(Received::Dropped(super::inbound::STATUS_NOT_HELD));
        }
        let Some(poll) = self.store.polls(&[id], Some(voter)).await?.pop() else {
            return Ok(Received::Dropped("the post has no poll"));
        };
        let mut choices = choices.to_vec();
        choices.sort_unstable();
        choices.dedup();
        let valid = !poll.expired(now())
            && !choices.is_empty()
            && choices.iter().all(|c| (*c as usize) < poll.options.len())
            && (poll.multiple || choices.len() == 1);
        if !valid {
            return Ok(Received::Dropped("not a valid vote in this poll"));
        }
        match self.store.vote(id, voter, &choices, now()).await {
            Ok(()) => {
                self.publish(crate::remote::Outbound::Updated { status: id })
                    .await?;
                Ok(Received::Kept)
            }
            // Voted before: the first vote stays.
            Err(StoreError::Conflict(_)) => Ok(Received::Kept),
            Err(StoreError::Missing(_)) => Ok(Received::Dropped(super::inbound::STATUS_NOT_HELD)),
            Err(e) => Err(e.into()),
        }
    }

    /// Announces every poll that ended: a `poll` notification to each local voter and to
    /// the author, written with the poll's "ended" mark so it happens once, even across
    /// restarts. Returns how many polls it announced.
    pub async fn finish_ended_polls(&self) -> CoreResult<usize> {
        let mut done = 0;
        loop {
            let ended = self.store.ended_polls(now(), 100).await?;
            if ended.is_empty() {
                return Ok(done);
            }
            for p in ended {
                let mut to: Vec<Id> = p
                    .voters
                    .iter()
                    .copied()
                    .filter(|v| !self.is_foreign_id(*v))
                    .collect();
                if !self.is_foreign_id(p.author) {
                    to.push(p.author);
                }
                to.sort_unstable();
                to.dedup();
                let items = to
                    .into_iter()
                    .map(|account| {
                        Ok(Notification {
                            id: self.next_id()?,
                            account_id: account,
                            kind: NotificationType::Poll,
                            from_account_id: p.author,
                            status_id: Some(p.status_id),
                            created_at: now(),
                        })
                    })
                    .collect::<CoreResult<Vec<_>>>()?;
                if self.store.finish_poll(p.status_id, &items).await? {
                    for n in &items {
                        self.notified(n);
                    }
                }
                done += 1;
            }
        }
    }
}
