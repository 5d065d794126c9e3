//! Property tests of what other regions send us before we trust it: HTTP Signature
//! verification (`httpsig::verify`) never panics and refuses every garbage or tampered
//! request, and any JSON body deserialises into `ap::Activity` / `Note` / `Actor` (or is
//! refused) without panicking, as do the helpers the inbox applies to what it got.
//! Cases: `PROPTEST_CASES` (default small).

use ed25519_dalek::{SigningKey, VerifyingKey};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use proptest::prelude::*;
use roost_federation::ap::{self, Activity, Actor, Note};
use roost_federation::httpsig::{sign, verify, VerifyError, VerifyOptions};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};

const KEY_ID: &str = "https://peer.example/ap/actor#k1";

fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// Hands out the real key for any keyId, so garbage gets as far as the crypto.
fn lookup_any(_: &str) -> Vec<VerifyingKey> {
    vec![key().verifying_key()]
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

fn opts() -> VerifyOptions {
    VerifyOptions {
        max_skew_secs: 300,
        now: now(),
    }
}

fn date_header() -> String {
    httpdate::fmt_http_date(now())
}

fn check(
    method: &Method,
    pq: &str,
    headers: &HeaderMap,
    body: Option<&[u8]>,
) -> Result<String, VerifyError> {
    verify(method, pq, headers, body, lookup_any, &opts()).map(|v| v.key_id)
}

/// Values that mean something to the parser or to the checks after it.
fn param_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(KEY_ID.to_string()),
        Just("hs2019".to_string()),
        Just("rsa-sha256".to_string()),
        Just("(request-target) host date digest".to_string()),
        Just("(request-target) host date digest content-type".to_string()),
        Just("(created) (expires)".to_string()),
        Just("date date date".to_string()),
        Just("host ".repeat(40)),
        Just("AAAA".to_string()),
        Just("A".repeat(88)),
        Just("=".to_string()),
        Just(String::new()),
        "[ -~]{0,40}",
    ]
}

fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("keyId".to_string()),
        Just("algorithm".to_string()),
        Just("headers".to_string()),
        Just("signature".to_string()),
        Just("created".to_string()),
        "[a-zA-Z-]{0,8}",
    ]
}

/// `name="value", …` with the odd bare token, missing quote or stray separator.
fn signature_header() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec((param_name(), param_value(), 0u8..6), 0..8).prop_map(|params| {
            let mut s = String::new();
            for (n, v, style) in params {
                match style {
                    0 => s.push_str(&format!("{n}=\"{v}\",")),
                    1 => s.push_str(&format!("{n}={v},")),
                    2 => s.push_str(&format!("{n}=\"{v},")),
                    3 => s.push_str(&format!(" {n} = \"{v}\" ,")),
                    4 => s.push_str(&format!("{n}\"{v}\"")),
                    _ => s.push_str(&format!("{n}=\"{v}\"")),
                }
            }
            s.into_bytes()
        }),
        prop::collection::vec(any::<u8>(), 0..200),
        (1usize..20_000).prop_map(|n| format!("keyId=\"{}\"", "a".repeat(n)).into_bytes()),
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("host".to_string()),
        Just("date".to_string()),
        Just("digest".to_string()),
        Just("content-type".to_string()),
        Just("signature".to_string()),
        "[a-z-]{1,10}",
    ]
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(date_header().into_bytes()),
        Just(b"Thu, 01 Jan 1970 00:00:00 GMT".to_vec()),
        Just(b"SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".to_vec()),
        Just(b"sha-256=, SHA-256".to_vec()),
        Just(b"application/activity+json".to_vec()),
        Just(b"peer.example".to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
    ]
}

/// Builds a header map, skipping bytes no HTTP header could carry.
fn header_map(sig: Option<Vec<u8>>, extra: Vec<(String, Vec<u8>)>) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Some(sig) = sig {
        if let Ok(v) = HeaderValue::from_bytes(&sig) {
            h.append("signature", v);
        }
    }
    for (n, v) in extra {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(n), HeaderValue::from_bytes(&v)) {
            h.append(n, v);
        }
    }
    h
}

/// A request as a peer region signs it: (method, path, headers, body).
fn signed(body: Option<Vec<u8>>) -> (Method, String, HeaderMap, Option<Vec<u8>>) {
    let method = if body.is_some() {
        Method::POST
    } else {
        Method::GET
    };
    let pq = "/ap/inbox?x=1".to_string();
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("in.example"));
    h.insert("date", HeaderValue::from_str(&date_header()).unwrap());
    h.insert(
        "content-type",
        HeaderValue::from_static("application/activity+json"),
    );
    sign(&method, &pq, &mut h, body.as_deref(), KEY_ID, &key()).expect("signs");
    (method, pq, h, body)
}

