//! Property tests of Rails-style parameter folding (`roost_api::extract::query_object`):
//! any query string, however deep its `a[b][b]…` keys or however many pairs, is folded or
//! refused without panicking and without exhausting the stack of a server worker thread.
//! Cases: `PROPTEST_CASES` (default small).

use proptest::prelude::*;
use roost_api::extract::query_object;
use serde_json::{Map, Value};

/// Tokio's default worker stack: where the server runs this code.
const WORKER_STACK: usize = 2 * 1024 * 1024;

/// Deepest nesting a folded result may have; real clients use two or three levels.
const MAX_RESULT_DEPTH: usize = 32;

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

/// Folds `q` on a thread with a worker-sized stack, as the server does, then serialises the
/// result (the next thing the server does with it). Returns (accepted, depth of the result).
fn fold(q: String) -> (bool, usize) {
    std::thread::Builder::new()
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let mut obj = Map::new();
            let ok = query_object(Some(&q), &mut obj).is_ok();
            let depth = depth_of(&obj);
            let _ = serde_json::to_string(&obj);
            (ok, depth)
        })
        .expect("thread starts")
        .join()
        .expect("query_object panicked")
}

/// Nesting depth without recursion, so the check itself cannot overflow.
fn depth_of(obj: &Map<String, Value>) -> usize {
    let mut max = 0;
    let mut stack: Vec<(&Value, usize)> = obj.values().map(|v| (v, 1)).collect();
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::Object(m) => stack.extend(m.values().map(|v| (v, d + 1))),
            Value::Array(a) => stack.extend(a.iter().map(|v| (v, d + 1))),
            _ => {}
        }
    }
    max
}

/// Pieces of keys and values that mean something to the folding code or the URL decoder.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[".to_string()),
        Just("]".to_string()),
        Just("[]".to_string()),
        Just("[b]".to_string()),
        Just("%5B".to_string()),
        Just("%5D".to_string()),
        Just("=".to_string()),
        Just("&".to_string()),
        Just("+".to_string()),
        Just("%".to_string()),
        Just("%FF".to_string()),
        Just("%00".to_string()),
        Just("%C3%28".to_string()),
        "[a-z0-9_]{1,6}",
        "\\PC{1,3}",
    ]
}

fn shaped_query() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..80).prop_map(|v| v.concat())
}

/// A key `name` + `unit` x `n` (+ `tail`), e.g. `a[b][b]…[b]=1`.
fn deep_key() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("a"), Just(""), Just("status"), Just("%5B")],
        prop_oneof![
            Just("[b]"),
            Just("["),
            Just("]"),
            Just("[]"),
            Just("[b][]"),
            Just("%5Bb%5D"),
            Just("[[b]]"),
            Just("]["),
        ],
        1usize..12_000,
        prop_oneof![Just("=1"), Just("[]=1"), Just(""), Just("=1&a=2")],
    )
        .prop_map(|(name, unit, n, tail)| format!("{name}{}{tail}", unit.repeat(n)))
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_query_string_folds_or_is_refused(q in any::<String>()) {
        let (ok, depth) = fold(q);
        prop_assert!(!ok || depth <= MAX_RESULT_DEPTH);
    }

    #[test]
    fn bracket_soup_folds_or_is_refused(q in shaped_query()) {
        let (ok, depth) = fold(q);
        prop_assert!(!ok || depth <= MAX_RESULT_DEPTH);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { max_shrink_iters: 16, ..config(48) })]

    #[test]
    fn deep_keys_never_exhaust_the_stack(q in deep_key()) {
        let (ok, depth) = fold(q);
        prop_assert!(!ok || depth <= MAX_RESULT_DEPTH, "accepted nesting {depth} deep");
    }
}

/// The probe's crash: about 13 KB of `a[b][b]…` overflowed the stack and aborted the server.
#[test]
fn the_probe_s_deep_key_is_refused() {
    for n in [100, 1_000, 4_500, 20_000, 100_000] {
        let (ok, depth) = fold(format!("a{}=1", "[b]".repeat(n)));
        assert!(
            !ok,
            "a key nested {n} deep was accepted (result depth {depth})"
        );
    }
}

#[test]
fn ten_thousand_pairs_are_refused() {
    let many: Vec<String> = (0..10_000).map(|i| format!("k{i}=v")).collect();
    assert!(!fold(many.join("&")).0, "10k distinct keys");
    assert!(!fold("id[]=1&".repeat(10_000)).0, "10k list items");
}

/// Limits must not cost what clients really send.
#[test]
fn what_clients_send_still_folds() {
    let mut obj = Map::new();
    query_object(
        Some("id[]=1&id[]=2&source[privacy]=public&poll[options][]=a&poll[options][]=b&limit=40"),
        &mut obj,
    )
    .expect("accepted");
    assert_eq!(obj["id"], serde_json::json!(["1", "2"]));
    assert_eq!(obj["source"]["privacy"], "public");
    assert_eq!(obj["poll"]["options"], serde_json::json!(["a", "b"]));
    assert_eq!(obj["limit"], "40");
    let fields: Vec<String> = (0..4)
        .map(|i| format!("fields_attributes[{i}][name]=n&fields_attributes[{i}][value]=v"))
        .collect();
    assert!(fold(fields.join("&")).0, "profile fields");
}
