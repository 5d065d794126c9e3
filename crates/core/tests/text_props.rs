//! Property tests of post text processing (`roost_core::text`): on any input `parse`,
//! `render` and `count_chars` return without panicking, the HTML only ever holds our own
//! markup (no script, no event handler, no `javascript:` link), and adversarial shapes stay
//! linear-ish in time. Cases: `PROPTEST_CASES` (proptest reads it; the default is small).

use proptest::prelude::*;
use roost_core::text::{count_chars, parse, render, MentionRef, ResolvedMention};
use std::time::{Duration, Instant};

const BASE: &str = "https://roost.example";

/// `PROPTEST_CASES` if set, else `default` (kept small so the default run is short).
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        // Failures print their minimal input; regression files would land in src trees.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A resolver that links some mentions to hostile URLs, so rendering must escape and filter
/// what it is handed, not only what the user typed.
fn hostile_resolve(m: &MentionRef) -> Option<ResolvedMention> {
    let url = match m.username.len() % 4 {
        0 => return None,
        1 => format!("https://x.example/@{}\"onmouseover=\"alert(1)", m.username),
        2 => "javascript:alert(1)".to_string(),
        _ => format!("http://x.example/<script>{}", m.username),
    };
    Some(ResolvedMention {
        url,
        username: format!("{}<img src=x onerror=alert(1)>'\"", m.username),
    })
}

const TAGS: [&str; 4] = ["p", "br", "a", "span"];
const ATTRS: [&str; 5] = ["href", "class", "rel", "target", "translate"];

/// Checks that `html` is made only of our own markup: known tags and attributes, every
/// `href` http(s), text and attribute values fully escaped. Returns what is wrong.
fn check_html(html: &str) -> Result<(), String> {
    let lower = html.to_ascii_lowercase();
    if lower.contains("<script") {
        return Err("contains <script".into());
    }
    let mut rest = html;
    while !rest.is_empty() {
        let (text, after) = match rest.find('<') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        check_escaped(text)?;
        if after.is_empty() {
            break;
        }
        let close = after
            .find('>')
            .ok_or_else(|| format!("unclosed tag at {:?}", clip(after)))?;
        check_tag(&after[1..close])?;
        rest = &after[close + 1..];
    }
    Ok(())
}

fn check_tag(inner: &str) -> Result<(), String> {
    if let Some(name) = inner.strip_prefix('/') {
        return if TAGS.contains(&name) {
            Ok(())
        } else {
            Err(format!("unknown closing tag </{}>", clip(name)))
        };
    }
    let inner = inner.strip_suffix('/').unwrap_or(inner).trim_end();
    let (name, mut attrs) = inner.split_once(' ').unwrap_or((inner, ""));
    if !TAGS.contains(&name) {
        return Err(format!("unknown tag <{}>", clip(name)));
    }
    loop {
        attrs = attrs.trim_start();
        if attrs.is_empty() {
            return Ok(());
        }
        let (attr, value_and_rest) = attrs
            .split_once("=\"")
            .ok_or_else(|| format!("attribute without a quoted value: {:?}", clip(attrs)))?;
        let (value, after) = value_and_rest
            .split_once('"')
            .ok_or_else(|| format!("unterminated attribute value: {:?}", clip(attrs)))?;
        let attr_lc = attr.to_ascii_lowercase();
        if attr_lc.starts_with("on") || !ATTRS.contains(&attr_lc.as_str()) {
            return Err(format!("attribute {attr:?} on <{name}>"));
        }
        check_escaped(value)?;
        if attr_lc == "href" {
            let v = value.to_ascii_lowercase();
            if !(v.starts_with("https://") || v.starts_with("http://")) {
                return Err(format!("href is not http(s): {:?}", clip(value)));
            }
        }
        attrs = after;
    }
}

/// Text outside tags and inside attribute values: no raw `< > " '`, `&` only as an entity.
fn check_escaped(s: &str) -> Result<(), String> {
    if let Some(c) = s.chars().find(|c| matches!(c, '<' | '>' | '"' | '\'')) {
        return Err(format!("unescaped {c:?} in {:?}", clip(s)));
    }
    let mut parts = s.split('&');
    parts.next();
    for p in parts {
        let entity = p.split_once(';').map(|(e, _)| e);
        let ok = matches!(entity, Some("amp" | "lt" | "gt" | "quot" | "#39"));
        if !ok {
            return Err(format!("bare & in {:?}", clip(s)));
        }
    }
    Ok(())
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

/// Runs all three functions on `text`; fails on unsafe HTML.
fn exercise(text: &str) -> Result<(), String> {
    let parsed = parse(text);
    for l in &parsed.links {
        let l = l.to_ascii_lowercase();
        if !(l.starts_with("https://") || l.starts_with("http://")) {
            return Err(format!("parsed a non-http(s) link {l:?}"));
        }
    }
    let _ = count_chars(text);
    check_html(&render(text, BASE, &|_| None))?;
    check_html(&render(text, BASE, &hostile_resolve))
}

/// Pieces that mean something to the tokenizer, so random strings hit its branches.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("https://".to_string()),
        Just("http://".to_string()),
        Just("HTTPS://www.".to_string()),
        Just("javascript:".to_string()),
        Just("x.org/".to_string()),
        Just("@".to_string()),
        Just("＠".to_string()),
        Just("#".to_string()),
        Just("＃".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("<script>".to_string()),
        Just("\" onerror=\"".to_string()),
        Just("&#x41;".to_string()),
        Just("&".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\n \n".to_string()),
        Just("·".to_string()),
        Just("\u{200d}".to_string()),
        Just("，".to_string()),
        Just("。".to_string()),
        Just("小米".to_string()),
        Just(":8080".to_string()),
        Just(".".to_string()),
        Just("-".to_string()),
        Just(" ".to_string()),
        "[a-zA-Z0-9_]{1,8}",
        "\\PC{1,4}",
        any::<char>().prop_map(String::from),
    ]
}

fn shaped_text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn any_string_is_safe(text in any::<String>()) {
        prop_assert_eq!(exercise(&text), Ok(()));
    }

    #[test]
    fn tokenizer_shaped_strings_are_safe(text in shaped_text()) {
        prop_assert_eq!(exercise(&text), Ok(()));
    }
}

