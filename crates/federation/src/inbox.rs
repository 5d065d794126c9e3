//! Applying an inbound activity. The route checked the signature; here the signing region
//! is held to what it is home to ([`Sender`]), then each kind of activity is admitted
//! through the gate (which decides, with the home region's policy, what may be kept and
//! writes the `stored` ledger entry) and handed to a core use case. What was admitted
//! but not kept (a reply to a post not held here, a like refused by a block) is
//! [`settle`]d: a `dropped` entry says why and the inventory record goes.

use crate::ap::{self, Activity, Actor};
use crate::convert;
use crate::gate::Transfer;
use crate::routes::{bad, note_of_value, FedError, FedState};
use axum::http::StatusCode;
use roost_core::model::Account;
use roost_core::usecase::content_class;
use roost_core::usecase::Received;
use roost_core::{CoreError, Id};
use roost_residency::Decision;
use roost_residency::{Cluster, DataClass};

type R = Result<(), FedError>;

/// Makes sure a foreign account exists here (as an address at least) before rows refer
/// to it.
async fn ensure_address(s: &FedState, a: &ap::Address) -> Result<Account, FedError> {
    let acc = convert::address_account(s.fed.gate.cluster(), a)
        .ok_or_else(|| bad("bad actor address"))?;
    if let Some(existing) = s
        .roost
        .store()
        .account(acc.id)
        .await
        .map_err(CoreError::from)?
    {
        return Ok(existing);
    }
    s.roost.remember_account(&acc).await?;
    Ok(acc)
}

/// The region that signed a delivery. It may only speak for what it is home to: every
/// ID an activity acts with (the actor, the post it creates, edits, deletes or reblogs
/// with, the account that answers or updates) goes through [`Sender::own`].
struct Sender<'a> {
    cluster: &'a Cluster,
    region: &'a str,
    base: String,
}

impl<'a> Sender<'a> {
    fn new(s: &'a FedState, region: &'a str) -> Result<Sender<'a>, FedError> {
        let cluster = s.fed.gate.cluster();
        let base = cluster
            .region(region)
            .map(|r| r.base_url.clone())
            .ok_or_else(|| forbidden("unknown region"))?;
        Ok(Sender {
            cluster,
            region,
            base,
        })
    }

    /// The ID of a `kind` (`users`, `statuses`) the signing region is home to.
    fn own(&self, uri: &str, kind: &str) -> Result<Id, FedError> {
        convert::id_of_region(self.cluster, self.region, uri, kind)
            .ok_or_else(|| forbidden(format!("{kind} object is not of the signing region")))
    }

    /// The acting account: one of the signing region's, and its address must say so too.
    fn actor(&self, act: &Activity) -> Result<Id, FedError> {
        let id = self
            .own(&act.actor, "users")
            .map_err(|_| forbidden("actor is not of the signing region"))?;
        let a = &act.actor_address;
        if a.id != act.actor || a.home_region != self.region {
            return Err(forbidden("actor address does not match the actor"));
        }
        Ok(id)
    }

    /// Checks what is not an account: the activity's own ID and, for view counts, the
    /// region's actor.
    fn check(&self, act: &Activity) -> Result<(), FedError> {
        if !act.id.starts_with(&format!("{}/", self.base)) {
            return Err(forbidden("activity is not of the signing region"));
        }
        if (act.kind == "roost:Views" || act.kind == "Flag" || act.kind == crate::erasure::ERASED)
            && act.actor != format!("{}/ap/actor", self.base)
        {
            return Err(forbidden(
                "this activity can only come from the signing region's actor",
            ));
        }
        Ok(())
    }
}

/// Drops the inventory record of a foreign item that was undone or deleted.
async fn forget_foreign(s: &FedState, key: &str) -> R {
    s.fed
        .store
        .remove_foreign(key)
        .await
        .map_err(CoreError::from)?;
    Ok(())
}

/// Ends the admission of `t`: kept, nothing to add; dropped, the ledger says why and the
/// inventory forgets it, so that neither claims a row that is not here. A failure is left
/// as admitted: part of it may have been written, and an over-report (which the audit
/// finds) is better than an under-report; the sender retries.
async fn settle(
    s: &FedState,
    origin: &str,
    t: &Transfer,
    raw: &[u8],
    d: &Decision,
    applied: Result<Received, FedError>,
) -> R {
    let Received::Dropped(why) = applied? else {
        return Ok(());
    };
    tracing::info!(object = t.object, why, "an admitted item was not kept");
    s.fed.gate.drop_admitted(origin, t, raw, d, why).await?;
    Ok(())
}

fn forbidden(m: impl Into<String>) -> FedError {
    FedError(StatusCode::FORBIDDEN, m.into())
}

