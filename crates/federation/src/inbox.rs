//! Applying an inbound activity. The signature and the actor's region were checked by the
//! route; here each kind of activity is admitted through the gate (which decides, with
//! the home region's policy, what may be kept and writes the `stored` ledger entry) and
//! handed to a core use case.

use crate::ap::{self, Activity, Actor};
use crate::convert;
use crate::gate::Transfer;
use crate::routes::{bad, note_of_value, FedError, FedState};
use roost_core::model::Account;
use roost_core::usecase::content_class;
use roost_core::{CoreError, Id};
use roost_residency::DataClass;

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

fn local_account(s: &FedState, uri: &str) -> Result<Id, FedError> {
    ap::id_in(uri, &s.fed.base, "users")
        .ok_or_else(|| bad("object is not an account of this region"))
}

fn local_status(s: &FedState, uri: &str) -> Option<Id> {
    ap::id_in(uri, &s.fed.base, "statuses")
}

pub(crate) async fn handle(
    s: &FedState,
    origin: &str,
    base: &str,
    actor: Option<Id>,
    act: &Activity,
    raw: &[u8],
) -> R {
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
            let parsed: Vec<(Id, i64)> = counts
                .into_iter()
                .filter_map(|(i, n)| Some((i.parse().ok()?, n)))
                .collect();
            s.roost.receive_views(&parsed);
            Ok(())
        }
        "Follow" => {
            let follower = actor.ok_or_else(|| bad("no actor"))?;
            let target = local_account(s, act.object.as_str().unwrap_or_default())?;
            let d = gate
                .admit(
                    origin,
                    &t(
                        DataClass::SocialGraph,
                        Some(follower),
                        format!("follow:{follower}:{target}"),
                        "receive Follow",
                    ),
                    raw,
                )
                .await?;
            if !d.persist() {
                return Err(FedError(
                    axum::http::StatusCode::FORBIDDEN,
                    format!("A follow cannot be kept here ({})", d.rule()),
                ));
            }
            ensure_address(s, &act.actor_address).await?;
            s.roost.receive_follow(follower, target).await?;
            Ok(())
        }
        "Accept" | "Reject" => {
            // Our follower's request, answered by the origin's account.
            let follower = local_account(s, act.object["actor"].as_str().unwrap_or_default())?;
            let target = actor.ok_or_else(|| bad("no actor"))?;
            let object_target = ap::id_in(
                act.object["object"].as_str().unwrap_or_default(),
                base,
                "users",
            );
            if object_target != Some(target) {
                return Err(bad("only the followed account can answer"));
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
                return Err(bad("an actor can only undo its own activities"));
            }
            match inner["type"].as_str().unwrap_or_default() {
                "Follow" => {
                    let target = local_account(s, inner["object"].as_str().unwrap_or_default())?;
                    s.roost.receive_unfollow(who, target).await?;
                    s.fed
                        .store
                        .remove_foreign(&format!("follow:{who}:{target}"))
                        .await
                        .map_err(CoreError::from)?;
                }
                "Like" => {
                    if let Some(status) =
                        local_status(s, inner["object"].as_str().unwrap_or_default())
                    {
                        s.roost.receive_favourite(who, status, true).await?;
                        s.fed
                            .store
                            .remove_foreign(&format!("favourite:{who}:{status}"))
                            .await
                            .map_err(CoreError::from)?;
                    }
                }
                "Announce" => {
                    let id = inner["id"]
                        .as_str()
                        .and_then(|i| ap::id_in(i, base, "statuses"));
                    if let Some(id) = id {
                        s.roost.receive_delete(id, who).await?;
                        s.fed
                            .store
                            .remove_foreign(&format!("status:{id}"))
                            .await
                            .map_err(CoreError::from)?;
                    }
                }
                _ => {}
            }
            Ok(())
        }
        "Like" => {
            let who = actor.ok_or_else(|| bad("no actor"))?;
            let Some(status) = local_status(s, act.object.as_str().unwrap_or_default()) else {
                return Ok(());
            };
            let d = gate
                .admit(
                    origin,
                    &t(
                        DataClass::Engagement,
                        Some(who),
                        format!("favourite:{who}:{status}"),
                        "receive Like",
                    ),
                    raw,
                )
                .await?;
            if d.persist() {
                ensure_address(s, &act.actor_address).await?;
                s.roost.receive_favourite(who, status, false).await?;
            }
            Ok(())
        }
        "Announce" => {
            let who = actor.ok_or_else(|| bad("no actor"))?;
            let id = ap::id_in(&act.id, base, "statuses").ok_or_else(|| bad("bad announce id"))?;
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
            let d = gate
                .admit(
                    origin,
                    &t(
                        DataClass::Engagement,
                        Some(who),
                        format!("status:{id}"),
                        "receive Announce",
                    ),
                    raw,
                )
                .await?;
            if d.persist() {
                ensure_address(s, &act.actor_address).await?;
                let followers = ap::followers_uri(base, who);
                let vis = ap::visibility_of(&act.to, &act.cc, &followers);
                let at = act
                    .published
                    .as_deref()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(jiff::Timestamp::now);
                s.roost
                    .receive_status(convert::reblog_status(id, who, of, vis, at))
                    .await?;
            }
            Ok(())
        }
        "Create" | "Update" => {
            if act.kind == "Update" && act.object["type"].as_str() != Some("Note") {
                // A profile update.
                let a: Actor = serde_json::from_value(act.object.clone())
                    .map_err(|e| bad(format!("bad actor: {e}")))?;
                let who = convert::account_id(s.fed.gate.cluster(), &a.id);
                if who.is_none() || who != actor {
                    return Err(bad("an actor can only update itself"));
                }
                let known = match who {
                    Some(id) => s
                        .roost
                        .store()
                        .account(id)
                        .await
                        .map_err(CoreError::from)?
                        .is_some(),
                    None => false,
                };
                if known {
                    s.fed
                        .keep_actor(origin, &a, raw, "receive Update Person")
                        .await?;
                }
                return Ok(());
            }
            let note = note_of_value(&act.object)?;
            let p = convert::parse_note(s.fed.gate.cluster(), base, &note)
                .ok_or_else(|| bad("note is not of the signing region"))?;
            if Some(p.status.account_id) != actor {
                return Err(bad("an actor can only post as itself"));
            }
            let class = content_class(p.status.visibility);
            let d = gate
                .admit(
                    origin,
                    &t(
                        class,
                        actor,
                        format!("status:{}", p.status.id),
                        &format!("receive {}", act.kind),
                    ),
                    raw,
                )
                .await?;
            if !d.persist() {
                // Transit or deny: nothing of it is written here.
                return Ok(());
            }
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
            if act.kind == "Create" {
                s.roost
                    .receive_status(convert::new_status(&p, mentions))
                    .await?;
            } else {
                s.roost
                    .receive_edit(
                        p.status.id,
                        p.status.account_id,
                        convert::edit_of(&p, mentions),
                    )
                    .await?;
            }
            Ok(())
        }
        "Delete" => {
            let who = actor.ok_or_else(|| bad("no actor"))?;
            let uri = act
                .object
                .as_str()
                .or_else(|| act.object["id"].as_str())
                .unwrap_or_default();
            if let Some(id) = ap::id_in(uri, base, "statuses") {
                s.roost.receive_delete(id, who).await?;
                s.fed
                    .store
                    .remove_foreign(&format!("status:{id}"))
                    .await
                    .map_err(CoreError::from)?;
            }
            Ok(())
        }
        other => Err(bad(format!("unsupported activity type {other}"))),
    }
}
