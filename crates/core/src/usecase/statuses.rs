//! Posting, editing, deleting and acting on statuses.

use super::hydrate::StatusView;
use super::safety::not_allowed;
use super::{clamp_page, now, AccountsPage, Roost};
use crate::id::Id;
use crate::live::Event;
use crate::model::*;
use crate::remote::{Outbound, TransitStatus};
use crate::store::{Favourited, StoreError};
use crate::text;
use crate::{CoreError, CoreResult};
use roost_residency::DataClass;

/// `POST /api/v1/statuses`.
#[derive(Debug, Clone, Default)]
pub struct PostStatus {
    pub text: String,
    pub in_reply_to_id: Option<Id>,
    pub quoted_status_id: Option<Id>,
    pub visibility: Option<Visibility>,
    pub spoiler_text: Option<String>,
    pub sensitive: Option<bool>,
    pub language: Option<String>,
    pub idempotency_key: Option<String>,
    pub poll: Option<super::polls::PollRequest>,
    /// Publish then rather than now (at least five minutes ahead; a time already past
    /// publishes now, as Mastodon does).
    pub scheduled_at: Option<jiff::Timestamp>,
    /// Uploads to attach, in order (the author's own, unattached, processed; at most 4).
    pub media_ids: Vec<Id>,
}

/// `PUT /api/v1/statuses/:id`.
#[derive(Debug, Clone, Default)]
pub struct EditStatus {
    pub text: String,
    pub spoiler_text: Option<String>,
    pub sensitive: Option<bool>,
    pub language: Option<String>,
    /// As Mastodon: an edit without a poll removes the status's poll; changing the
    /// options or `multiple` clears the votes.
    pub poll: Option<super::polls::PollRequest>,
    /// `media_attributes[]`: (attachment, description, focus) of the post's own media.
    pub media_attributes: Vec<(Id, Option<String>, Option<String>)>,
}