proptest! {
    // Shrinking re-runs slow inputs; a few steps are enough to name the shape.
    #![proptest_config(ProptestConfig { max_shrink_iters: 4, ..config(24) })]

    /// A link followed by a run of closers or of many entity starts: the shapes that
    /// were quadratic. Each must finish well inside the bound.
    #[test]
    fn adversarial_runs_stay_fast(
        prefix in prop_oneof![
            Just("https://x.org/"), Just("(https://x.org/a"), Just("http://x.org/("),
            Just(""), Just("看"), Just(" #"),
        ],
        unit in prop_oneof![
            Just(")"), Just("]"), Just("@"), Just("#"), Just("@a"), Just("#a "), Just("我"),
            Just("http://."), Just("https://"), Just("."), Just("(]"), Just("@a@b."),
            Just("，#小米"), Just("\n"), Just("\r\n \r\n"), Just("&#x41;"),
        ],
        n in 1_000usize..12_000,
    ) {
        let text = format!("{prefix}{}", unit.repeat(n));
        // Each function on its own: the bound is per call, as a request makes them.
        let (p, _) = timed(|| parse(&text));
        let (c, _) = timed(|| count_chars(&text));
        let (r, html) = timed(|| render(&text, BASE, &hostile_resolve));
        prop_assert_eq!(check_html(&html), Ok(()));
        for (what, took) in [("parse", p), ("count_chars", c), ("render", r)] {
            prop_assert!(took < bound(), "{what} of {prefix:?} + {unit:?} x {n}: {took:?}");
        }
    }
}

/// Generous on purpose: only a quadratic blow-up (seconds) trips it, not a slow machine.
fn bound() -> Duration {
    Duration::from_secs(1)
}

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let r = f();
    (t.elapsed(), r)
}

/// About 100 KB of each adversarial shape, each function timed on its own.
#[test]
fn hundred_kilobyte_inputs_parse_in_well_under_a_second() {
    let n = 100_000;
    let distinct = |f: &dyn Fn(usize) -> String| {
        let mut s = String::new();
        let mut i = 0;
        while s.len() < n {
            s.push_str(&f(i));
            i += 1;
        }
        s
    };
    let shapes: Vec<(&str, String)> = vec![
        ("link + ')' x N", format!("https://x.org/{}", ")".repeat(n))),
        ("link + ']' x N", format!("https://x.org/{}", "]".repeat(n))),
        (
            "'(' link + ')' x N",
            format!("(https://x.org/a{}", ")".repeat(n)),
        ),
        ("'@' x N", "@".repeat(n)),
        ("'#' x N", "#".repeat(n)),
        ("'@a ' x N", "@a ".repeat(n / 3)),
        ("'#a ' x N", "#a ".repeat(n / 3)),
        ("CJK run", "我喜欢小米的手机".repeat(n / 24)),
        ("CJK tags", "好，#小米 ".repeat(n / 14)),
        ("rejected link starts", "http://.".repeat(n / 8)),
        ("long URL", format!("https://x.org/{}", "a".repeat(n))),
        ("blank lines", "a\n \n".repeat(n / 4)),
        ("distinct mentions", distinct(&|i| format!("@u{i} "))),
        ("distinct tags", distinct(&|i| format!("#t{i} "))),
        (
            "distinct links",
            distinct(&|i| format!("https://x.org/{i} ")),
        ),
    ];
    let mut slow = Vec::new();
    for (name, text) in &shapes {
        let (p, _) = timed(|| parse(text));
        let (r, html) = timed(|| render(text, BASE, &hostile_resolve));
        let (c, _) = timed(|| count_chars(text));
        assert_eq!(check_html(&html), Ok(()), "{name}");
        eprintln!("{name:>22}: parse {p:?}, render {r:?}, count {c:?}");
        for (what, took) in [("parse", p), ("render", r), ("count_chars", c)] {
            if took >= bound() {
                slow.push(format!("{what} of {name} ({} bytes): {took:?}", text.len()));
            }
        }
    }
    assert!(
        slow.is_empty(),
        "quadratic-looking inputs:\n{}",
        slow.join("\n")
    );
}

/// The checker itself: it must refuse what it is there to catch.
#[test]
fn checker_rejects_unsafe_markup() {
    for bad in [
        "<p><script>alert(1)</script></p>",
        "<p><a href=\"javascript:alert(1)\">x</a></p>",
        "<p><a href=\"https://x\" onclick=\"y\">x</a></p>",
        "<p><img src=x></p>",
        "<p>a \" b</p>",
        "<p>&copy</p>",
        "<p><a href=\"https://x\"\">x</a></p>",
    ] {
        assert!(check_html(bad).is_err(), "{bad}");
    }
    assert_eq!(
        check_html(&render("hi #tag https://x.org/a @bob", BASE, &|_| None)),
        Ok(())
    );
}
