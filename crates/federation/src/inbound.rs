//! What another region sent, parsed into an [`Inbound`] and held to what the signing
//! region may speak for ([`Sender`]) before anything is applied. Parsing reads no store
//! and writes nothing, so every forgery check is here, in one pure function
//! ([`parse`]); `inbox` then applies each kind through the gate and the core's use cases.

use crate::ap::{self, Activity, Actor, Note};
use crate::convert::{self, ParsedNote};
use crate::routes::FedError;
use axum::http::StatusCode;
use jiff::Timestamp;
use roost_core::model::Visibility;
use roost_core::Id;
use roost_residency::Cluster;

/// An inbound activity, its IDs checked against the signing region.
#[derive(Debug)]
pub(crate) enum Inbound {
    /// View counts of this region's posts, from the signing region's own actor.
    Views(Vec<(Id, i64)>),
    Follow {
        follower: Id,
        target: Id,
    },
    Block {
        blocker: Id,
        target: Id,
    },
    /// The followed account's answer to one of our accounts' follow requests.
    FollowAnswer {
        follower: Id,
        target: Id,
        accepted: bool,
    },
    Unfollow {
        who: Id,
        target: Id,
    },
    Unlike {
        who: Id,
        status: Id,
    },
    Unblock {
        who: Id,
        target: Id,
    },
    /// An undone reblog: the reblog's own ID, minted by the reblogger's region.
    Unannounce {
        who: Id,
        reblog: Id,
    },
    Vote {
        who: Id,
        status: Id,
        choices: Vec<u32>,
    },
    Like {
        who: Id,
        status: Id,
    },
    Announce {
        who: Id,
        reblog: Id,
        of: Id,
        visibility: Visibility,
        at: Timestamp,
    },
    /// A new post (`Create`) or an edit (`Update` of a Note), by its own author.
    Note {
        edit: bool,
        note: Box<Note>,
        parsed: Box<ParsedNote>,
    },
    /// A profile update (`Update` of a Person), by the account itself.
    Profile {
        who: Id,
        actor: Box<Actor>,
    },
    /// The account itself is gone: erased at home, or moved to another region's account.
    DeletePerson {
        who: Id,
        moved_to: Option<Id>,
    },
    DeleteStatus {
        who: Id,
        status: Id,
    },
    /// The signed acknowledgement that the signing region erased one of our accounts.
    Erased {
        account: Id,
    },
    Suspension {
        who: Id,
        suspended: bool,
    },
    /// A report forwarded by the signing region's moderators, about one of our accounts.
    Report {
        target: Id,
        statuses: Vec<Id>,
        category: String,
        comment: String,
    },
    /// Well formed, but about nothing this region holds (a like of another region's
    /// post, an undo of a kind roost does not keep): accepted, and nothing changes.
    Ignored(&'static str),
}

impl Inbound {
    /// The account the activity acts as, whose erasure here would make it moot. None for
    /// what a region says itself (views, acknowledgements, reports) and for the Delete of
    /// the Person: a redelivered one is answered again.
    pub(crate) fn acting_account(&self) -> Option<Id> {
        match self {
            Inbound::Follow { follower: who, .. }
            | Inbound::Block { blocker: who, .. }
            | Inbound::FollowAnswer { target: who, .. }
            | Inbound::Unfollow { who, .. }
            | Inbound::Unlike { who, .. }
            | Inbound::Unblock { who, .. }
            | Inbound::Unannounce { who, .. }
            | Inbound::Vote { who, .. }
            | Inbound::Like { who, .. }
            | Inbound::Announce { who, .. }
            | Inbound::Profile { who, .. }
            | Inbound::DeleteStatus { who, .. }
            | Inbound::Suspension { who, .. } => Some(*who),
            Inbound::Note { parsed, .. } => Some(parsed.status.account_id),
            Inbound::Views(_)
            | Inbound::DeletePerson { .. }
            | Inbound::Erased { .. }
            | Inbound::Report { .. }
            | Inbound::Ignored(_) => None,
        }
    }
}

pub(crate) fn bad(m: impl Into<String>) -> FedError {
    FedError(StatusCode::UNPROCESSABLE_ENTITY, m.into())
}

pub(crate) fn forbidden(m: impl Into<String>) -> FedError {
    FedError(StatusCode::FORBIDDEN, m.into())
}

fn note_of_value(v: &serde_json::Value) -> Result<Note, FedError> {
    serde_json::from_value(v.clone()).map_err(|e| bad(format!("bad note: {e}")))
}

/// Activities sent by a region's own actor rather than by one of its accounts.
fn from_region_actor(kind: &str) -> bool {
    matches!(kind, "roost:Views" | "Flag") || kind == crate::erasure::ERASED
}

/// The region that signed a delivery. It may only speak for what it is home to: every
/// ID an activity acts with (the actor, the post it creates, edits, deletes or reblogs
/// with, the account that answers or updates) goes through [`Sender::own`].
pub(crate) struct Sender<'a> {
    pub(crate) cluster: &'a Cluster,
    pub(crate) region: &'a str,
    pub(crate) base: String,
}

