//! How each activity is built: the wire form of a domain event (a post, a follow, a
//! report...) and the outbox items that carry it, one per destination region.

use crate::ap::{self, Activity, Actor, Address, Note};
use crate::service::Federation;
use jiff::Timestamp;
use roost_core::model::*;
use roost_core::remote::Outbound;
use roost_core::usecase::content_class;
use roost_core::{CoreResult, Id};
use roost_residency::DataClass;
use serde::Serialize;
use std::collections::BTreeSet;

/// How many recent posts a new follower's region receives (as many as a local follow
/// copies into a home timeline).
const BACKFILL: u32 = 40;

impl Federation {
    pub(crate) fn address(&self, a: &Account) -> Address {
        Address {
            id: ap::actor_uri(&self.base_of(&a.home_region), a.id),
            preferred_username: a.username.clone(),
            home_region: a.home_region.clone(),
        }
    }

    pub(crate) fn activity(
        &self,
        kind: &str,
        id: String,
        actor: &Account,
        object: serde_json::Value,
    ) -> Activity {
        Activity {
            context: serde_json::json!(ap::AS_CONTEXT),
            id,
            kind: kind.into(),
            actor: ap::actor_uri(&self.base, actor.id),
            object,
            to: vec![ap::PUBLIC.into()],
            cc: Vec::new(),
            published: Some(Timestamp::now().to_string()),
            actor_address: self.address(actor),
            choices: Vec::new(),
            moved_to: None,
        }
    }

    /// The accounts a status mentions.
    pub(crate) async fn mentioned_in(&self, status: Id) -> CoreResult<Vec<Id>> {
        let mentions = self.store.mentions(&[status]).await?;
        Ok(mentions.into_iter().map(|(_, a)| a).collect())
    }

    /// A relation between two actors (`Follow`, `Block`) or an actor and a post (`Like`),
    /// or its `Undo`. The relation keeps a stable ID of its own (`/ap/{path}`), which the
    /// `Undo` names; the activity itself gets a fresh one.
    fn relation(
        &self,
        kind: &str,
        path: String,
        actor: &Account,
        object: String,
        undo: bool,
    ) -> CoreResult<Activity> {
        let id = self.fresh_activity_id()?;
        Ok(if undo {
            let relation = serde_json::json!({
                "type": kind,
                "id": format!("{}/ap/{path}", self.base),
                "actor": ap::actor_uri(&self.base, actor.id),
                "object": object,
            });
            self.activity("Undo", id, actor, relation)
        } else {
            self.activity(kind, id, actor, serde_json::json!(object))
        })
    }

    pub(crate) fn item(
        &self,
        destination: &str,
        class: DataClass,
        subject: Option<Id>,
        object: String,
        purpose: &str,
        body: &impl Serialize,
    ) -> CoreResult<OutboxItem> {
        let now = Timestamp::now();
        Ok(OutboxItem {
            id: self.mint()?,
            destination: destination.to_string(),
            class,
            subject,
            object,
            purpose: purpose.to_string(),
            body: serde_json::to_string(body).unwrap_or_default(),
            created_at: now,
            next_attempt_at: now,
            attempts: 0,
            state: OutboxState::Pending,
            last_error: None,
            ledger_index: None,
        })
    }

    pub(crate) async fn note_for(
        &self,
        s: &Status,
        author: &Account,
        views: Option<ap::Views>,
    ) -> CoreResult<Note> {
        let mention_ids = self.mentioned_in(s.id).await?;
        let mentioned = self.store.accounts(&mention_ids).await?;
        let tags: Vec<String> = self
            .store
            .tags(&[s.id])
            .await?
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        let mut note = self.note_from_parts(s, author, &mentioned, &tags, views);
        note.poll = self
            .store
            .polls(&[s.id], None)
            .await?
            .pop()
            .map(|p| ap::NotePoll::of(&p));
        let media = self.store.status_media(&[s.id]).await?;
        note.attachment = ap::attachments_of(&self.base_of(&author.home_region), &media);
        Ok(note)
    }