pub(crate) fn valid_language(l: &str) -> bool {
    // ISO 639-1/639-3 with an optional region or script, e.g. `zh`, `zh-TW`, `yue`.
    let mut parts = l.split(['-', '_']);
    let lang = parts.next().unwrap_or("");
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

struct Prepared {
    text: String,
    content_html: String,
    spoiler_text: String,
    sensitive: bool,
    language: Option<String>,
    mentions: Vec<Account>,
    tags: Vec<String>,
}

impl Roost {
    /// The status if `viewer` may see it; 404 otherwise (unknown and invisible look alike).
    pub async fn visible_status(&self, id: Id, viewer: Option<Id>) -> CoreResult<Status> {
        let Some(status) = self.store.status(id).await? else {
            return Err(self.moved_or_404(id, "status").await);
        };
        if self.store.visible_ids(viewer, &[id]).await?.is_empty() {
            return Err(CoreError::NotFound("status"));
        }
        // A suspended author's posts cannot be replied to, reblogged, liked or quoted
        // either (one account read, from the row cache).
        self.load_moderation().await?;
        if let Some(author) = self.store.account(status.account_id).await? {
            if self.hides(&author) {
                return Err(CoreError::NotFound("status"));
            }
        }
        Ok(status)
    }

    async fn prepare_text(
        &self,
        text: &str,
        spoiler: Option<String>,
        sensitive: Option<bool>,
        language: Option<String>,
        has_media: bool,
    ) -> CoreResult<Prepared> {
        let text = text::strip_forbidden(text).replace("\r\n", "\n");
        // A post of pictures alone may have no words (as Mastodon).
        if text.trim().is_empty() && !has_media {
            return Err(CoreError::Validation(
                "Validation failed: Text can't be blank".into(),
            ));
        }
        let spoiler_text = text::strip_forbidden(spoiler.as_deref().unwrap_or_default())
            .trim()
            .to_string();
        let length = text::count_chars(&text) + spoiler_text.chars().count();
        if length > self.cfg.max_status_chars {
            return Err(CoreError::Validation(format!(
                "Validation failed: Text character limit of {} exceeded",
                self.cfg.max_status_chars
            )));
        }
        let language = match language
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
        {
            Some(l) if valid_language(&l) => Some(l),
            Some(l) => {
                return Err(CoreError::Validation(format!(
                    "Validation failed: Language {l} is not a valid language code"
                )))
            }
            None => None,
        };
        let parsed = text::parse(&text);
        let (mentions, _) = self.resolve_mentions(&parsed).await?;
        let content_html = self.render_text(&text).await?;
        Ok(Prepared {
            sensitive: sensitive.unwrap_or(false) || !spoiler_text.is_empty(),
            spoiler_text,
            language,
            tags: parsed.tags,
            mentions,
            content_html,
            text,
        })
    }

    pub async fn post_status(&self, author: &Account, req: PostStatus) -> CoreResult<StatusView> {
        self.post_status_as(author, req, None).await
    }

    /// Posts; with `scheduled`, the scheduled post of that ID is consumed in the same
    /// write (`NotFound` if it is gone: published or deleted meanwhile).
    pub(crate) async fn post_status_as(
        &self,
        author: &Account,
        req: PostStatus,
        scheduled: Option<Id>,
    ) -> CoreResult<StatusView> {
        let poll = req.poll.as_ref().map(|p| p.to_new()).transpose()?;
        // What the author set as defaults applies where the post does not say.
        let defaults =
            if req.visibility.is_none() || req.sensitive.is_none() || req.language.is_none() {
                self.store.posting_defaults(author.id).await?
            } else {
                PostingDefaults::default()
            };
        let req = PostStatus {
            sensitive: req.sensitive.or(Some(defaults.sensitive)),
            language: req.language.or(defaults.language.clone()),
            ..req
        };
        let key = req
            .idempotency_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(String::from);
        if let Some(k) = &key {
            if k.len() > 200 {
                return Err(CoreError::Validation(
                    "Validation failed: Idempotency-Key is too long".into(),
                ));
            }
            if let Some(id) = self.store.status_by_idempotency_key(author.id, k).await? {
                if let Some(v) = self.hydrate_one(id, Some(author.id)).await? {
                    return Ok(v);
                }
            }
        }
        let p = self
            .prepare_text(
                &req.text,
                req.spoiler_text,
                req.sensitive,
                req.language,
                !req.media_ids.is_empty(),
            )
            .await?;
        self.check_attachable(author, &req.media_ids).await?;
        let mut visibility = req.visibility.unwrap_or(defaults.visibility);
        let parent = match req.in_reply_to_id {
            Some(id) => Some(self.visible_status(id, Some(author.id)).await?),
            None => None,
        };
        if let Some(parent) = &parent {
            self.check_unblocked(author.id, parent.account_id).await?;
            if parent.reblog_of_id.is_some() {
                return Err(CoreError::Validation(
                    "Validation failed: cannot reply to a reblog".into(),
                ));
            }
            // A reply is never more public than a direct message it answers.
            if parent.visibility == Visibility::Direct && req.visibility.is_none() {
                visibility = Visibility::Direct;
            }
        }
        let quoted = match req.quoted_status_id {
            Some(id) => {
                let q = self.visible_status(id, Some(author.id)).await?;
                self.check_unblocked(author.id, q.account_id).await?;
                if q.reblog_of_id.is_some() {
                    return Err(CoreError::Validation(
                        "Validation failed: a reblog cannot be quoted".into(),
                    ));
                }
                if !q.visibility.is_public() && q.account_id != author.id {
                    return Err(CoreError::Validation(
                        "Validation failed: this post cannot be quoted".into(),
                    ));
                }
                Some(q)
            }
            None => None,
        };
        // Replying to, quoting or mentioning someone of another region sends this post
        // there: refuse up front if the policy forbids it.
        let class = content_class(visibility);
        let mut destinations: Vec<Id> = p.mentions.iter().map(|a| a.id).collect();
        destinations.extend(parent.as_ref().map(|s| s.id));
        destinations.extend(quoted.as_ref().map(|s| s.id));
        for id in destinations {
            if self.is_foreign_id(id) {
                if let Some(region) = self.region_of(id) {
                    self.check_crossing(region, class)?;
                }
            }
        }
        let new = NewStatus {
            id: self.next_id()?,
            account_id: author.id,
            text: p.text,
            content_html: p.content_html,
            spoiler_text: p.spoiler_text,
            visibility,
            sensitive: p.sensitive,
            language: p.language,
            in_reply_to_id: parent.as_ref().map(|s| s.id),
            in_reply_to_account_id: parent.as_ref().map(|s| s.account_id),
            reblog_of_id: None,
            quote_of_id: quoted.as_ref().map(|s| s.id),
            created_at: now(),
            mentions: p.mentions.iter().map(|a| a.id).collect(),
            tags: p.tags,
            idempotency_key: key.clone(),
        };
        let created = match (scheduled, &poll) {
            (Some(sid), p) => match self.store.publish_scheduled(sid, &new, p.as_ref()).await {
                Ok(Some(s)) => Ok(s),
                Ok(None) => return Err(CoreError::NotFound("scheduled_status")),
                Err(e) => Err(e),
            },
            (None, Some(p)) => self.store.create_status_with_poll(&new, p).await,
            (None, None) => self.store.create_status(&new).await,
        };
        let status = match created {
            Ok(s) => s,
            Err(StoreError::Missing(_)) => return Err(CoreError::NotFound("status")),
            Err(StoreError::Conflict(_)) if key.is_some() => {
                // A concurrent retry with the same key won the race: answer with its status.
                let id = self
                    .store
                    .status_by_idempotency_key(author.id, key.as_deref().unwrap_or_default())
                    .await?;
                let id = id.ok_or(CoreError::Conflict("duplicate request".into()))?;
                return self
                    .hydrate_one(id, Some(author.id))
                    .await?
                    .ok_or(CoreError::NotFound("status"));
            }
            Err(e) => return Err(e.into()),
        };
        if !req.media_ids.is_empty() {
            if let Err(e) = self.attach(status.id, author, &req.media_ids).await {
                // Another request took an upload between the check and now: the post
                // goes too, as if it had never been made.
                self.store.delete_status(status.id).await?;
                return Err(e);
            }
        }
        let mentioned: Vec<Id> = new.mentions.clone();
        self.notify_many(
            &mentioned,
            NotificationType::Mention,
            author.id,
            Some(status.id),
        )
        .await?;
        if let Some(q) = &quoted {
            if !mentioned.contains(&q.account_id) {
                self.notify(
                    q.account_id,
                    NotificationType::Quote,
                    author.id,
                    Some(status.id),
                )
                .await?;
            }
        }
        let is_reply_to_other = parent.as_ref().is_some_and(|p| p.account_id != author.id);
        if visibility != Visibility::Direct && !is_reply_to_other {
            let subscribers: Vec<Id> = self
                .store
                .notifying_followers(author.id)
                .await?
                .into_iter()
                .filter(|a| !mentioned.contains(a))
                .collect();
            self.notify_many(
                &subscribers,
                NotificationType::Status,
                author.id,
                Some(status.id),
            )
            .await?;
        }
        self.live_event(Event::Status { id: status.id });
        self.search_touch(status.id);
        self.publish(Outbound::Created { status: status.id })
            .await?;
        self.hydrate_one(status.id, Some(author.id))
            .await?
            .ok_or(CoreError::NotFound("status"))
    }

    /// Fetching a single status counts as a view of it — at its home region: views of a
    /// foreign status kept here are sent there; a live (`transit`) read is counted there
    /// by the read itself. The view shows in the answer at once.
    pub async fn view_status(&self, id: Id, viewer: Option<Id>) -> CoreResult<StatusView> {
        let status = match self.visible_status(id, viewer).await {
            Ok(s) => s,
            Err(CoreError::NotFound(_)) if self.is_foreign_id(id) => {
                return self.status(id, viewer).await;
            }
            Err(e) => return Err(e),
        };
        self.view_visible_status(&status, viewer).await
    }

    /// [`Roost::view_status`] for a status the caller already got from
    /// [`Roost::visible_status`] (a page that checks it first): counts the view, then
    /// hydrates.
    pub async fn view_visible_status(
        &self,
        status: &Status,
        viewer: Option<Id>,
    ) -> CoreResult<StatusView> {
        let counted = status.reblog_of_id.unwrap_or(status.id);
        if self.is_foreign_id(counted) {
            self.record_foreign_view(counted);
        } else {
            self.views.record(counted);
        }
        self.hydrate_one(status.id, viewer)
            .await?
            .ok_or(CoreError::NotFound("status"))
    }

    /// Like [`Roost::view_status`] without counting a view (for API reads such as `source`).
    /// A foreign status not kept here is fetched live from its home region (`transit`).
    pub async fn status(&self, id: Id, viewer: Option<Id>) -> CoreResult<StatusView> {
        match self.visible_status(id, viewer).await {
            Ok(_) => self
                .hydrate_one(id, viewer)
                .await?
                .ok_or(CoreError::NotFound("status")),
            Err(CoreError::NotFound(_))
                if self.is_foreign_id(id) && self.store.status(id).await?.is_none() =>
            {
                let t = self
                    .remote
                    .transit_status(viewer, id)
                    .await?
                    .ok_or(CoreError::NotFound("status"))?;
                Ok(self.transit_view_for(t, viewer))
            }
            Err(e) => Err(e),
        }
    }

    /// Statuses among `ids` that the viewer may see, in the given order.
    pub async fn statuses(&self, ids: &[Id], viewer: Option<Id>) -> CoreResult<Vec<StatusView>> {
        let visible = self.store.visible_ids(viewer, ids).await?;
        let ordered: Vec<Id> = ids
            .iter()
            .copied()
            .filter(|i| visible.contains(i))
            .collect();
        self.hydrate(&ordered, viewer).await
    }

    async fn own_status(&self, id: Id, actor: &Account) -> CoreResult<Status> {
        let status = self.visible_status(id, Some(actor.id)).await?;
        // Mastodon answers 404 for someone else's post: acting on it is not a thing.
        if status.account_id != actor.id {
            return Err(CoreError::NotFound("status"));
        }
        Ok(status)
    }

    /// Deletes an own status; returns it as it was (with its source text, for redrafting).
    pub async fn delete_status(&self, id: Id, actor: &Account) -> CoreResult<StatusView> {
        self.own_status(id, actor).await?;
        let view = self
            .hydrate_one(id, Some(actor.id))
            .await?
            .ok_or(CoreError::NotFound("status"))?;
        let mentions: Vec<Id> = view.mentions.iter().map(|a| a.id).collect();
        let gone = self.deletion_event(&view.status).await?;
        let status = self
            .store
            .delete_status(id)
            .await?
            .ok_or(CoreError::NotFound("status"))?;
        // The rows went with the post; now the files nothing else names.
        for m in &view.media {
            self.drop_blobs(&m.attachment).await?;
        }
        self.live_event(gone);
        self.search_touch(id);
        self.publish(Outbound::Deleted {
            status: Box::new(status),
            mentions,
        })
        .await?;
        Ok(view)
    }

    pub async fn edit_status(
        &self,
        id: Id,
        actor: &Account,
        edit: EditStatus,
    ) -> CoreResult<StatusView> {
        let status = self.own_status(id, actor).await?;
        if status.reblog_of_id.is_some() {
            return Err(CoreError::Validation(
                "Validation failed: a reblog cannot be edited".into(),
            ));
        }
        let language = edit.language.or(status.language.clone());
        let p = self
            .prepare_text(
                &edit.text,
                edit.spoiler_text,
                edit.sensitive,
                language,
                !self.store.status_media(&[id]).await?.is_empty(),
            )
            .await?;
        let new_poll = edit.poll.as_ref().map(|p| p.to_new()).transpose()?;
        let old_poll = self.store.polls(&[id], None).await?.pop();
        self.update_attached(id, &edit.media_attributes).await?;
        let old_mentions: Vec<Id> = self
            .store
            .mentions(&[id])
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        let mentions: Vec<Id> = p.mentions.iter().map(|a| a.id).collect();
        self.store
            .edit_status(
                id,
                &StatusEdit {
                    text: p.text,
                    content_html: p.content_html,
                    spoiler_text: p.spoiler_text,
                    sensitive: p.sensitive,
                    language: p.language,
                    mentions: mentions.clone(),
                    tags: p.tags,
                    edited_at: now(),
                },
            )
            .await
            .map_err(|e| match e {
                StoreError::Missing(_) => CoreError::NotFound("status"),
                e => e.into(),
            })?;
        if new_poll.is_some() || old_poll.is_some() {
            let keep = match (&new_poll, &old_poll) {
                (Some(n), Some(o)) => n.options == o.options && n.multiple == o.multiple,
                _ => false,
            };
            self.store
                .set_poll(id, new_poll.as_ref(), keep)
                .await
                .map_err(|e| match e {
                    StoreError::Missing(_) => CoreError::NotFound("status"),
                    e => e.into(),
                })?;
        }
        // Rebloggers hear `update`, those who quoted it `quoted_update` (Mastodon 4.5);
        // someone who did both hears both.
        let rebloggers = self.store.rebloggers(id).await?;
        let quoters = self.store.quoters(id).await?;
        self.notify_many(&rebloggers, NotificationType::Update, actor.id, Some(id))
            .await?;
        self.notify_many(&quoters, NotificationType::QuotedUpdate, actor.id, Some(id))
            .await?;
        let newly: Vec<Id> = mentions
            .into_iter()
            .filter(|m| !old_mentions.contains(m))
            .collect();
        self.notify_many(&newly, NotificationType::Mention, actor.id, Some(id))
            .await?;
        self.live_event(Event::Edited { id });
        self.search_touch(id);
        self.publish(Outbound::Updated { status: id }).await?;
        self.hydrate_one(id, Some(actor.id))
            .await?
            .ok_or(CoreError::NotFound("status"))
    }

    /// Versions oldest first; a never-edited status has one, its current version.
    pub async fn status_history(
        &self,
        id: Id,
        viewer: Option<Id>,
    ) -> CoreResult<(StatusView, Vec<StatusRevision>)> {
        let view = self.status(id, viewer).await?;
        let mut history = self.store.history(id).await?;
        if history.is_empty() {
            history.push(StatusRevision {
                status_id: id,
                content_html: view.status.content_html.clone(),
                spoiler_text: view.status.spoiler_text.clone(),
                sensitive: view.status.sensitive,
                created_at: view.status.created_at,
            });
        }
        Ok((view, history))
    }

    /// Ancestors and descendants the viewer may see.
    pub async fn context(
        &self,
        id: Id,
        viewer: Option<Id>,
    ) -> CoreResult<(Vec<StatusView>, Vec<StatusView>)> {
        self.visible_status(id, viewer).await?;
        // What blocks, mutes and region blocks hide stays out of the thread too.
        let ancestors = self.store.ancestors(id, 40).await?;
        let ancestors = self.unhidden(viewer, ancestors).await?;
        let descendants = self.store.descendants(id, 4096).await?;
        let descendants = self.unhidden(viewer, descendants).await?;
        Ok((
            self.statuses(&ancestors, viewer).await?,
            self.statuses(&descendants, viewer).await?,
        ))
    }

    pub async fn reblog(
        &self,
        id: Id,
        actor: &Account,
        visibility: Option<Visibility>,
    ) -> CoreResult<StatusView> {
        let mut target = self.visible_status(id, Some(actor.id)).await?;
        if let Some(orig) = target.reblog_of_id {
            target = self.visible_status(orig, Some(actor.id)).await?;
        }
        self.check_unblocked(actor.id, target.account_id).await?;
        let allowed = target.visibility.is_public()
            || (target.visibility == Visibility::Private && target.account_id == actor.id);
        if !allowed {
            return Err(CoreError::Forbidden("This action is not allowed".into()));
        }
        if self.is_foreign_id(target.id) {
            if let Some(region) = self.region_of(target.id) {
                self.check_crossing(region, DataClass::Engagement)?;
            }
        }
        if let Some(existing) = self.store.find_reblog(actor.id, target.id).await? {
            return self
                .hydrate_one(existing, Some(actor.id))
                .await?
                .ok_or(CoreError::NotFound("status"));
        }
        let visibility = match visibility.unwrap_or(Visibility::Public) {
            Visibility::Direct => {
                return Err(CoreError::Validation(
                    "Validation failed: Visibility is not allowed for a reblog".into(),
                ))
            }
            // A reblog of a followers-only post stays followers-only.
            _ if target.visibility == Visibility::Private => Visibility::Private,
            v => v,
        };
        let new = NewStatus {
            id: self.next_id()?,
            account_id: actor.id,
            text: String::new(),
            content_html: String::new(),
            spoiler_text: String::new(),
            visibility,
            sensitive: false,
            language: None,
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of_id: Some(target.id),
            quote_of_id: None,
            created_at: now(),
            mentions: Vec::new(),
            tags: Vec::new(),
            idempotency_key: None,
        };
        let reblog = match self.store.create_status(&new).await {
            Ok(s) => s.id,
            Err(StoreError::Conflict(_)) => self
                .store
                .find_reblog(actor.id, target.id)
                .await?
                .ok_or(CoreError::NotFound("status"))?,
            Err(StoreError::Missing(_)) => return Err(CoreError::NotFound("status")),
            Err(e) => return Err(e.into()),
        };
        self.notify(
            target.account_id,
            NotificationType::Reblog,
            actor.id,
            Some(target.id),
        )
        .await?;
        self.live_event(Event::Status { id: reblog });
        self.publish(Outbound::Created { status: reblog }).await?;
        self.hydrate_one(reblog, Some(actor.id))
            .await?
            .ok_or(CoreError::NotFound("status"))
    }

    /// Undoes a reblog; answers with the original status.
    pub async fn unreblog(&self, id: Id, actor: &Account) -> CoreResult<StatusView> {
        let mut target = self.visible_status(id, Some(actor.id)).await?;
        if let Some(orig) = target.reblog_of_id {
            target = self.visible_status(orig, Some(actor.id)).await?;
        }
        if let Some(existing) = self.store.find_reblog(actor.id, target.id).await? {
            let reblog = self.store.status(existing).await?;
            let event = match &reblog {
                Some(s) => Some(self.deletion_event(s).await?),
                None => None,
            };
            if let Some(gone) = self.store.delete_status(existing).await? {
                if let Some(e) = event {
                    self.live_event(e);
                }
                self.publish(Outbound::Deleted {
                    status: Box::new(gone),
                    mentions: Vec::new(),
                })
                .await?;
            }
            self.store
                .remove_notifications(
                    target.account_id,
                    actor.id,
                    NotificationType::Reblog,
                    Some(target.id),
                )
                .await?;
        }
        self.status(target.id, Some(actor.id)).await
    }

    pub async fn favourite(&self, id: Id, actor: &Account) -> CoreResult<StatusView> {
        let target = self.interaction_status(id, actor).await?;
        if self.is_foreign_id(target.id) {
            if let Some(region) = self.region_of(target.id) {
                self.check_crossing(region, DataClass::Engagement)?;
            }
        }
        // The like, the block check (403 either way, as Mastodon) and the author's
        // notification (left out when they would not hear of the liker) in one write.
        let note = self.notification_for(
            target.account_id,
            NotificationType::Favourite,
            actor.id,
            Some(target.id),
        )?;
        let target = target.id;
        let done = match self
            .store
            .favourite(self.next_id()?, actor.id, target, note.as_ref())
            .await
        {
            Err(StoreError::Blocked) => return Err(not_allowed()),
            other => other?,
        };
        if let Favourited::New { notified } = done {
            if let (true, Some(n)) = (notified, &note) {
                self.notified(n);
            }
            self.publish(Outbound::Favourited {
                account: actor.id,
                status: target,
            })
            .await?;
        }
        self.status(target, Some(actor.id)).await
    }

    pub async fn unfavourite(&self, id: Id, actor: &Account) -> CoreResult<StatusView> {
        let target = self.interaction_target(id, actor).await?;
        if self.store.unfavourite(actor.id, target).await? {
            self.publish(Outbound::Unfavourited {
                account: actor.id,
                status: target,
            })
            .await?;
            if let Some(author) = self.store.status(target).await?.map(|s| s.account_id) {
                self.store
                    .remove_notifications(
                        author,
                        actor.id,
                        NotificationType::Favourite,
                        Some(target),
                    )
                    .await?;
            }
        }
        self.status(target, Some(actor.id)).await
    }

    pub async fn bookmark(&self, id: Id, actor: &Account) -> CoreResult<StatusView> {
        let target = self.interaction_target(id, actor).await?;
        self.store
            .bookmark(self.next_id()?, actor.id, target)
            .await?;
        self.status(target, Some(actor.id)).await
    }

    pub async fn unbookmark(&self, id: Id, actor: &Account) -> CoreResult<StatusView> {
        let target = self.interaction_target(id, actor).await?;
        self.store.unbookmark(actor.id, target).await?;
        self.status(target, Some(actor.id)).await
    }

    pub async fn set_pinned(
        &self,
        id: Id,
        actor: &Account,
        pinned: bool,
    ) -> CoreResult<StatusView> {
        let status = self.visible_status(id, Some(actor.id)).await?;
        if status.account_id != actor.id {
            // As in Mastodon: unpinning someone else's post is a no-op, pinning it a 404.
            return match pinned {
                false => self.status(id, Some(actor.id)).await,
                true => Err(CoreError::NotFound("status")),
            };
        }
        if pinned && (status.reblog_of_id.is_some() || status.visibility == Visibility::Direct) {
            return Err(CoreError::Validation(
                "Validation failed: this status cannot be pinned".into(),
            ));
        }
        self.store.set_pinned(id, pinned).await?;
        self.status(id, Some(actor.id)).await
    }

    /// Interactions on a reblog act on the reblogged status.
    async fn interaction_target(&self, id: Id, actor: &Account) -> CoreResult<Id> {
        Ok(self.interaction_status(id, actor).await?.id)
    }

    /// The status an interaction with `id` is about: a reblog's original.
    async fn interaction_status(&self, id: Id, actor: &Account) -> CoreResult<Status> {
        let s = self.visible_status(id, Some(actor.id)).await?;
        match s.reblog_of_id {
            Some(orig) => self.visible_status(orig, Some(actor.id)).await,
            None => Ok(s),
        }
    }

    pub async fn reblogged_by(
        &self,
        id: Id,
        viewer: Option<Id>,
        page: Page,
    ) -> CoreResult<AccountsPage> {
        self.visible_status(id, viewer).await?;
        let rows = self.store.reblogged_by(id, clamp_page(page)).await?;
        let rows = self.without_blocked(viewer, rows).await?;
        self.cursored_accounts(rows).await
    }

    pub async fn favourited_by(
        &self,
        id: Id,
        viewer: Option<Id>,
        page: Page,
    ) -> CoreResult<AccountsPage> {
        self.visible_status(id, viewer).await?;
        let rows = self.store.favourited_by(id, clamp_page(page)).await?;
        let rows = self.without_blocked(viewer, rows).await?;
        self.cursored_accounts(rows).await
    }

    /// `GET /api/v1/statuses/:id/quotes`: the statuses quoting one the viewer may see,
    /// those the viewer may see, without what the viewer hides.
    pub async fn quotes(
        &self,
        id: Id,
        viewer: Option<Id>,
        page: Page,
    ) -> CoreResult<Vec<StatusView>> {
        self.visible_status(id, viewer).await?;
        let ids = self
            .filtered_page(viewer, page, |p| async move {
                Ok(self.store.quotes_of(id, viewer, p).await?)
            })
            .await?;
        self.hydrate(&ids, viewer).await
    }

    /// The viewer's favourites, with the (newest, oldest) favourite cursors.
    pub async fn favourites(
        &self,
        viewer: Id,
        page: Page,
    ) -> CoreResult<(Vec<StatusView>, Option<(Id, Id)>)> {
        let rows = self.store.favourites_of(viewer, clamp_page(page)).await?;
        self.cursored_statuses(rows, viewer).await
    }

    pub async fn bookmarks(
        &self,
        viewer: Id,
        page: Page,
    ) -> CoreResult<(Vec<StatusView>, Option<(Id, Id)>)> {
        let rows = self.store.bookmarks_of(viewer, clamp_page(page)).await?;
        self.cursored_statuses(rows, viewer).await
    }

    async fn cursored_statuses(
        &self,
        rows: Vec<Cursored<Id>>,
        viewer: Id,
    ) -> CoreResult<(Vec<StatusView>, Option<(Id, Id)>)> {
        let bounds = rows
            .first()
            .zip(rows.last())
            .map(|(f, l)| (f.cursor, l.cursor));
        let ids: Vec<Id> = rows.iter().map(|r| r.item).collect();
        // A favourited post may have turned invisible since (e.g. after an unfollow).
        Ok((self.statuses(&ids, Some(viewer)).await?, bounds))
    }
}

/// Public and unlisted posts are `public_content`; followers-only and direct ones
/// `private_content`.
pub fn content_class(v: Visibility) -> DataClass {
    if v.is_public() {
        DataClass::PublicContent
    } else {
        DataClass::PrivateContent
    }
}

/// A status fetched live, as a view (no nested reblog or quote: those would be further
/// live fetches).
pub fn transit_view(t: TransitStatus, has_viewer: bool) -> StatusView {
    StatusView {
        status: t.status,
        account: t.author,
        mentions: t.mentions,
        tags: t.tags,
        reblog: None,
        quote: None,
        flags: has_viewer.then(ViewerFlags::default),
        views: t.views,
        transit: true,
        filtered: Vec::new(),
        poll: t.poll,
        media: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::valid_language;

    #[test]
    fn languages() {
        for ok in ["en", "zh", "zh-TW", "yue", "zh-Hant"] {
            assert!(valid_language(ok), "{ok}");
        }
        for bad in ["", "e", "english", "en-", "1x", "en-<b>"] {
            assert!(!valid_language(bad), "{bad}");
        }
    }
}
