//! A region turned rogue: it signs, with its real key, whatever activities a test hands
//! it, and delivers them to another region's inbox as the gate would. For the forgery
//! suite (`forgery.rs`).

use crate::support::{Regions, Resp, TestServer};
use ed25519_dalek::SigningKey;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Method;
use roost_core::Id;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU16, Ordering};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Sequence numbers for IDs minted by tests; no two collide within a millisecond.
static SEQ: AtomicU16 = AtomicU16::new(0);

/// An ID as `region` would mint it now.
pub fn mint(r: &Regions, region: &str) -> Id {
    let number = r.cluster.region(region).unwrap().number;
    let now = jiff::Timestamp::now().as_millisecond();
    Id::from_parts(now, number, SEQ.fetch_add(1, Ordering::Relaxed) % 4096)
}

pub fn base(r: &Regions, region: &str) -> String {
    r.cluster.region(region).unwrap().base_url.clone()
}

pub struct Rogue {
    /// The region whose key signs.
    pub code: String,
    pub base: String,
    key: SigningKey,
    key_id: String,
}

impl Rogue {
    /// Region `code` of `r`, with the key from its data dir.
    pub fn of(r: &Regions, code: &str) -> Rogue {
        let keys = roost_server::keys::load_or_create(&r.data_dir(code)).unwrap();
        let base = base(r, code);
        let key_id = format!(
            "{base}/ap/actor#{}",
            roost_residency::PublicKey(keys.signing.verifying_key()).key_id()
        );
        Rogue {
            code: code.into(),
            base,
            key: keys.signing,
            key_id,
        }
    }

    /// `{base}/ap/users/{id}`: under this region's base, whatever region minted `id`.
    pub fn user(&self, id: &str) -> String {
        format!("{}/ap/users/{id}", self.base)
    }

    pub fn status(&self, id: &str) -> String {
        format!("{}/ap/statuses/{id}", self.base)
    }

    pub fn activity_id(&self, r: &Regions) -> String {
        format!("{}/ap/activities/{}", self.base, mint(r, &self.code))
    }

    /// An activity of this region, acting as `actor` (an ID of any region) named
    /// `username` at home `home`, as the forger would claim it.
    pub fn activity(
        &self,
        r: &Regions,
        kind: &str,
        actor: &str,
        username: &str,
        home: &str,
        object: Value,
    ) -> Value {
        let actor = self.user(actor);
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": self.activity_id(r),
            "type": kind,
            "actor": actor,
            "object": object,
            "to": [PUBLIC],
            "published": jiff::Timestamp::now().to_string(),
            "roost:actor": {"id": actor, "preferredUsername": username, "roost:homeRegion": home},
        })
    }

    /// A public Note with ID `id` by `author`, whatever regions minted them.
    pub fn note(&self, id: &str, author: &str, source: &str, content: &str) -> Value {
        json!({
            "id": self.status(id),
            "type": "Note",
            "attributedTo": self.user(author),
            "content": content,
            "roost:source": source,
            "published": jiff::Timestamp::now().to_string(),
            "to": [PUBLIC],
            "cc": [format!("{}/followers", self.user(author))],
            "url": format!("{}/@x/{id}", self.base),
        })
    }

    /// A Person actor document for `id` (an Update Person object).
    pub fn person(&self, id: &str, username: &str, home: &str, name: &str, bio: &str) -> Value {
        let uri = self.user(id);
        json!({
            "id": uri,
            "type": "Person",
            "preferredUsername": username,
            "name": name,
            "summary": bio,
            "roost:summarySource": "a plain bio",
            "url": format!("{}/@{username}", self.base),
            "inbox": format!("{uri}/inbox"),
            "outbox": format!("{uri}/outbox"),
            "followers": format!("{uri}/followers"),
            "endpoints": {"sharedInbox": format!("{}/ap/inbox", self.base)},
            "published": "2026-01-01T00:00:00Z",
            "publicKey": {"id": format!("{uri}#main-key"), "owner": uri, "publicKeyPem": ""},
            "roost:homeRegion": home,
        })
    }

    /// Signs `body` for region `signed_for` (its Host) and POSTs it to `to`'s inbox.
    pub async fn deliver_signed_for(
        &self,
        r: &Regions,
        signed_for: &str,
        to: &TestServer,
        body: &Value,
    ) -> Resp {
        let bytes = serde_json::to_vec(body).unwrap();
        let host = r.cluster.region(signed_for).unwrap().domain();
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_str(&host).unwrap());
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/activity+json"),
        );
        roost_federation::httpsig::sign(
            &Method::POST,
            "/ap/inbox",
            &mut headers,
            Some(&bytes),
            &self.key_id,
            &self.key,
        )
        .unwrap();
        let rb = to
            .http
            .post(to.url("/ap/inbox"))
            .headers(headers)
            .body(bytes);
        to.send(rb).await
    }

    /// Delivers `body` to region `to`, signed for it.
    pub async fn deliver(&self, r: &Regions, to: &str, body: &Value) -> Resp {
        self.deliver_signed_for(r, to, r.get(to), body).await
    }
}