/// One way to tamper with a signed request; every one must break verification.
#[derive(Debug, Clone)]
enum Tamper {
    Body(usize),
    Path(String),
    Method,
    Host,
    Date,
    SignatureByte(usize),
    DropHeader(&'static str),
    DuplicateSignature,
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        any::<usize>().prop_map(Tamper::Body),
        "[a-z/?=&]{1,20}".prop_map(Tamper::Path),
        Just(Tamper::Method),
        Just(Tamper::Host),
        Just(Tamper::Date),
        any::<usize>().prop_map(Tamper::SignatureByte),
        prop_oneof![
            Just("host"),
            Just("date"),
            Just("digest"),
            Just("signature")
        ]
        .prop_map(Tamper::DropHeader),
        Just(Tamper::DuplicateSignature),
    ]
}

fn apply(t: &Tamper, req: &mut (Method, String, HeaderMap, Option<Vec<u8>>)) {
    let (method, pq, h, body) = req;
    match t {
        Tamper::Body(i) => match body {
            Some(b) if !b.is_empty() => {
                let i = i % b.len();
                b[i] ^= 0x01;
            }
            _ => *body = Some(b"{}".to_vec()),
        },
        Tamper::Path(p) => pq.push_str(p),
        Tamper::Method => *method = Method::PUT,
        Tamper::Host => {
            h.insert("host", HeaderValue::from_static("evil.example"));
        }
        Tamper::Date => {
            let later = httpdate::fmt_http_date(now() + Duration::from_secs(1));
            h.insert("date", HeaderValue::from_str(&later).unwrap());
        }
        Tamper::SignatureByte(i) => {
            let raw = h["signature"].to_str().unwrap().to_string();
            let start = raw.find("signature=\"").unwrap() + "signature=\"".len();
            let sig_len = raw[start..].find('"').unwrap();
            let mut bytes = raw.into_bytes();
            let at = start + i % sig_len.saturating_sub(2).max(1);
            // Another base64 letter, so the value still decodes.
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            h.insert("signature", HeaderValue::from_bytes(&bytes).unwrap());
        }
        Tamper::DropHeader(name) => {
            h.remove(*name);
            // Without a body nothing signs the digest: then a body must appear too.
            if *name == "digest" && body.is_none() {
                *body = Some(b"{}".to_vec());
            }
        }
        Tamper::DuplicateSignature => {
            let v = h["signature"].clone();
            h.append("signature", v);
        }
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn garbage_signatures_are_refused(
        method in method(),
        pq in "\\PC{0,40}",
        sig in prop::option::weighted(0.9, signature_header()),
        extra in prop::collection::vec((header_name(), header_value()), 0..8),
        body in prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
    ) {
        let h = header_map(sig, extra);
        prop_assert!(check(&method, &pq, &h, body.as_deref()).is_err());
    }

    #[test]
    fn tampered_requests_are_refused(
        body in prop::option::of(prop::collection::vec(any::<u8>(), 0..256)),
        t in tamper(),
    ) {
        let mut req = signed(body);
        prop_assert_eq!(check(&req.0, &req.1, &req.2, req.3.as_deref()), Ok(KEY_ID.to_string()));
        apply(&t, &mut req);
        let r = check(&req.0, &req.1, &req.2, req.3.as_deref());
        prop_assert!(r.is_err(), "{:?} still verified", t);
    }

    #[test]
    fn any_json_value_deserialises_or_is_refused(v in json_value()) {
        exercise_value(&v);
        exercise_text(v.to_string().as_bytes());
    }

    #[test]
    fn near_valid_activities_deserialise_or_are_refused(
        edits in prop::collection::vec((field_path(), prop::option::of(json_value())), 1..6),
    ) {
        let mut v = valid_create();
        for (path, value) in edits {
            set_path(&mut v, path, value);
        }
        exercise_value(&v);
        exercise_text(v.to_string().as_bytes());
    }

    #[test]
    fn any_bytes_deserialise_or_are_refused(b in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise_text(&b);
    }
}

/// Keys no real client sends, and the checks cheap enough to run before any of them.
#[test]
fn huge_and_repetitive_headers_are_refused() {
    let (method, pq, base, body) = signed(Some(b"{}".to_vec()));
    let cases: Vec<Vec<u8>> = vec![
        format!("keyId=\"{KEY_ID}\",signature=\"{}\"", "A".repeat(100_000)).into_bytes(),
        format!(
            "keyId=\"{KEY_ID}\",headers=\"{}\",signature=\"AAAA\"",
            "host ".repeat(10_000)
        )
        .into_bytes(),
        format!(
            "keyId=\"{KEY_ID}\",headers=\"{}\",signature=\"AAAA\"",
            (0..1000).map(|i| format!("h{i} ")).collect::<String>()
        )
        .into_bytes(),
        ",".repeat(8000).into_bytes(),
        "keyId=".repeat(1000).into_bytes(),
        b"keyId=\"\xff\xfe\",signature=\"AAAA\"".to_vec(),
    ];
    for sig in cases {
        let mut h = base.clone();
        h.insert("signature", HeaderValue::from_bytes(&sig).unwrap());
        assert!(check(&method, &pq, &h, body.as_deref()).is_err());
    }
}

#[test]
fn deeply_nested_json_is_refused_not_recursed() {
    for n in [200, 10_000, 100_000] {
        for (open, close) in [("[", "]"), ("{\"object\":", "}")] {
            let text = format!("{}1{}", open.repeat(n), close.repeat(n));
            exercise_text(text.as_bytes());
            let wrapped =
                format!("{{\"id\":\"x\",\"type\":\"Create\",\"actor\":\"a\",\"object\":{text}}}");
            exercise_text(wrapped.as_bytes());
        }
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
        Just(json!("Hashtag")),
        Just(json!("https://peer.example/ap/users/123")),
        Just(json!("2025-06-01T00:00:00Z")),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The field names the wire types know, so random objects hit them.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "@context",
            "id",
            "type",
            "actor",
            "object",
            "to",
            "cc",
            "published",
            "roost:actor",
            "attributedTo",
            "content",
            "roost:source",
            "summary",
            "sensitive",
            "updated",
            "inReplyTo",
            "roost:inReplyToAccount",
            "quote",
            "tag",
            "url",
            "language",
            "roost:mentions",
            "roost:views",
            "name",
            "href",
            "total",
            "today",
            "preferredUsername",
            "roost:homeRegion",
            "inbox",
            "outbox",
            "followers",
            "endpoints",
            "sharedInbox",
            "publicKey",
            "publicKeyPem",
            "owner",
        ])
        .prop_map(String::from),
        "[a-z]{1,6}",
    ]
}