/// Objects of this region an activity refers to (the followed account, the liked post).
fn local(s: &FedState, uri: &str, kind: &str) -> Option<Id> {
    convert::id_of_region(s.fed.gate.cluster(), &s.fed.region, uri, kind)
}

fn local_account(s: &FedState, uri: &str) -> Result<Id, FedError> {
    local(s, uri, "users").ok_or_else(|| bad("object is not an account of this region"))
}

fn local_status(s: &FedState, uri: &str) -> Option<Id> {
    local(s, uri, "statuses")
}

/// The new account a moved Person names: another region's (not the sender's) actor.
fn moved_target(s: &FedState, origin: &str, uri: &str) -> Result<Id, FedError> {
    let cluster = s.fed.gate.cluster();
    cluster
        .regions
        .keys()
        .filter(|code| code.as_str() != origin)
        .find_map(|code| convert::id_of_region(cluster, code, uri, "users"))
        .ok_or_else(|| bad("the moved account's new actor is not of another region"))
}

/// An activity signed by `origin`: checked against what `origin` may speak for, handled
/// once (a redelivery changes nothing), then applied.
pub(crate) async fn receive(s: &FedState, origin: &str, act: &Activity, raw: &[u8]) -> R {
    let from = Sender::new(s, origin)?;
    from.check(act)?;
    let actor = match act.kind.as_str() {
        "roost:Views" | "Flag" | crate::erasure::ERASED => None,
        _ => Some(from.actor(act)?),
    };
    let seen = s
        .fed
        .store
        .mark_activity_seen(&act.id, jiff::Timestamp::now())
        .await
        .map_err(CoreError::from)?;
    if !seen {
        return Ok(());
    }
    let r = handle(s, &from, actor, act, raw).await;
    if let Err(e) = &r {
        // Not handled: forget it so a retry of the same activity is processed.
        tracing::warn!(activity = act.id, error = %e.1, "inbound activity refused");
        let _ = s.fed.store.forget_activity(&act.id).await;
    }
    r
}

