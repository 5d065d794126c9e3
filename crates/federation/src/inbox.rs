//! Applying an inbound activity. The route checked the signature and `inbound` parsed it
//! and held it to what the signing region speaks for; here each kind is admitted through
//! the gate (which decides, with the home region's policy, what may be kept and writes
//! the `stored` ledger entry) and handed to a core use case. What was admitted but not
//! kept (a reply to a post not held here, a like refused by a block) is [`settle`]d: a
//! `dropped` entry says why and the inventory record goes.

use crate::ap;
use crate::convert;
use crate::gate::Transfer;
use crate::inbound::{self, bad, forbidden, Inbound, Sender};
use crate::routes::{FedError, FedState};
use roost_core::model::Account;
use roost_core::store::Seen;
use roost_core::usecase::content_class;
use roost_core::usecase::Received;
use roost_core::{CoreError, Id};
use roost_residency::{DataClass, Decision};

type R = Result<(), FedError>;

/// An activity marked as being applied for this long was left by a handler that stopped
/// (handlers run to the end while their process lives, in moments): its redelivery takes
/// it over rather than being ignored as a replay.
const TAKE_OVER_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// Makes sure a foreign account exists here (as an address at least) before rows refer
/// to it.
async fn ensure_address(s: &FedState, a: &ap::Address) -> Result<Account, FedError> {
    let acc = convert::address_account(s.fed.gate.cluster(), a)
        .ok_or_else(|| bad("bad actor address"))?;
    Ok(s.roost.known_or_remember(acc).await?)
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

/// An activity signed by `origin`: parsed and checked against what `origin` may speak
/// for, handled once (a redelivery changes nothing), then applied.
pub(crate) async fn receive(s: &FedState, origin: &str, act: &ap::Activity, raw: &[u8]) -> R {
    let from = Sender::new(s.fed.gate.cluster(), origin)?;
    let inbound = inbound::parse(&from, &s.fed.region, act, raw)?;
    let now = jiff::Timestamp::now();
    let stale_before = now
        .checked_sub(TAKE_OVER_AFTER)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let seen = s
        .fed
        .store
        .mark_activity_seen(&act.id, now, stale_before)
        .await
        .map_err(CoreError::from)?;
    match seen {
        Seen::New => {}
        Seen::Applied => return Ok(()),
        // Another handler has it; the sender asks again later, and takes it over if
        // that one stopped.
        Seen::Applying => {
            return Err(FedError(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "This activity is being applied; try again later".into(),
            ))
        }
    }
    let r = apply(s, &from, inbound, act, raw).await;
    match &r {
        Ok(()) => {
            if let Err(e) = s.fed.store.finish_activity(&act.id).await {
                // Applied; a redelivery after TAKE_OVER_AFTER applies it again, which
                // each kind's handling tolerates (it finds what it wrote).
                tracing::warn!(activity = act.id, error = %e, "an applied activity was not marked so");
            }
        }
        Err(e) => {
            // Not handled: forget it so a retry of the same activity is processed.
            tracing::warn!(activity = act.id, error = %e.1, "inbound activity refused");
            let _ = s.fed.store.forget_activity(&act.id).await;
        }
    }
    r
}

async fn apply(
    s: &FedState,
    from: &Sender<'_>,
    inbound: Inbound,
    act: &ap::Activity,
    raw: &[u8],
) -> R {
    let origin = from.region;
    let gate = &s.fed.gate;
    // A late redelivery (or a restore's outbox) of what an erased account did: answered as
    // handled, so the sender stops retrying, and nothing of it is admitted or kept.
    if let Some(who) = inbound.acting_account() {
        if s.roost.erased_abroad(who).await? {
            tracing::info!(activity = act.id, account = %who, origin, "an activity of an erased account was not applied");
            return Ok(());
        }
    }
    let t = |class: DataClass, subject: Id, object: String, purpose: &str| Transfer {
        counterpart: origin.to_string(),
        class,
        subject: Some(subject),
        object,
        purpose: purpose.to_string(),
    };
    match inbound {
        Inbound::Ignored(what) => {
            tracing::debug!(activity = act.id, what, "nothing here to apply");
            Ok(())
        }
        Inbound::Views(counts) => Ok(s.roost.receive_views(&counts)?),
        Inbound::Follow { follower, target } => {
            let tr = t(
                DataClass::SocialGraph,
                follower,
                format!("follow:{follower}:{target}"),
                "receive Follow",
            );
            let d = gate.admit(origin, &tr, raw).await?;
            if !d.persist() {
                return Err(forbidden(format!(
                    "A follow cannot be kept here ({})",
                    d.rule()
                )));
            }
            let applied = async {
                ensure_address(s, &act.actor_address).await?;
                Ok(s.roost.receive_follow(follower, target).await?)
            }
            .await;
            settle(s, origin, &tr, raw, &d, applied).await
        }
        Inbound::Block { blocker, target } => {
            // Another region's user blocks one of ours: kept (as that region's policy
            // lets us) so that our user's interactions with them are refused here.
            let tr = t(
                DataClass::SocialGraph,
                blocker,
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
        Inbound::FollowAnswer {
            follower,
            target,
            accepted,
        } => Ok(s
            .roost
            .receive_follow_answer(follower, target, accepted)
            .await?),
        Inbound::Unfollow { who, target } => {
            s.roost.receive_unfollow(who, target).await?;
            forget_foreign(s, &format!("follow:{who}:{target}")).await
        }
        Inbound::Unlike { who, status } => {
            s.roost.receive_favourite(who, status, true).await?;
            forget_foreign(s, &format!("favourite:{who}:{status}")).await
        }
        Inbound::Unblock { who, target } => {
            s.roost.receive_block(who, target, true).await?;
            forget_foreign(s, &format!("block:{who}:{target}")).await
        }
        Inbound::Unannounce { who, reblog }
        | Inbound::DeleteStatus {
            who,
            status: reblog,
        } => {
            // `receive_delete` checks the author.
            s.roost.receive_delete(reblog, who).await?;
            forget_foreign(s, &format!("status:{reblog}")).await
        }
        Inbound::Vote {
            who,
            status,
            choices,
        } => {
            let tr = t(
                DataClass::Engagement,
                who,
                format!("vote:{who}:{status}"),
                "receive Vote",
            );
            let d = gate.admit(origin, &tr, raw).await?;
            if !d.persist() {
                return Ok(());
            }
            let applied = async {
                ensure_address(s, &act.actor_address).await?;
                Ok(s.roost.receive_vote(who, status, &choices).await?)
            }
            .await;
            settle(s, origin, &tr, raw, &d, applied).await
        }
        Inbound::Like { who, status } => {
            let tr = t(
                DataClass::Engagement,
                who,
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
        Inbound::Announce {
            who,
            reblog,
            of,
            visibility,
            at,
        } => {
            // Only reblogs of posts kept here can be shown here.
            if !s.roost.holds_status(of).await? {
                return Ok(());
            }
            let tr = t(
                DataClass::Engagement,
                who,
                format!("status:{reblog}"),
                "receive Announce",
            );
            let d = gate.admit(origin, &tr, raw).await?;
            if !d.persist() {
                return Ok(());
            }
            let applied = async {
                ensure_address(s, &act.actor_address).await?;
                Ok(s.roost
                    .receive_status(convert::reblog_status(reblog, who, of, visibility, at))
                    .await?)
            }
            .await;
            settle(s, origin, &tr, raw, &d, applied).await
        }
        Inbound::Profile { who, actor } => {
            // Only profiles already known here are updated: an update is no reason to
            // start keeping someone.
            if s.roost.knows_account(who).await? {
                let p = s
                    .fed
                    .admit_actor(origin, &actor, raw, "receive Update Person")
                    .await?;
                s.roost.keep_foreign_profile(p).await?;
            }
            Ok(())
        }
        Inbound::Note { edit, note, parsed } => {
            receive_note(s, origin, act, raw, edit, &note, &parsed).await
        }
        Inbound::DeletePerson { who, moved_to } => {
            crate::erasure::receive_delete_person(s, origin, who, moved_to).await
        }
        Inbound::Erased { account } => crate::erasure::receive_ack(s, origin, account, raw).await,
        Inbound::Suspension { who, suspended } => {
            Ok(s.roost.receive_suspension(who, suspended).await?)
        }
        Inbound::Report {
            target,
            statuses,
            category,
            comment,
        } => Ok(s
            .roost
            .receive_report(origin, target, &statuses, &category, &comment)
            .await?),
    }
}

/// A new post or an edit: admitted under its class, then kept with its mentions, its
/// files (a new post's) and its poll.
async fn receive_note(
    s: &FedState,
    origin: &str,
    act: &ap::Activity,
    raw: &[u8],
    edit: bool,
    note: &ap::Note,
    p: &convert::ParsedNote,
) -> R {
    let (id, author) = (p.status.id, p.status.account_id);
    let class = content_class(p.status.visibility);
    let tr = Transfer {
        counterpart: origin.to_string(),
        class,
        subject: Some(author),
        object: format!("status:{id}"),
        purpose: format!("receive {}", if edit { "Update" } else { "Create" }),
    };
    let d = s.fed.gate.admit(origin, &tr, raw).await?;
    if !d.persist() {
        // Transit or deny: nothing of it is written here.
        return Ok(());
    }
    let applied = async {
        ensure_address(s, &act.actor_address).await?;
        let mut mentions = Vec::new();
        for m in &p.mentions {
            if let Some(a) = convert::address_account(s.fed.gate.cluster(), m) {
                // Foreign ones must exist here (as an address) before a row names them.
                if s.roost.is_local(&a) || ensure_address(s, m).await.is_ok() {
                    mentions.push(a.id);
                }
            }
        }
        Ok(if edit {
            s.roost
                .receive_edit(id, author, convert::edit_of(p, mentions))
                .await?
        } else {
            s.roost
                .receive_status(convert::new_status(p, mentions))
                .await?
        })
    }
    .await;
    let kept = matches!(applied, Ok(Received::Kept));
    settle(s, origin, &tr, raw, &d, applied).await?;
    if !kept {
        return Ok(());
    }
    if !edit {
        crate::media_in::keep_attachments(s, origin, note, id, author, class).await?;
    }
    s.roost
        .receive_poll(id, author, convert::poll_of(note))
        .await?;
    Ok(())
}
