//! Scheduled posts: kept at home until their time, then published by the server's job
//! (which also publishes, at start, those that fell due while it was down).

use super::polls::PollRequest;
use super::{clamp_page, now, Roost};
use crate::id::Id;
use crate::model::*;
use crate::usecase::{PostStatus, StatusView};
use crate::{CoreError, CoreResult};

/// Mastodon's `ScheduledStatus::MINIMUM_OFFSET`.
pub const SCHEDULE_MIN_AHEAD: jiff::SignedDuration = jiff::SignedDuration::from_secs(300);

/// What `POST /api/v1/statuses` did.
#[derive(Debug, Clone)]
pub enum Posted {
    Now(Box<StatusView>),
    Scheduled(Box<ScheduledStatus>),
}

fn too_soon() -> CoreError {
    CoreError::Validation(
        "Validation failed: Scheduled at The scheduled date must be in the future".into(),
    )
}

impl Roost {
    /// Posts now, or schedules the post when `scheduled_at` is at least five minutes
    /// ahead (422 when it is sooner; a time already past posts now, as Mastodon does).
    pub async fn post_or_schedule(&self, author: &Account, req: PostStatus) -> CoreResult<Posted> {
        let at = match req.scheduled_at {
            Some(at) if at > now() => at,
            _ => {
                let v = self.post_status(author, req).await?;
                return Ok(Posted::Now(Box::new(v)));
            }
        };
        if at < now() + SCHEDULE_MIN_AHEAD {
            return Err(too_soon());
        }
        // A scheduled row keeps no attachments yet: refused rather than posted without them.
        if !req.media_ids.is_empty() {
            return Err(CoreError::Validation(
                "Scheduled posts cannot carry media yet; post it now or without the files".into(),
            ));
        }
        // Checked now so that a post that could never be published is refused now.
        self.check_postable(&req.text, req.spoiler_text.as_deref())?;
        if let Some(p) = &req.poll {
            p.validate()?;
        }
        let s = ScheduledStatus {
            id: self.next_id()?,
            account_id: author.id,
            scheduled_at: at,
            text: req.text,
            visibility: req.visibility,
            spoiler_text: req.spoiler_text,
            sensitive: req.sensitive,
            language: req.language,
            in_reply_to_id: req.in_reply_to_id,
            quoted_status_id: req.quoted_status_id,
            poll: req.poll.map(|p| ScheduledPoll {
                options: p.options,
                expires_in: p.expires_in.unwrap_or_default(),
                multiple: p.multiple,
                hide_totals: p.hide_totals,
            }),
            idempotency_key: req.idempotency_key,
            created_at: now(),
        };
        self.store.schedule_status(&s).await?;
        Ok(Posted::Scheduled(Box::new(s)))
    }

    fn check_postable(&self, text: &str, spoiler: Option<&str>) -> CoreResult<()> {
        let text = crate::text::strip_forbidden(text);
        if text.trim().is_empty() {
            return Err(CoreError::Validation(
                "Validation failed: Text can't be blank".into(),
            ));
        }
        let length =
            crate::text::count_chars(&text) + spoiler.map_or(0, |s| s.trim().chars().count());
        if length > self.cfg.max_status_chars {
            return Err(CoreError::Validation(format!(
                "Validation failed: Text character limit of {} exceeded",
                self.cfg.max_status_chars
            )));
        }
        Ok(())
    }

    pub async fn scheduled_statuses(
        &self,
        me: &Account,
        page: Page,
    ) -> CoreResult<Vec<ScheduledStatus>> {
        Ok(self
            .store
            .scheduled_statuses(me.id, clamp_page(page))
            .await?)
    }

    /// The caller's own scheduled post; 404 for anyone else's.
    pub async fn scheduled_status(&self, me: &Account, id: Id) -> CoreResult<ScheduledStatus> {
        self.store
            .scheduled_status(me.id, id)
            .await?
            .ok_or(CoreError::NotFound("scheduled_status"))
    }

    pub async fn reschedule(
        &self,
        me: &Account,
        id: Id,
        at: jiff::Timestamp,
    ) -> CoreResult<ScheduledStatus> {
        self.scheduled_status(me, id).await?;
        if at < now() + SCHEDULE_MIN_AHEAD {
            return Err(too_soon());
        }
        if !self.store.reschedule(me.id, id, at).await? {
            return Err(CoreError::NotFound("scheduled_status"));
        }
        self.scheduled_status(me, id).await
    }

    pub async fn unschedule(&self, me: &Account, id: Id) -> CoreResult<()> {
        if !self.store.unschedule(me.id, id).await? {
            return Err(CoreError::NotFound("scheduled_status"));
        }
        Ok(())
    }

    /// Publishes every scheduled post that is due. One that can no longer be published
    /// (its reply target gone, its author suspended) is dropped with a warning rather
    /// than retried for ever. Returns how many were published.
    pub async fn publish_due_scheduled(&self) -> CoreResult<usize> {
        let mut done = 0;
        loop {
            let due = self.store.due_scheduled(now(), 50).await?;
            if due.is_empty() {
                return Ok(done);
            }
            for s in due {
                let author = self.store.account(s.account_id).await?;
                let result = match author {
                    Some(a) if !a.suspended => {
                        let req = PostStatus {
                            text: s.text.clone(),
                            in_reply_to_id: s.in_reply_to_id,
                            quoted_status_id: s.quoted_status_id,
                            visibility: s.visibility,
                            spoiler_text: s.spoiler_text.clone(),
                            sensitive: s.sensitive,
                            language: s.language.clone(),
                            idempotency_key: None,
                            poll: s.poll.as_ref().map(|p| PollRequest {
                                options: p.options.clone(),
                                expires_in: Some(p.expires_in),
                                multiple: p.multiple,
                                hide_totals: p.hide_totals,
                            }),
                            scheduled_at: None,
                            media_ids: Vec::new(),
                        };
                        self.post_status_as(&a, req, Some(s.id)).await.map(|_| ())
                    }
                    _ => Err(CoreError::NotFound("account")),
                };
                match result {
                    Ok(()) => done += 1,
                    // Published meanwhile by another run: nothing to do.
                    Err(CoreError::NotFound("scheduled_status")) => {}
                    Err(e @ (CoreError::Store(_) | CoreError::Unavailable(_))) => return Err(e),
                    Err(e) => {
                        tracing::warn!(id = %s.id, error = %e, "scheduled post dropped: it can no longer be published");
                        self.store.unschedule(s.account_id, s.id).await?;
                    }
                }
            }
        }
    }
}