async fn handle(
    s: &FedState,
    from: &Sender<'_>,
    actor: Option<Id>,
    act: &Activity,
    raw: &[u8],
) -> R {
    let (origin, base) = (from.region, from.base.as_str());
    let gate = &s.fed.gate;
    let t = |class: DataClass, subject: Option<Id>, object: String, purpose: &str| Transfer {
        counterpart: origin.to_string(),
        class,
        subject,
        object,
        purpose: purpose.to_string(),
    };
    match act.kind.as_str() {
        "roost:Views" => {
            let counts: Vec<(String, i64)> = serde_json::from_value(act.object["counts"].clone())
                .map_err(|e| bad(format!("bad counts: {e}")))?;
            let parsed = counts
                .into_iter()
                .map(|(i, n)| Ok((i.parse().map_err(|_| bad("bad status id in counts"))?, n)))
                .collect::<Result<Vec<(Id, i64)>, FedError>>()?;
            Ok(s.roost.receive_views(&parsed)?)
        }
        "Follow" => {
            let follower = actor.ok_or_else(|| bad("no actor"))?;
            let target = local_account(s, act.object.as_str().unwrap_or_default())?;
            let tr = t(
                DataClass::SocialGraph,
                Some(follower),
                format!("follow:{follower}:{target}"),
                "receive Follow",
            );
            let d = gate.admit(origin, &tr, raw).await?;
            if !d.persist() {
                return Err(FedError(
                    axum::http::StatusCode::FORBIDDEN,
                    format!("A follow cannot be kept here ({})", d.rule()),
                ));
            }
            let applied = async {
                ensure_address(s, &act.actor_address).await?;
                Ok(s.roost.receive_follow(follower, target).await?)
            }
            .await;
            settle(s, origin, &tr, raw, &d, applied).await
        }
        "Block" => {
            // Another region's user blocks one of ours: kept (as that region's policy
            // lets us) so that our user's interactions with them are refused here.
            let blocker = actor.ok_or_else(|| bad("no actor"))?;
            let target = local_account(s, act.object.as_str().unwrap_or_default())?;
            let tr = t(
                DataClass::SocialGraph,
                Some(blocker),
                format!("block:{blocker}:{target}"),
                "receive Block",
            );
            let d = gate.admit(origin, &tr, raw).await?;
            if !d.persist() {
                return Ok(());
            }
            let applied = async {
                ensure_address(s, &act.actor_address).await?;
                s.roost.receive_block(blocker, target, false).await?;
                Ok(Received::Kept)
            }
            .await;
            settle(s, origin, &tr, raw, &d, applied).await
        }
        "Accept" | "Reject" => {
            // Our follower's request, answered by the origin's account.
            let follower = local_account(s, act.object["actor"].as_str().unwrap_or_default())?;
            let target = actor.ok_or_else(|| bad("no actor"))?;
            let answered = from.own(act.object["object"].as_str().unwrap_or_default(), "users")?;
            if answered != target {
                return Err(forbidden("only the followed account can answer"));
            }
            s.roost
                .receive_follow_answer(follower, target, act.kind == "Accept")
                .await?;
            Ok(())
        }
        "Undo" => {
            let inner = &act.object;
            let who = actor.ok_or_else(|| bad("no actor"))?;
            if inner["actor"].as_str() != Some(act.actor.as_str()) {
                return Err(forbidden("an actor can only undo its own activities"));
            }
            match inner["type"].as_str().unwrap_or_default() {
                "Follow" => {
                    let target = local_account(s, inner["object"].as_str().unwrap_or_default())?;
                    s.roost.receive_unfollow(who, target).await?;
                    forget_foreign(s, &format!("follow:{who}:{target}")).await?;
                }
                "Like" => {
                    if let Some(status) =
                        local_status(s, inner["object"].as_str().unwrap_or_default())
                    {
                        s.roost.receive_favourite(who, status, true).await?;
                        forget_foreign(s, &format!("favourite:{who}:{status}")).await?;
                    }
                }
                "Block" => {
                    let target = local_account(s, inner["object"].as_str().unwrap_or_default())?;
                    s.roost.receive_block(who, target, true).await?;
                    forget_foreign(s, &format!("block:{who}:{target}")).await?;
                }
                "Announce" => {
                    let id = from.own(inner["id"].as_str().unwrap_or_default(), "statuses")?;
                    s.roost.receive_delete(id, who).await?;
                    forget_foreign(s, &format!("status:{id}")).await?;
                }
                _ => {}
            }
            Ok(())
        }
        "roost:Vote" => {
            let who = actor.ok_or_else(|| bad("no actor"))?;
            let Some(status) = local_status(s, act.object.as_str().unwrap_or_default()) else {
                return Ok(());
            };
            let tr = t(
                DataClass::Engagement,
                Some(who),
                format!("vote:{who}:{status}"),
                "receive Vote",
            );
            let d = gate.admit(origin, &tr, raw).await?;
            if !d.persist() {
                return Ok(());
            }
            let applied = async {
                ensure_address(s, &act.actor_address).await?;
                Ok(s.roost.receive_vote(who, status, &act.choices).await?)
            }
            .await;
            settle(s, origin, &tr, raw, &d, applied).await
        }
        "Like" => {
            let who = actor.ok_or_else(|| bad("no actor"))?;
            let Some(status) = local_status(s, act.object.as_str().unwrap_or_default()) else {
                return Ok(());
            };
            let tr = t(
                DataClass::Engagement,
                Some(who),
                format!("favourite:{who}:{status}"),
                "receive Like",
            );
            let d = gate.admit(origin, &tr, raw).await?;
            if !d.persist() {
                return Ok(());
            }
            let applied = async {
                ensure_address(s, &act.actor_address).await?;
                Ok(s.roost.receive_favourite(who, status, false).await?)
            }
            .await;
            settle(s, origin, &tr, raw, &d, applied).await
        }
        "Announce" => {
            let who = actor.ok_or_else(|| bad("no actor"))?;
            // The reblog's ID: minted by the reblogger's region.
            let id = from.own(&act.id, "statuses")?;
            let Some(of) = convert::status_id(
                s.fed.gate.cluster(),
                act.object.as_str().unwrap_or_default(),
            ) else {
                return Ok(());
            };
            // Only reblogs of posts kept here can be shown here.
            if s.roost
                .store()
                .status(of)
                .await
                .map_err(CoreError::from)?
                .is_none()
            {
                return Ok(());
            }
            let tr = t(
                DataClass::Engagement,
                Some(who),
                format!("status:{id}"),
                "receive Announce",
            );
            let d = gate.admit(origin, &tr, raw).await?;
            if !d.persist() {
                return Ok(());
            }
            let applied = async {
                ensure_address(s, &act.actor_address).await?;
                let followers = ap::followers_uri(base, who);
                let vis = ap::visibility_of(&act.to, &act.cc, &followers);
                let at = act
                    .published
                    .as_deref()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(jiff::Timestamp::now);
                Ok(s.roost
                    .receive_status(convert::reblog_status(id, who, of, vis, at))
                    .await?)
            }
            .await;
            settle(s, origin, &tr, raw, &d, applied).await
        }
        "Create" | "Update" => {
            if act.kind == "Update" && act.object["type"].as_str() != Some("Note") {
                // A profile update.
                let a: Actor = serde_json::from_value(act.object.clone())
                    .map_err(|e| bad(format!("bad actor: {e}")))?;
                let who = from.own(&a.id, "users")?;
                if Some(who) != actor {
                    return Err(forbidden("an actor can only update itself"));
                }
                let known = s
                    .roost
                    .store()
                    .account(who)
                    .await
                    .map_err(CoreError::from)?
                    .is_some();
                if known {
                    let declared = s
                        .fed
                        .keep_actor(origin, &a, raw, "receive Update Person")
                        .await?;
                    s.roost.keep_profile_pictures(declared).await?;
                }
                return Ok(());
            }
            let note = note_of_value(&act.object)?;
            let p = convert::parse_note(from.cluster, origin, &note).map_err(|e| match e {
                convert::NoteError::NotOfRegion => forbidden(e.to_string()),
                convert::NoteError::BadTime => bad(e.to_string()),
            })?;
            if Some(p.status.account_id) != actor {
                return Err(forbidden("an actor can only post as itself"));
            }
            let class = content_class(p.status.visibility);
            let tr = t(
                class,
                actor,
                format!("status:{}", p.status.id),
                &format!("receive {}", act.kind),
            );
            let d = gate.admit(origin, &tr, raw).await?;
            if !d.persist() {
                // Transit or deny: nothing of it is written here.
                return Ok(());
            }
            let applied = async {
                ensure_address(s, &act.actor_address).await?;
                let mut mentions = Vec::new();
                for m in &p.mentions {
                    if let Some(a) = convert::address_account(s.fed.gate.cluster(), m) {
                        // Foreign ones must exist here (as an address) before a row names
                        // them.
                        if s.roost.is_local(&a) || ensure_address(s, m).await.is_ok() {
                            mentions.push(a.id);
                        }
                    }
                }
                Ok(if act.kind == "Create" {
                    s.roost
                        .receive_status(convert::new_status(&p, mentions))
                        .await?
                } else {
                    s.roost
                        .receive_edit(
                            p.status.id,
                            p.status.account_id,
                            convert::edit_of(&p, mentions),
                        )
                        .await?
                })
            }
            .await;
            let kept = matches!(applied, Ok(Received::Kept));
            settle(s, origin, &tr, raw, &d, applied).await?;
            if !kept {
                return Ok(());
            }
            let poll = convert::poll_of(&note);
            if act.kind == "Create" {
                crate::media_in::keep_attachments(
                    s,
                    origin,
                    &note,
                    p.status.id,
                    p.status.account_id,
                    class,
                )
                .await?;
            }
            s.roost
                .receive_poll(p.status.id, p.status.account_id, poll)
                .await?;
            Ok(())
        }
        "Delete" => {
            let who = actor.ok_or_else(|| bad("no actor"))?;
            let uri = act
                .object
                .as_str()
                .or_else(|| act.object["id"].as_str())
                .unwrap_or_default();
            if uri == act.actor {
                // The account itself: erased at home, or moved to another region's
                // account (an ID that region minted, under its base URL).
                let moved_to = match &act.moved_to {
                    Some(target) => Some(moved_target(s, origin, target)?),
                    None => None,
                };
                return crate::erasure::receive_delete_person(s, origin, who, moved_to).await;
            }
            // Only the author's own posts: `receive_delete` also checks the author.
            let id = from.own(uri, "statuses")?;
            s.roost.receive_delete(id, who).await?;
            forget_foreign(s, &format!("status:{id}")).await?;
            Ok(())
        }
        crate::erasure::ERASED => {
            let account = local_account(s, act.object.as_str().unwrap_or_default())?;
            crate::erasure::receive_ack(s, origin, account, raw).await
        }
        "roost:Suspend" | "roost:Unsuspend" => {
            // The home region speaks for its own user: the actor is the account itself.
            let who = actor.ok_or_else(|| bad("no actor"))?;
            if from.own(act.object.as_str().unwrap_or_default(), "users")? != who {
                return Err(forbidden("a suspension names its own actor"));
            }
            s.roost
                .receive_suspension(who, act.kind == "roost:Suspend")
                .await?;
            Ok(())
        }
        "Flag" => {
            // A report forwarded by the origin's moderators: about our users only.
            let objects: Vec<&str> = match &act.object {
                serde_json::Value::Array(v) => v.iter().filter_map(|o| o.as_str()).collect(),
                o => o.as_str().into_iter().collect(),
            };
            let target = objects
                .iter()
                .find_map(|o| local(s, o, "users"))
                .ok_or_else(|| bad("a report names an account of this region"))?;
            let statuses: Vec<Id> = objects.iter().filter_map(|o| local_status(s, o)).collect();
            let raw_json: serde_json::Value = serde_json::from_slice(raw).unwrap_or_default();
            s.roost
                .receive_report(
                    origin,
                    target,
                    &statuses,
                    raw_json["roost:category"].as_str().unwrap_or("other"),
                    raw_json["content"].as_str().unwrap_or_default(),
                )
                .await?;
            Ok(())
        }
        other => Err(bad(format!("unsupported activity type {other}"))),
    }
}