impl<'a> Sender<'a> {
    pub(crate) fn new(cluster: &'a Cluster, region: &'a str) -> Result<Sender<'a>, FedError> {
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

    /// The activity's own ID is the signing region's, and what only a region's actor
    /// sends comes from that actor.
    fn check(&self, act: &Activity) -> Result<(), FedError> {
        if !act.id.starts_with(&format!("{}/", self.base)) {
            return Err(forbidden("activity is not of the signing region"));
        }
        if from_region_actor(&act.kind) && act.actor != format!("{}/ap/actor", self.base) {
            return Err(forbidden(
                "this activity can only come from the signing region's actor",
            ));
        }
        Ok(())
    }
}

/// An object of the receiving region (`here`) an activity refers to.
struct Here<'a> {
    cluster: &'a Cluster,
    region: &'a str,
}

impl Here<'_> {
    fn id(&self, uri: &str, kind: &str) -> Option<Id> {
        convert::id_of_region(self.cluster, self.region, uri, kind)
    }

    fn account(&self, uri: &str) -> Result<Id, FedError> {
        self.id(uri, "users")
            .ok_or_else(|| bad("object is not an account of this region"))
    }

    fn status(&self, uri: &str) -> Option<Id> {
        self.id(uri, "statuses")
    }
}

fn text(v: &serde_json::Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// Parses `act`, signed by `from`, for the region `here`: every ID it acts with must be
/// the signing region's, every object it acts on this region's.
pub(crate) fn parse(
    from: &Sender<'_>,
    here: &str,
    act: &Activity,
    raw: &[u8],
) -> Result<Inbound, FedError> {
    from.check(act)?;
    let here = Here {
        cluster: from.cluster,
        region: here,
    };
    if from_region_actor(&act.kind) {
        return parse_region_activity(&here, act, raw);
    }
    let actor = from.actor(act)?;
    Ok(match act.kind.as_str() {
        "Follow" => Inbound::Follow {
            follower: actor,
            target: here.account(text(&act.object))?,
        },
        "Block" => Inbound::Block {
            blocker: actor,
            target: here.account(text(&act.object))?,
        },
        "Accept" | "Reject" => {
            let follower = here.account(text(&act.object["actor"]))?;
            if from.own(text(&act.object["object"]), "users")? != actor {
                return Err(forbidden("only the followed account can answer"));
            }
            Inbound::FollowAnswer {
                follower,
                target: actor,
                accepted: act.kind == "Accept",
            }
        }
        "Undo" => {
            let inner = &act.object;
            if inner["actor"].as_str() != Some(act.actor.as_str()) {
                return Err(forbidden("an actor can only undo its own activities"));
            }
            match text(&inner["type"]) {
                "Follow" => Inbound::Unfollow {
                    who: actor,
                    target: here.account(text(&inner["object"]))?,
                },
                "Like" => match here.status(text(&inner["object"])) {
                    Some(status) => Inbound::Unlike { who: actor, status },
                    None => Inbound::Ignored("an undone like of a post of another region"),
                },
                "Block" => Inbound::Unblock {
                    who: actor,
                    target: here.account(text(&inner["object"]))?,
                },
                "Announce" => Inbound::Unannounce {
                    who: actor,
                    reblog: from.own(text(&inner["id"]), "statuses")?,
                },
                _ => Inbound::Ignored("an undo of an activity roost does not keep"),
            }
        }
        "roost:Vote" => match here.status(text(&act.object)) {
            Some(status) => Inbound::Vote {
                who: actor,
                status,
                choices: act.choices.clone(),
            },
            None => Inbound::Ignored("a vote in a poll of another region"),
        },
        "Like" => match here.status(text(&act.object)) {
            Some(status) => Inbound::Like { who: actor, status },
            None => Inbound::Ignored("a like of a post of another region"),
        },
        "Announce" => {
            // The reblog's ID: minted by the reblogger's region.
            let reblog = from.own(&act.id, "statuses")?;
            let Some(of) = convert::status_id(from.cluster, text(&act.object)) else {
                return Ok(Inbound::Ignored("a reblog of a post outside the cluster"));
            };
            let followers = ap::followers_uri(&from.base, actor);
            Inbound::Announce {
                who: actor,
                reblog,
                of,
                visibility: ap::visibility_of(&act.to, &act.cc, &followers),
                at: act
                    .published
                    .as_deref()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(Timestamp::now),
            }
        }
        "Update" if act.object["type"].as_str() != Some("Note") => {
            let a: Actor = serde_json::from_value(act.object.clone())
                .map_err(|e| bad(format!("bad actor: {e}")))?;
            if from.own(&a.id, "users")? != actor {
                return Err(forbidden("an actor can only update itself"));
            }
            Inbound::Profile {
                who: actor,
                actor: Box::new(a),
            }
        }
        "Create" | "Update" => {
            let note = note_of_value(&act.object)?;
            let parsed =
                convert::parse_note(from.cluster, from.region, &note).map_err(|e| match e {
                    convert::NoteError::NotOfRegion => forbidden(e.to_string()),
                    convert::NoteError::BadTime => bad(e.to_string()),
                })?;
            if parsed.status.account_id != actor {
                return Err(forbidden("an actor can only post as itself"));
            }
            Inbound::Note {
                edit: act.kind == "Update",
                note: Box::new(note),
                parsed: Box::new(parsed),
            }
        }
        "Delete" => {
            let uri = act
                .object
                .as_str()
                .or_else(|| act.object["id"].as_str())
                .unwrap_or_default();
            if uri == act.actor {
                let moved_to = match &act.moved_to {
                    Some(target) => Some(moved_target(from, target)?),
                    None => None,
                };
                Inbound::DeletePerson {
                    who: actor,
                    moved_to,
                }
            } else {
                // Only the author's own posts: applying it also checks the author.
                Inbound::DeleteStatus {
                    who: actor,
                    status: from.own(uri, "statuses")?,
                }
            }
        }
        "roost:Suspend" | "roost:Unsuspend" => {
            // The home region speaks for its own user: the actor is the account itself.
            if from.own(text(&act.object), "users")? != actor {
                return Err(forbidden("a suspension names its own actor"));
            }
            Inbound::Suspension {
                who: actor,
                suspended: act.kind == "roost:Suspend",
            }
        }
        other => return Err(bad(format!("unsupported activity type {other}"))),
    })
}

/// What a region's own actor sends: view counts, reports, erasure acknowledgements.
fn parse_region_activity(here: &Here<'_>, act: &Activity, raw: &[u8]) -> Result<Inbound, FedError> {
    Ok(match act.kind.as_str() {
        "roost:Views" => {
            let counts: Vec<(String, i64)> = serde_json::from_value(act.object["counts"].clone())
                .map_err(|e| bad(format!("bad counts: {e}")))?;
            Inbound::Views(
                counts
                    .into_iter()
                    .map(|(i, n)| Ok((i.parse().map_err(|_| bad("bad status id in counts"))?, n)))
                    .collect::<Result<_, FedError>>()?,
            )
        }
        "Flag" => {
            let objects: Vec<&str> = match &act.object {
                serde_json::Value::Array(v) => v.iter().filter_map(|o| o.as_str()).collect(),
                o => o.as_str().into_iter().collect(),
            };
            let target = objects
                .iter()
                .find_map(|o| here.id(o, "users"))
                .ok_or_else(|| bad("a report names an account of this region"))?;
            // Fields of the report beyond `Activity`'s, read from the delivery itself.
            let whole: serde_json::Value = serde_json::from_slice(raw).unwrap_or_default();
            Inbound::Report {
                target,
                statuses: objects.iter().filter_map(|o| here.status(o)).collect(),
                category: whole["roost:category"]
                    .as_str()
                    .unwrap_or("other")
                    .to_string(),
                comment: text(&whole["content"]).to_string(),
            }
        }
        _ => Inbound::Erased {
            account: here.account(text(&act.object))?,
        },
    })
}

/// The new account a moved Person names: another region's (not the sender's) actor.
fn moved_target(from: &Sender<'_>, uri: &str) -> Result<Id, FedError> {
    let cluster = from.cluster;
    cluster
        .regions
        .keys()
        .filter(|code| code.as_str() != from.region)
        .find_map(|code| convert::id_of_region(cluster, code, uri, "users"))
        .ok_or_else(|| bad("the moved account's new actor is not of another region"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use roost_residency::PublicKey;

    const A: &str = "http://a.test";
    const B: &str = "http://b.test";

    fn cluster() -> Cluster {
        let key = |seed: u8| PublicKey::from(&SigningKey::from_bytes(&[seed; 32]));
        let region = |code: &str, number: u8, base: &str, seed: u8| {
            format!(
                "[regions.{code}]\nname = \"{code}\"\njurisdiction = \"XX\"\nnumber = {number}\n\
                 base_url = \"{base}\"\ntime_zone = \"UTC\"\npublic_keys = [\"{}\"]\n",
                key(seed)
            )
        };
        Cluster::from_toml(&(region("a", 1, A, 1) + &region("b", 2, B, 2))).unwrap()
    }

    fn id(region: u16, seq: u16) -> Id {
        Id::from_parts(1_800_000_000_000, region, seq)
    }

    /// An activity by `actor` (an account of region `a`, number 1), of `kind`, on `object`.
    fn activity(kind: &str, actor: Id, object: serde_json::Value) -> Activity {
        Activity {
            context: serde_json::Value::Null,
            id: ap::activity_uri(A, id(1, 99)),
            kind: kind.into(),
            actor: ap::actor_uri(A, actor),
            object,
            to: Vec::new(),
            cc: Vec::new(),
            published: None,
            actor_address: ap::Address {
                id: ap::actor_uri(A, actor),
                preferred_username: "ana".into(),
                home_region: "a".into(),
            },
            choices: Vec::new(),
            moved_to: None,
        }
    }

    /// Parsed as region `b` receives it from region `a`; the status on refusal.
    fn parse_at_b(act: &Activity) -> Result<Inbound, StatusCode> {
        let c = cluster();
        let from = Sender::new(&c, "a").unwrap();
        parse(&from, "b", act, &serde_json::to_vec(act).unwrap()).map_err(|e| e.0)
    }

    #[test]
    fn a_follow_of_an_account_here_by_the_senders_account_is_read() {
        let (ana, bo) = (id(1, 1), id(2, 1));
        let act = activity("Follow", ana, ap::actor_uri(B, bo).into());
        match parse_at_b(&act) {
            Ok(Inbound::Follow { follower, target }) => {
                assert_eq!((follower, target), (ana, bo));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_sender_cannot_act_as_another_regions_account() {
        // The actor URI is region a's, but the ID was minted by region b.
        let act = activity("Follow", id(2, 7), ap::actor_uri(B, id(2, 1)).into());
        assert_eq!(parse_at_b(&act).unwrap_err(), StatusCode::FORBIDDEN);
        // The address claims another home.
        let mut act = activity("Follow", id(1, 1), ap::actor_uri(B, id(2, 1)).into());
        act.actor_address.home_region = "b".into();
        assert_eq!(parse_at_b(&act).unwrap_err(), StatusCode::FORBIDDEN);
        // The activity's own ID is not under the sender's base.
        let mut act = activity("Follow", id(1, 1), ap::actor_uri(B, id(2, 1)).into());
        act.id = ap::activity_uri(B, id(2, 99));
        assert_eq!(parse_at_b(&act).unwrap_err(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn only_the_followed_account_answers_and_only_the_actor_undoes() {
        let (ana, other, bo) = (id(1, 1), id(1, 2), id(2, 1));
        let accept = activity(
            "Accept",
            ana,
            serde_json::json!({"actor": ap::actor_uri(B, bo), "object": ap::actor_uri(A, other)}),
        );
        assert_eq!(parse_at_b(&accept).unwrap_err(), StatusCode::FORBIDDEN);
        let undo = activity(
            "Undo",
            ana,
            serde_json::json!({"type": "Follow", "actor": ap::actor_uri(A, other),
                               "object": ap::actor_uri(B, bo)}),
        );
        assert_eq!(parse_at_b(&undo).unwrap_err(), StatusCode::FORBIDDEN);
        let own = activity(
            "Undo",
            ana,
            serde_json::json!({"type": "Follow", "actor": ap::actor_uri(A, ana),
                               "object": ap::actor_uri(B, bo)}),
        );
        assert!(matches!(parse_at_b(&own), Ok(Inbound::Unfollow { .. })));
    }

    #[test]
    fn region_activities_come_only_from_the_regions_actor() {
        let views = activity(
            "roost:Views",
            id(1, 1),
            serde_json::json!({"counts": [[id(2, 5).to_string(), 3]]}),
        );
        assert_eq!(parse_at_b(&views).unwrap_err(), StatusCode::FORBIDDEN);
        let mut by_region = views.clone();
        by_region.actor = format!("{A}/ap/actor");
        match parse_at_b(&by_region) {
            Ok(Inbound::Views(counts)) => assert_eq!(counts, vec![(id(2, 5), 3)]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deletes_name_the_senders_own_posts_and_moves_another_regions_account() {
        let ana = id(1, 1);
        let foreign_post = activity("Delete", ana, ap::note_uri(B, id(2, 3)).into());
        assert_eq!(
            parse_at_b(&foreign_post).unwrap_err(),
            StatusCode::FORBIDDEN
        );
        let mut moved = activity("Delete", ana, ap::actor_uri(A, ana).into());
        moved.moved_to = Some(ap::actor_uri(A, id(1, 2)));
        assert_eq!(
            parse_at_b(&moved).unwrap_err(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        moved.moved_to = Some(ap::actor_uri(B, id(2, 2)));
        match parse_at_b(&moved) {
            Ok(Inbound::DeletePerson { who, moved_to }) => {
                assert_eq!((who, moved_to), (ana, Some(id(2, 2))));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn likes_of_posts_not_of_this_region_change_nothing_and_unknown_kinds_are_refused() {
        let like = activity("Like", id(1, 1), ap::note_uri(A, id(1, 4)).into());
        assert!(matches!(parse_at_b(&like), Ok(Inbound::Ignored(_))));
        let odd = activity("Dance", id(1, 1), serde_json::Value::Null);
        assert_eq!(
            parse_at_b(&odd).unwrap_err(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
}