fn field_path() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(field_name(), 1..4)
}

/// Sets (or with None, removes) the value at `path`, making objects on the way.
fn set_path(v: &mut Value, path: Vec<String>, value: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for p in parents {
        if !cur.is_object() {
            *cur = json!({});
        }
        cur = cur
            .as_object_mut()
            .expect("an object")
            .entry(p.clone())
            .or_insert(json!({}));
    }
    if !cur.is_object() {
        *cur = json!({});
    }
    let m = cur.as_object_mut().expect("an object");
    match value {
        Some(x) => {
            m.insert(last.clone(), x);
        }
        None => {
            m.remove(last);
        }
    }
}

fn valid_create() -> Value {
    let actor = "https://peer.example/ap/users/7";
    json!({
        "@context": ap::AS_CONTEXT,
        "id": "https://peer.example/ap/activities/9",
        "type": "Create",
        "actor": actor,
        "to": [ap::PUBLIC],
        "cc": [],
        "published": "2025-06-01T00:00:00Z",
        "roost:actor": {"id": actor, "preferredUsername": "budi", "roost:homeRegion": "id"},
        "object": {
            "id": "https://peer.example/ap/statuses/9",
            "type": "Note",
            "attributedTo": actor,
            "content": "<p>hi #rust</p>",
            "roost:source": "hi #rust",
            "published": "2025-06-01T00:00:00Z",
            "to": [ap::PUBLIC],
            "tag": [{"type": "Hashtag", "name": "#rust", "href": "https://peer.example/tags/rust"}],
            "url": "https://peer.example/@budi/9",
            "roost:mentions": [],
            "roost:views": {"total": 1, "today": 1}
        }
    })
}

/// What the inbox does with a body: parse it, then read the object and the URIs in it.
fn exercise_value(v: &Value) {
    if let Ok(act) = serde_json::from_value::<Activity>(v.clone()) {
        let _ = ap::trailing_id(&act.actor);
        let _ = ap::id_in(&act.actor, "https://peer.example", "users");
        let _ = ap::id_in(&act.id, "https://peer.example", "activities");
        if let Ok(note) = serde_json::from_value::<Note>(act.object.clone()) {
            let _ = ap::hashtags(&note);
            let _ = ap::trailing_id(&note.id);
            let _ = ap::visibility_of(&note.to, &note.cc, "https://peer.example/f");
        }
        if let Ok(actor) = serde_json::from_value::<Actor>(act.object.clone()) {
            let _ = actor.address();
        }
    }
    let _ = serde_json::from_value::<Note>(v.clone());
    let _ = serde_json::from_value::<Actor>(v.clone());
}

fn exercise_text(b: &[u8]) {
    if let Ok(act) = serde_json::from_slice::<Activity>(b) {
        exercise_value(&serde_json::to_value(&act).expect("serialises"));
    }
    let _ = serde_json::from_slice::<Note>(b);
    let _ = serde_json::from_slice::<Actor>(b);
}
