//! [`Federation`]: the core's [`Remote`] port. Turns domain events into activities queued
//! in the durable outbox, resolves foreign accounts, and fetches `transit` posts live —
//! all through the gate.

use crate::ap::{self, Activity, Actor, Address, Note};
use crate::convert;
use crate::gate::{Gate, GateError, Transfer};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::*;
use roost_core::remote::{Outbound, Remote, TransitStatus};
use roost_core::store::Store;
use roost_core::usecase::content_class;
use roost_core::{CoreError, CoreResult, Id, IdGen};
use roost_residency::{Action, DataClass};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Body of the roost extension that fetches posts live (`POST /ap/roost/timeline`).
#[derive(Debug, Serialize, Deserialize)]
pub struct TimelineQuery {
    pub viewer: Option<Id>,
    pub authors: Vec<Id>,
    pub max_id: Option<Id>,
    pub since_id: Option<Id>,
    pub min_id: Option<Id>,
    pub limit: u32,
}

/// Body of `POST /ap/roost/status`.
#[derive(Debug, Serialize, Deserialize)]
pub struct StatusQuery {
    pub viewer: Option<Id>,
    pub id: Id,
}

/// Answer of both: notes with their authors' actors.
#[derive(Debug, Serialize, Deserialize)]
pub struct TransitItems {
    pub items: Vec<TransitItem>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TransitItem {
    pub note: Note,
    pub actor: Actor,
}

/// Bounded, short-lived memory of live fetches. Never written anywhere.
struct TransitCache {
    entries: HashMap<String, (Instant, Arc<Vec<TransitStatus>>)>,
}

const CACHE_MAX: usize = 10_000;

pub struct Federation {
    pub(crate) gate: Arc<Gate>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) region: String,
    pub(crate) base: String,
    pub(crate) public_key_pem: String,
    ids: IdGen,
    pub(crate) outbox_wake: Arc<Notify>,
    cache: Mutex<TransitCache>,
    transit_ttl: Duration,
    /// Whether any region lets us see its posts only in transit; if none does (one
    /// region, or `store` everywhere), home timelines skip the live-fetch path entirely.
    inbound_transit: bool,
    /// New posts to push for live display to regions that may show but not keep them
    /// (see `live_push.rs`); None when no region is such.
    pub(crate) live_push: Option<tokio::sync::mpsc::Sender<Id>>,
    pub(crate) live_push_rx: Mutex<Option<tokio::sync::mpsc::Receiver<Id>>>,
    /// Account archives written at once (each reads every row and file of an account);
    /// more wait their turn.
    pub(crate) exports: tokio::sync::Semaphore,
}

fn unavailable(e: GateError) -> CoreError {
    match e {
        GateError::Denied(d) => CoreError::PolicyDenied(format!(
            "Not allowed by the residency policy ({})",
            d.rule()
        )),
        GateError::Refused {
            status: 403, body, ..
        } => CoreError::PolicyDenied(error_text(&body)),
        GateError::Refused { status: 404, .. } => CoreError::NotFound("account"),
        e => {
            tracing::warn!(error = %crate::chain(&e), "cross-region request failed");
            CoreError::Unavailable(format!("{e}"))
        }
    }
}

/// Whether `home` lets `reader` see some of its users' posts only in transit.
fn transit_from(cluster: &roost_residency::Cluster, home: &str, reader: &str) -> bool {
    [DataClass::PublicContent, DataClass::PrivateContent]
        .iter()
        .any(|c| cluster.decide(home, reader, *c).action == Action::Transit)
}

/// The `error` of a `{"error": ...}` body, else the body.
fn error_text(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from))
        .unwrap_or_else(|| body.to_string())
}

/// How many recent posts a new follower's region receives (as many as a local follow
/// copies into a home timeline).
const BACKFILL: u32 = 40;