    /// A note from a status whose mentions and tags are already loaded (a hydrated view):
    /// no store reads, for answers that carry many posts.
    pub(crate) fn note_from_parts(
        &self,
        s: &Status,
        author: &Account,
        mentioned: &[Account],
        tags: &[String],
        views: Option<ap::Views>,
    ) -> Note {
        let addresses: Vec<Address> = mentioned.iter().map(|a| self.address(a)).collect();
        let reply_base = s
            .in_reply_to_id
            .and_then(|p| self.home_of(p))
            .map(|r| self.base_of(&r));
        let quote_base = s
            .quote_of_id
            .and_then(|q| self.home_of(q))
            .map(|r| self.base_of(&r));
        ap::note_of(
            s,
            author,
            &self.base_of(&author.home_region),
            &addresses,
            tags,
            reply_base.as_deref(),
            quote_base.as_deref(),
            views,
        )
    }

    /// The `Announce` of a reblog by a local author; None when the reblogged status's
    /// home is not in the cluster.
    pub(crate) fn announce_of(&self, s: &Status, author: &Account) -> Option<Activity> {
        let orig = s.reblog_of_id?;
        let home = self.home_of(orig)?;
        let mut act = self.activity(
            "Announce",
            format!("{}/activity", ap::note_uri(&self.base, s.id)),
            author,
            serde_json::json!(ap::note_uri(&self.base_of(&home), orig)),
        );
        act.published = Some(s.created_at.to_string());
        if s.visibility == Visibility::Private {
            act.to = vec![ap::followers_uri(&self.base, author.id)];
        }
        Some(act)
    }

    /// A Create or Update of a note, addressed as the note is.
    pub(crate) fn note_activity(
        &self,
        kind: &str,
        id: String,
        author: &Account,
        note: &Note,
    ) -> Activity {
        let mut act = self.activity(
            kind,
            id,
            author,
            serde_json::to_value(note).unwrap_or_default(),
        );
        act.to = note.to.clone();
        act.cc = note.cc.clone();
        act
    }

    /// A new follower in another region gets the followed account's recent posts, as a
    /// local follow backfills the home timeline: queued after the Accept, each a Create
    /// through the gate like any other, and only where the policy lets that region keep it
    /// (under `transit` the reader's region fetches them live anyway).
    async fn backfill(
        &self,
        author: &Account,
        follower: Id,
        region: &str,
    ) -> CoreResult<Vec<OutboxItem>> {
        let filter = AccountStatusFilter {
            exclude_reblogs: true,
            exclude_replies: true,
            ..Default::default()
        };
        let page = Page {
            limit: BACKFILL,
            ..Page::default()
        };
        let ids = self
            .store
            .account_statuses(author.id, Some(follower), &filter, page)
            .await?;
        let mut statuses = self.store.statuses(&ids).await?;
        statuses.retain(|s| {
            s.visibility != Visibility::Direct
                && self
                    .gate
                    .decide(region, content_class(s.visibility))
                    .persist()
        });
        // Oldest first, so the region receives them in the order they were written.
        statuses.sort_by_key(|s| s.id);
        // Mentions and tags of all of them in three reads, not three per post.
        let kept: Vec<Id> = statuses.iter().map(|s| s.id).collect();
        let mentions = self.store.mentions(&kept).await?;
        let mut mention_ids: Vec<Id> = mentions.iter().map(|(_, a)| *a).collect();
        mention_ids.sort_unstable();
        mention_ids.dedup();
        let accounts = self.store.accounts(&mention_ids).await?;
        let tags = self.store.tags(&kept).await?;
        let media = self.store.status_media(&kept).await?;
        let mut items = Vec::new();
        for s in statuses {
            let mentioned: Vec<Account> = mentions
                .iter()
                .filter(|(sid, _)| *sid == s.id)
                .filter_map(|(_, a)| accounts.iter().find(|x| x.id == *a).cloned())
                .collect();
            let tags: Vec<String> = tags
                .iter()
                .filter(|(sid, _)| *sid == s.id)
                .map(|(_, t)| t.clone())
                .collect();
            let mut note = self.note_from_parts(&s, author, &mentioned, &tags, None);
            let own: Vec<_> = media
                .iter()
                .filter(|m| m.status_id == Some(s.id))
                .cloned()
                .collect();
            note.attachment = ap::attachments_of(&self.base_of(&author.home_region), &own);
            let act = self.note_activity("Create", format!("{}/activity", note.id), author, &note);
            items.push(self.item(
                region,
                content_class(s.visibility),
                Some(author.id),
                format!("status:{}", s.id),
                "deliver Create (backfill)",
                &act,
            )?);
        }
        Ok(items)
    }

    pub(crate) async fn items_for(&self, event: Outbound) -> CoreResult<Vec<OutboxItem>> {
        Ok(match event {
            Outbound::Follow { follower, target } | Outbound::UndoFollow { follower, target } => {
                let undo = matches!(event, Outbound::UndoFollow { .. });
                let f = self.account(follower).await?;
                let t = self.account(target).await?;
                let object = ap::actor_uri(&self.base_of(&t.home_region), target);
                let mut act = self.relation(
                    "Follow",
                    format!("follows/{follower}/{target}"),
                    &f,
                    object.clone(),
                    undo,
                )?;
                if !undo {
                    act.to = vec![object];
                }
                let purpose = if undo {
                    "deliver Undo Follow"
                } else {
                    "deliver Follow"
                };
                vec![self.item(
                    &t.home_region,
                    DataClass::SocialGraph,
                    Some(follower),
                    format!("follow:{follower}:{target}"),
                    purpose,
                    &act,
                )?]
            }
            Outbound::AcceptFollow { follower, target }
            | Outbound::RejectFollow { follower, target } => {
                let accept = matches!(event, Outbound::AcceptFollow { .. });
                let f = self.account(follower).await?;
                let t = self.account(target).await?;
                let follow = serde_json::json!({
                    "type": "Follow",
                    "actor": ap::actor_uri(&self.base_of(&f.home_region), follower),
                    "object": ap::actor_uri(&self.base, target),
                });
                let kind = if accept { "Accept" } else { "Reject" };
                let act = self.activity(kind, self.fresh_activity_id()?, &t, follow);
                let mut items = vec![self.item(
                    &f.home_region,
                    DataClass::SocialGraph,
                    Some(target),
                    format!("follow:{follower}:{target}"),
                    &format!("deliver {kind}"),
                    &act,
                )?];
                if accept {
                    items.extend(self.backfill(&t, follower, &f.home_region).await?);
                }
                items
            }
            Outbound::Created { status } | Outbound::Updated { status } => {
                let update = matches!(event, Outbound::Updated { .. });
                let Some(s) = self.store.status(status).await? else {
                    return Ok(Vec::new());
                };
                let author = self.account(s.account_id).await?;
                let mentions = self.mentioned_in(s.id).await?;
                let dests = self.status_destinations(&s, &mentions).await?;
                if s.reblog_of_id.is_some() {
                    let Some(act) = self.announce_of(&s, &author) else {
                        return Ok(Vec::new());
                    };
                    return self.fan(
                        &dests,
                        DataClass::Engagement,
                        author.id,
                        &format!("status:{}", s.id),
                        "deliver Announce",
                        &act,
                    );
                }
                let note = self.note_for(&s, &author, None).await?;
                let (kind, id) = if update {
                    ("Update", self.fresh_activity_id()?)
                } else {
                    ("Create", format!("{}/activity", note.id))
                };
                let act = self.note_activity(kind, id, &author, &note);
                self.fan(
                    &dests,
                    content_class(s.visibility),
                    author.id,
                    &format!("status:{}", s.id),
                    &format!("deliver {kind}"),
                    &act,
                )?
            }
            Outbound::Deleted { status, mentions } => {
                let author = self.account(status.account_id).await?;
                let dests = self.status_destinations(&status, &mentions).await?;
                let class = if status.reblog_of_id.is_some() {
                    DataClass::Engagement
                } else {
                    content_class(status.visibility)
                };
                let act = if let Some(orig) = status.reblog_of_id {
                    let home = self.home_of(orig).unwrap_or_else(|| self.region.clone());
                    let announce = serde_json::json!({
                        "type": "Announce",
                        "id": format!("{}/activity", ap::note_uri(&self.base, status.id)),
                        "actor": ap::actor_uri(&self.base, author.id),
                        "object": ap::note_uri(&self.base_of(&home), orig),
                    });
                    self.activity("Undo", self.fresh_activity_id()?, &author, announce)
                } else {
                    self.activity(
                        "Delete",
                        self.fresh_activity_id()?,
                        &author,
                        serde_json::json!(ap::note_uri(&self.base, status.id)),
                    )
                };
                self.fan(
                    &dests,
                    class,
                    author.id,
                    &format!("status:{}", status.id),
                    "deliver Delete",
                    &act,
                )?
            }
            Outbound::Favourited { account, status }
            | Outbound::Unfavourited { account, status } => {
                let undo = matches!(event, Outbound::Unfavourited { .. });
                let Some(home) = self.home_of(status).filter(|h| *h != self.region) else {
                    return Ok(Vec::new());
                };
                let a = self.account(account).await?;
                let act = self.relation(
                    "Like",
                    format!("likes/{account}/{status}"),
                    &a,
                    ap::note_uri(&self.base_of(&home), status),
                    undo,
                )?;
                let dests = BTreeSet::from([home]);
                self.fan(
                    &dests,
                    DataClass::Engagement,
                    account,
                    &format!("favourite:{account}:{status}"),
                    if undo {
                        "deliver Undo Like"
                    } else {
                        "deliver Like"
                    },
                    &act,
                )?
            }
            Outbound::Voted {
                account,
                status,
                choices,
            } => {
                let Some(home) = self.home_of(status).filter(|h| *h != self.region) else {
                    return Ok(Vec::new());
                };
                let a = self.account(account).await?;
                let mut act = self.activity(
                    "roost:Vote",
                    self.fresh_activity_id()?,
                    &a,
                    serde_json::json!(ap::note_uri(&self.base_of(&home), status)),
                );
                act.choices = choices.clone();
                let dests = BTreeSet::from([home]);
                self.fan(
                    &dests,
                    DataClass::Engagement,
                    account,
                    &format!("vote:{account}:{status}"),
                    "deliver Vote",
                    &act,
                )?
            }
            Outbound::ProfileUpdated { account } => {
                let a = self.account(account).await?;
                let dests: BTreeSet<String> = self
                    .store
                    .follower_regions(account, &self.region)
                    .await?
                    .into_iter()
                    .collect();
                let mut actor = Actor::from_account(&a, &self.base, &self.public_key_pem);
                actor.indexable = Some(self.store.indexable(account).await?);
                let act = self.activity(
                    "Update",
                    self.fresh_activity_id()?,
                    &a,
                    serde_json::to_value(&actor).unwrap_or_default(),
                );
                self.fan(
                    &dests,
                    DataClass::PublicContent,
                    account,
                    &format!("account:{account}"),
                    "deliver Update Person",
                    &act,
                )?
            }
            Outbound::Block { account, target } | Outbound::UndoBlock { account, target } => {
                let undo = matches!(event, Outbound::UndoBlock { .. });
                let a = self.account(account).await?;
                let t = self.account(target).await?;
                // Under `deny` the block holds here alone and nothing says it exists.
                if !self
                    .gate
                    .decide(&t.home_region, DataClass::SocialGraph)
                    .allowed()
                {
                    return Ok(Vec::new());
                }
                let act = self.relation(
                    "Block",
                    format!("blocks/{account}/{target}"),
                    &a,
                    ap::actor_uri(&self.base_of(&t.home_region), target),
                    undo,
                )?;
                vec![self.item(
                    &t.home_region,
                    DataClass::SocialGraph,
                    Some(account),
                    format!("block:{account}:{target}"),
                    if undo {
                        "deliver Undo Block"
                    } else {
                        "deliver Block"
                    },
                    &act,
                )?]
            }
            Outbound::Views { region, counts } => {
                if !self.gate.decide(&region, DataClass::Aggregate).allowed() {
                    return Ok(Vec::new());
                }
                let n = self.mint()?;
                let body = serde_json::json!({
                    "@context": ap::AS_CONTEXT,
                    "id": ap::activity_uri(&self.base, n),
                    "type": "roost:Views",
                    "actor": format!("{}/ap/actor", self.base),
                    "object": {
                        "counts": counts.iter().map(|(id, n)| (id.to_string(), n)).collect::<Vec<_>>(),
                    },
                });
                vec![self.item(
                    &region,
                    DataClass::Aggregate,
                    None,
                    format!("views:{n}"),
                    "deliver view counts",
                    &body,
                )?]
            }
            Outbound::Suspended { account } | Outbound::Unsuspended { account } => {
                let lift = matches!(event, Outbound::Unsuspended { .. });
                let a = self.account(account).await?;
                // Every region that may keep the account's posts, not only its followers'
                // today: a reply, a mention or a follow since ended may have put them
                // there. The fact is public (Mastodon shows `suspended` on the profile),
                // so it goes as `public_content`, where the policy lets content be kept.
                let dests: BTreeSet<String> = self
                    .gate
                    .cluster()
                    .regions
                    .keys()
                    .filter(|r| **r != self.region)
                    .cloned()
                    .collect();
                let kind = if lift {
                    "roost:Unsuspend"
                } else {
                    "roost:Suspend"
                };
                let act = self.activity(
                    kind,
                    self.fresh_activity_id()?,
                    &a,
                    serde_json::json!(ap::actor_uri(&self.base, account)),
                );
                self.fan(
                    &dests,
                    DataClass::PublicContent,
                    account,
                    &format!("suspension:{account}"),
                    &format!("deliver {kind}"),
                    &act,
                )?
            }
            Outbound::Erased {
                account,
                username,
                regions,
                moved_to,
            } => self.erasure_items(account, &username, &regions, moved_to.as_ref())?,
            Outbound::ReportForwarded {
                report,
                target,
                region,
                status_ids,
                category,
                comment,
            } => {
                // A `Flag` from the region's own actor: the reporter is never named. The
                // reported posts are the reported user's data, which their home keeps:
                // only their IDs go. The class is `public_content` (what is reported is
                // public or already the home's own), so the home's copy is ruled by the
                // reporter's region's policy towards it; under `deny` nothing is sent.
                if !self
                    .gate
                    .decide(&region, DataClass::PublicContent)
                    .allowed()
                {
                    return Ok(Vec::new());
                }
                let home = self.base_of(&region).to_string();
                let mut object = vec![serde_json::json!(ap::actor_uri(&home, target))];
                object.extend(
                    status_ids
                        .iter()
                        .map(|s| serde_json::json!(format!("{home}/ap/statuses/{s}"))),
                );
                let body = serde_json::json!({
                    "@context": ap::AS_CONTEXT,
                    "id": format!("{}/ap/reports/{report}", self.base),
                    "type": "Flag",
                    "actor": format!("{}/ap/actor", self.base),
                    "object": object,
                    "content": comment,
                    "roost:category": category,
                });
                vec![self.item(
                    &region,
                    DataClass::PublicContent,
                    Some(target),
                    format!("report:{report}"),
                    "forward report",
                    &body,
                )?]
            }
        })
    }
}