impl Federation {
    pub fn new(
        gate: Arc<Gate>,
        store: Arc<dyn Store>,
        ids: IdGen,
        public_key_pem: String,
        transit_ttl: Duration,
    ) -> Federation {
        let region = gate.region().to_string();
        let base = gate.base_url().to_string();
        let inbound_transit = gate
            .cluster()
            .regions
            .keys()
            .filter(|home| **home != region)
            .any(|home| transit_from(gate.cluster(), home, &region));
        let outbound_transit = gate
            .cluster()
            .regions
            .keys()
            .filter(|reader| **reader != region)
            .any(|reader| transit_from(gate.cluster(), &region, reader));
        let (live_push, live_push_rx) = if outbound_transit {
            let (tx, rx) = tokio::sync::mpsc::channel(crate::live_push::QUEUE);
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        Federation {
            gate,
            store,
            region,
            base,
            public_key_pem,
            // Outbox and activity IDs are only unique among themselves.
            // Outbox and activity IDs are only unique among themselves (and, on a
            // region of several nodes, carry this node's number).
            ids,
            outbox_wake: Arc::new(Notify::new()),
            cache: Mutex::new(TransitCache {
                entries: HashMap::new(),
            }),
            transit_ttl,
            inbound_transit,
            live_push,
            live_push_rx: Mutex::new(live_push_rx),
            exports: tokio::sync::Semaphore::new(crate::archive::AT_ONCE),
        }
    }

    pub fn gate(&self) -> &Arc<Gate> {
        &self.gate
    }

    pub(crate) fn base_of(&self, region: &str) -> String {
        self.gate
            .cluster()
            .region(region)
            .map(|r| r.base_url.clone())
            .unwrap_or_else(|| self.base.clone())
    }

    pub(crate) fn home_of(&self, id: Id) -> Option<String> {
        self.gate
            .cluster()
            .region_by_number(id.region())
            .map(|r| r.code.clone())
    }

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

    /// An ID for an outbox row or an activity; fails on a node holding no node number.
    fn mint(&self) -> CoreResult<Id> {
        self.ids
            .next()
            .map_err(|e| CoreError::NotNow(e.to_string()))
    }

    pub(crate) fn fresh_activity_id(&self) -> CoreResult<String> {
        Ok(ap::activity_uri(&self.base, self.mint()?))
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

    pub(crate) async fn account(&self, id: Id) -> CoreResult<Account> {
        self.store
            .account(id)
            .await?
            .ok_or(CoreError::NotFound("account"))
    }

    pub(crate) async fn note_for(
        &self,
        s: &Status,
        author: &Account,
        views: Option<ap::Views>,
    ) -> CoreResult<Note> {
        let mention_ids: Vec<Id> = self
            .store
            .mentions(&[s.id])
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
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

    /// Regions a status by a local author goes to, besides this one.
    pub(crate) async fn status_destinations(
        &self,
        s: &Status,
        mentions: &[Id],
    ) -> CoreResult<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        if s.visibility != Visibility::Direct {
            out.extend(
                self.store
                    .follower_regions(s.account_id, &self.region)
                    .await?,
            );
        }
        let mut others: Vec<Id> = mentions.to_vec();
        if let Some(a) = s.in_reply_to_account_id {
            others.push(a);
        }
        for id in [s.reblog_of_id, s.quote_of_id].into_iter().flatten() {
            others.push(id);
        }
        for id in others {
            if let Some(r) = self.home_of(id) {
                out.insert(r);
            }
        }
        out.remove(&self.region);
        Ok(out)
    }

    /// Items for the destinations whose policy lets them keep it. Under `transit` the
    /// receiver fetches live instead; under `deny` nothing goes (the user was told).
    fn fan(
        &self,
        dests: &BTreeSet<String>,
        class: DataClass,
        subject: Id,
        object: &str,
        purpose: &str,
        body: &Activity,
    ) -> CoreResult<Vec<OutboxItem>> {
        dests
            .iter()
            .filter(|d| self.gate.decide(d, class).persist())
            .map(|d| self.item(d, class, Some(subject), object.to_string(), purpose, body))
            .collect()
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

    async fn items_for(&self, event: Outbound) -> CoreResult<Vec<OutboxItem>> {
        Ok(match event {
            Outbound::Follow { follower, target } | Outbound::UndoFollow { follower, target } => {
                let undo = matches!(event, Outbound::UndoFollow { .. });
                let f = self.account(follower).await?;
                let t = self.account(target).await?;
                let follow = serde_json::json!({
                    "type": "Follow",
                    "id": format!("{}/ap/follows/{follower}/{target}", self.base),
                    "actor": ap::actor_uri(&self.base, follower),
                    "object": ap::actor_uri(&self.base_of(&t.home_region), target),
                });
                let act = if undo {
                    self.activity("Undo", self.fresh_activity_id()?, &f, follow)
                } else {
                    let mut a = self.activity(
                        "Follow",
                        self.fresh_activity_id()?,
                        &f,
                        follow["object"].clone(),
                    );
                    a.to = vec![follow["object"].as_str().unwrap_or_default().to_string()];
                    a
                };
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
                let mentions: Vec<Id> = self
                    .store
                    .mentions(&[s.id])
                    .await?
                    .into_iter()
                    .map(|(_, a)| a)
                    .collect();
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
                let like = serde_json::json!({
                    "type": "Like",
                    "id": format!("{}/ap/likes/{account}/{status}", self.base),
                    "actor": ap::actor_uri(&self.base, account),
                    "object": ap::note_uri(&self.base_of(&home), status),
                });
                let act = if undo {
                    self.activity("Undo", self.fresh_activity_id()?, &a, like)
                } else {
                    self.activity(
                        "Like",
                        self.fresh_activity_id()?,
                        &a,
                        like["object"].clone(),
                    )
                };
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
                let block = serde_json::json!({
                    "type": "Block",
                    "id": format!("{}/ap/blocks/{account}/{target}", self.base),
                    "actor": ap::actor_uri(&self.base, account),
                    "object": ap::actor_uri(&self.base_of(&t.home_region), target),
                });
                let act = if undo {
                    self.activity("Undo", self.fresh_activity_id()?, &a, block)
                } else {
                    self.activity(
                        "Block",
                        self.fresh_activity_id()?,
                        &a,
                        block["object"].clone(),
                    )
                };
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

    /// Keeps a foreign actor as the policy allows; returns the account to show.
    pub(crate) async fn keep_actor(
        &self,
        origin: &str,
        actor: &Actor,
        payload: &[u8],
        purpose: &str,
    ) -> CoreResult<Account> {
        let id = convert::id_of_region(self.gate.cluster(), origin, &actor.id, "users")
            .ok_or(CoreError::NotFound("account"))?;
        if actor.home_region != origin {
            return Err(CoreError::NotFound("account"));
        }
        let d = self
            .gate
            .admit(
                origin,
                &Transfer {
                    counterpart: origin.into(),
                    class: DataClass::PublicContent,
                    subject: Some(id),
                    object: format!("account:{id}"),
                    purpose: purpose.into(),
                },
                payload,
            )
            .await
            .map_err(unavailable)?;
        let home_base = self.base_of(origin);
        let kept = actor.to_account(id, d.persist(), &home_base);
        self.store.upsert_remote_account(&kept).await?;
        // Fields go with the rest of the profile (none when only the address is kept);
        // the pictures are copied by the caller (`Roost::keep_profile_pictures`).
        self.store.set_profile_fields(id, &kept.fields).await?;
        // The search opt-in goes with the profile: without it, only the address is kept.
        if let Some(on) = actor.indexable {
            self.store.set_indexable(id, on && d.persist()).await?;
        }
        let mut shown = actor.to_account(id, d.allowed(), &home_base);
        if let Some(stored) = self.store.account(id).await? {
            shown.followers_count = stored.followers_count;
            shown.following_count = stored.following_count;
            shown.statuses_count = stored.statuses_count;
            shown.suspended |= stored.suspended;
        }
        Ok(shown)
    }

    /// Posts of `region` as it sent them, each kept only if that region speaks for it
    /// (its own post, by its own author).
    pub(crate) fn transit_statuses(&self, region: &str, items: TransitItems) -> Vec<TransitStatus> {
        let base = self.base_of(region);
        let cluster = self.gate.cluster();
        let mut out = Vec::new();
        for it in items.items {
            let Ok(p) = convert::parse_note(cluster, region, &it.note) else {
                continue;
            };
            let author_id = convert::id_of_region(cluster, region, &it.actor.id, "users");
            if author_id != Some(p.status.account_id) || it.actor.home_region != region {
                continue;
            }
            let author_id = p.status.account_id;
            let mentions = p
                .mentions
                .iter()
                .filter_map(|a| convert::address_account(cluster, a))
                .collect();
            let views = it
                .note
                .views
                .as_ref()
                .map(|v| ViewCount {
                    total: v.total,
                    today: v.today,
                })
                .unwrap_or_default();
            // Only files minted by the post's home region.
            let media = ap::foreign_media(&it.note)
                .into_iter()
                .filter(|m| m.id.region() == author_id.region())
                .collect();
            // The poll with its home's counts, shown as they are: votes go to the home.
            let poll = convert::poll_of(&it.note).map(|(new, votes, voters)| Poll {
                status_id: p.status.id,
                options: new.options,
                votes,
                voters_count: voters,
                multiple: new.multiple,
                hide_totals: new.hide_totals,
                expires_at: new.expires_at,
                own_votes: None,
                viewer_is_author: false,
            });
            out.push(TransitStatus {
                poll,
                media,
                author: it.actor.to_account(author_id, true, &base),
                status: p.status,
                mentions,
                tags: p.tags,
                views,
            });
        }
        out
    }

    async fn live(
        &self,
        region: &str,
        path: &str,
        t: Transfer,
        body: &impl Serialize,
    ) -> CoreResult<Vec<TransitStatus>> {
        let body = serde_json::to_vec(body).unwrap_or_default();
        let key = format!("{region}{path}{}", String::from_utf8_lossy(&body));
        if let Some((at, hit)) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .get(&key)
        {
            if at.elapsed() < self.transit_ttl {
                return Ok(hit.as_ref().clone());
            }
        }
        let bytes = self
            .gate
            .query(&t, path, &body)
            .await
            .map_err(unavailable)?;
        let items: TransitItems = serde_json::from_slice(&bytes).map_err(|e| {
            CoreError::Unavailable(format!("region {region} sent a bad answer: {e}"))
        })?;
        let out = self.transit_statuses(region, items);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let ttl = self.transit_ttl;
        if cache.entries.len() >= CACHE_MAX {
            cache.entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if cache.entries.len() >= CACHE_MAX {
                cache.entries.clear();
            }
        }
        cache
            .entries
            .insert(key, (Instant::now(), Arc::new(out.clone())));
        Ok(out)
    }
}

impl Federation {
    /// What `region` holds of a local user ("where is my data").
    pub async fn holdings_at(
        &self,
        region: &str,
        subject: Id,
    ) -> CoreResult<crate::holdings::Holdings> {
        let bytes = self
            .gate
            .fetch(region, &format!("/ap/roost/holdings/{subject}"))
            .await
            .map_err(unavailable)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| CoreError::Unavailable(format!("region {region} sent a bad answer: {e}")))
    }

    /// What every region holds of a local user: this region's own report first, then each
    /// other region's answer (asked at once), failures included rather than hidden.
    pub async fn holdings_everywhere(
        &self,
        roost: &roost_core::Roost,
        subject: Id,
    ) -> CoreResult<Vec<(String, CoreResult<crate::holdings::Holdings>)>> {
        let here = crate::holdings::report(roost, self.gate.ledger(), subject).await?;
        let others: Vec<String> = roost
            .cfg
            .cluster
            .regions
            .keys()
            .filter(|c| **c != roost.cfg.region)
            .cloned()
            .collect();
        let asks = others.iter().map(|r| self.holdings_at(r, subject));
        let answers = futures::future::join_all(asks).await;
        let mut out = vec![(roost.cfg.region.clone(), Ok(here))];
        out.extend(others.into_iter().zip(answers));
        Ok(out)
    }
}

#[async_trait]
impl Remote for Federation {
    async fn erasure_regions(&self, account: Id) -> CoreResult<Vec<String>> {
        self.erasure_regions_of(account).await
    }

    async fn fetch_move_file(
        &self,
        region: &str,
        account: Id,
        media: Id,
        sha256: &str,
    ) -> CoreResult<Vec<u8>> {
        self.fetch_move_file_from(region, account, media, sha256)
            .await
    }

    async fn fetch_move_picture(
        &self,
        region: &str,
        account: Id,
        role: roost_core::media::MediaRole,
        sha256: &str,
    ) -> CoreResult<Vec<u8>> {
        self.fetch_move_picture_from(region, account, role, sha256)
            .await
    }

    async fn send_move(
        &self,
        region: &str,
        package: &roost_core::model::MovePackage,
    ) -> CoreResult<roost_core::model::MoveAck> {
        self.send_move_to(region, package).await
    }

    async fn tag_counts(&self, region: &str) -> CoreResult<Vec<roost_core::store::TagUse>> {
        let t = Transfer {
            counterpart: region.to_string(),
            class: DataClass::Aggregate,
            subject: None,
            object: "tag-counts-query".into(),
            purpose: "cluster trends".into(),
        };
        let bytes = self
            .gate
            .query(&t, "/ap/roost/tag_counts", b"{}")
            .await
            .map_err(unavailable)?;
        serde_json::from_slice(&bytes).map_err(|e| {
            CoreError::Unavailable(format!("region {region} sent bad tag counts: {e}"))
        })
    }

    async fn resolve_account(&self, username: &str, region: &str) -> CoreResult<Account> {
        let spec = self
            .gate
            .cluster()
            .region(region)
            .ok_or(CoreError::NotFound("account"))?;
        if !crate::valid_username(username) {
            return Err(CoreError::NotFound("account"));
        }
        let path = format!(
            "/.well-known/webfinger?resource=acct:{username}@{}",
            spec.domain()
        );
        let jrd = self.gate.fetch(region, &path).await.map_err(unavailable)?;
        let jrd: serde_json::Value =
            serde_json::from_slice(&jrd).map_err(|_| CoreError::NotFound("account"))?;
        let href = jrd["links"]
            .as_array()
            .and_then(|l| l.iter().find(|x| x["rel"] == "self"))
            .and_then(|x| x["href"].as_str())
            .ok_or(CoreError::NotFound("account"))?;
        let id =
            convert::account_id(self.gate.cluster(), href).ok_or(CoreError::NotFound("account"))?;
        match self.fetch_account(id).await {
            Err(CoreError::PolicyDenied(_)) => {
                // The profile may not come here, but the address may: keep just that.
                let a = ap::address_account(id, username, region);
                self.store.upsert_remote_account(&a).await?;
                Ok(a)
            }
            r => r,
        }
    }

    async fn fetch_profile_picture(
        &self,
        account: Id,
        role: roost_core::media::MediaRole,
        hash: &str,
    ) -> CoreResult<Option<Vec<u8>>> {
        let region = self
            .home_of(account)
            .filter(|r| *r != self.region)
            .ok_or(CoreError::NotFound("account"))?;
        let file = ap::RegionFile::Picture(account, role);
        let bytes = self
            .gate
            .fetch_media(&region, &file)
            .await
            .map_err(unavailable)?;
        // Only the file the actor declared is admitted (and so ledgered as stored).
        if roost_core::media::content_hash(&bytes) != hash {
            tracing::warn!(%account, "foreign profile picture does not match its hash");
            return Ok(None);
        }
        let t = Transfer {
            counterpart: region.clone(),
            class: DataClass::PublicContent,
            subject: Some(account),
            object: file.object(),
            purpose: "receive profile picture".into(),
        };
        let d = self
            .gate
            .admit(&region, &t, &bytes)
            .await
            .map_err(unavailable)?;
        Ok(d.persist().then_some(bytes))
    }

    async fn fetch_account(&self, id: Id) -> CoreResult<Account> {
        let region = self
            .home_of(id)
            .filter(|r| *r != self.region)
            .ok_or(CoreError::NotFound("account"))?;
        let bytes = self
            .gate
            .fetch(&region, &format!("/ap/users/{id}"))
            .await
            .map_err(unavailable)?;
        let actor: Actor =
            serde_json::from_slice(&bytes).map_err(|_| CoreError::NotFound("account"))?;
        self.keep_actor(&region, &actor, &bytes, "fetch actor")
            .await
    }

    async fn publish(&self, event: Outbound) -> CoreResult<()> {
        if let Outbound::Created { status } = &event {
            self.queue_live_push(*status);
        }
        let items = self.items_for(event).await?;
        if !items.is_empty() {
            self.store.enqueue(&items).await?;
            self.outbox_wake.notify_one();
        }
        Ok(())
    }

    async fn transit_home(&self, viewer: Id, page: Page) -> CoreResult<Vec<TransitStatus>> {
        if !self.inbound_transit {
            return Ok(Vec::new());
        }
        let followed = self.store.followed_foreign(viewer, &self.region).await?;
        let mut by_region: HashMap<String, Vec<Id>> = HashMap::new();
        for a in followed {
            // Posts of a class we may only see in transit are fetched live (the others
            // were delivered and are kept here).
            let transit = transit_from(self.gate.cluster(), &a.home_region, &self.region);
            if transit {
                by_region
                    .entry(a.home_region.clone())
                    .or_default()
                    .push(a.id);
            }
        }
        if by_region.is_empty() {
            return Ok(Vec::new());
        }
        let mut tasks = Vec::new();
        for (region, authors) in by_region {
            let q = TimelineQuery {
                viewer: Some(viewer),
                authors,
                max_id: page.max_id,
                since_id: page.since_id,
                min_id: page.min_id,
                limit: page.limit,
            };
            let t = Transfer {
                counterpart: region.clone(),
                class: DataClass::SocialGraph,
                subject: Some(viewer),
                object: format!("timeline-query:{viewer}"),
                purpose: "fetch posts live (transit)".into(),
            };
            tasks.push(async move {
                let r = self.live(&region, "/ap/roost/timeline", t, &q).await;
                (region, r)
            });
        }
        let mut out = Vec::new();
        for (region, r) in futures::future::join_all(tasks).await {
            match r {
                Ok(items) => out.extend(items),
                Err(e) => tracing::warn!(region, error = %e, "live fetch failed"),
            }
        }
        Ok(out)
    }

    async fn transit_status(
        &self,
        viewer: Option<Id>,
        id: Id,
    ) -> CoreResult<Option<TransitStatus>> {
        let Some(region) = self.home_of(id).filter(|r| *r != self.region) else {
            return Ok(None);
        };
        let d = self
            .gate
            .cluster()
            .decide(&region, &self.region, DataClass::PublicContent);
        if !d.allowed() {
            return Err(CoreError::PolicyDenied(format!(
                "Withheld by the residency policy ({})",
                d.rule()
            )));
        }
        let (class, subject) = match viewer {
            Some(v) => (DataClass::Engagement, Some(v)),
            None => (DataClass::Aggregate, None),
        };
        let t = Transfer {
            counterpart: region.clone(),
            class,
            subject,
            object: format!("status-query:{id}"),
            purpose: "fetch post live (transit)".into(),
        };
        let items = self
            .live(&region, "/ap/roost/status", t, &StatusQuery { viewer, id })
            .await?;
        Ok(items.into_iter().find(|s| s.status.id == id))
    }
}
