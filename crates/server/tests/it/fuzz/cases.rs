//! A case is one request exactly as sent; shapes build drafts, which get credentials
//! and are encoded here.

use super::*;

/// One request, exactly as sent: everything needed to replay it.
pub(super) struct Case {
    /// Name of the shape that made it (see [`SHAPES`]).
    pub(super) kind: &'static str,
    pub(super) shape: String,
    pub(super) method: Method,
    /// Already percent-encoded.
    pub(super) path: String,
    /// The path as the client sent it (after URL normalisation, e.g. of `%2e%2e`).
    pub(super) sent_path: String,
    pub(super) query: Option<String>,
    pub(super) headers: Vec<(String, Vec<u8>)>,
    pub(super) body: Vec<u8>,
}

pub(super) type Pair = (Vec<u8>, Vec<u8>);

/// Where generated parameters go.
#[derive(Clone, Copy, Debug)]
pub(super) enum Loc {
    Query,
    Form,
    Json,
    Multipart,
}

/// A case under construction: parameters are encoded once auth is decided (a web form
/// with a session gets its CSRF field).
pub(super) struct Draft {
    pub(super) shape: String,
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) query: Vec<Pair>,
    pub(super) raw_query: Option<String>,
    pub(super) params: Vec<Pair>,
    pub(super) loc: Loc,
    /// A body that is sent as is (instead of `params`), with its content type.
    pub(super) raw: Option<(Option<Vec<u8>>, Vec<u8>)>,
    pub(super) headers: Vec<(String, Vec<u8>)>,
    /// False when the shape sets its own Authorization / Cookie headers.
    pub(super) decorate: bool,
    pub(super) sign: bool,
}

pub(super) type Shape = fn(&Route, &Ctx, &mut StdRng) -> Draft;

/// Each shape once per route before any repeats (see `every_route_survives_odd_requests`).
pub(super) const SHAPES: &[(&str, Shape)] = &[
    ("deep-keys", deep_keys),
    ("many-keys", many_keys),
    ("huge-value", huge_value),
    ("over-the-limit", over_the_limit),
    ("invalid-utf8", invalid_utf8),
    ("control-chars", control_chars),
    ("wrong-content-type", wrong_content_type),
    ("json-of-the-wrong-shape", json_of_the_wrong_shape),
    ("deep-json", deep_json),
    ("multipart-garbage", multipart_garbage),
    ("extreme-numbers", extreme_numbers),
    ("junk-path-params", junk_path_params),
    ("huge-ids", huge_ids),
    ("random-params", random_params),
    ("odd-headers", odd_headers),
    ("wrong-method", wrong_method),
    ("random-bytes", random_bytes),
    ("activity-bodies", activity_bodies),
];

pub(super) struct Ctx<'a> {
    pub(super) fx: &'a Fixtures,
    pub(super) local_base: String,
    pub(super) peer_base: String,
}

pub(super) fn build_case(
    route: &Route,
    shape: Shape,
    n: usize,
    fx: &Fixtures,
    region: &Region,
    rng: &mut StdRng,
) -> Case {
    let ctx = Ctx {
        fx,
        local_base: region.client.base.clone(),
        peer_base: region.peer_base.clone(),
    };
    let mut d = shape(route, &ctx, rng);
    // Half of the `/ap/` cases are signed, so they get past the signature check.
    if route.is_ap() && n % 2 == 1 {
        d.sign = true;
    }
    let sent = reqwest::Url::parse(&format!("{}{}", ctx.local_base, d.path))
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let web = face(&d.method, &sent) != Face::Json;
    if d.decorate {
        decorate(&mut d, web, route.pattern == "/logout", fx, rng);
    }
    let sign = d.sign;
    let mut case = finish(d.method.clone(), d, rng);
    case.sent_path = region.url(&case).path().to_string();
    if sign {
        region.sign(&mut case);
    }
    case
}

/// Adds a bearer token or a web session, each chosen at random.
pub(super) fn decorate(d: &mut Draft, web: bool, logout: bool, fx: &Fixtures, rng: &mut StdRng) {
    let token = match rng.gen_range(0..10) {
        0..=2 => Some(fx.alice.token.clone()),
        3 => Some(fx.bob.token.clone()),
        4 => Some(fx.app_token.clone()),
        5 => Some(fx.read_token.clone()),
        6 => Some("not-a-token".to_string()),
        _ => None,
    };
    if let Some(t) = token {
        d.headers
            .push(("authorization".into(), format!("Bearer {t}").into_bytes()));
    }
    if web && rng.gen_bool(0.6) {
        if let Some((cookie, csrf)) = &fx.session {
            d.headers.push((
                "cookie".into(),
                format!("roost_session={cookie}").into_bytes(),
            ));
            // Signing out for real would end the session the other cases use.
            if !logout && rng.gen_bool(0.8) {
                d.params.push((b"csrf".to_vec(), csrf.as_bytes().to_vec()));
            }
        }
    }
}

pub(super) fn finish(method: Method, d: Draft, rng: &mut StdRng) -> Case {
    let mut headers = d.headers;
    let mut query_pairs = d.query;
    let mut body = Vec::new();
    if let Some((ct, b)) = d.raw {
        if let Some(ct) = ct {
            headers.push(("content-type".into(), ct));
        }
        body = b;
        query_pairs.extend(d.params);
    } else {
        match d.loc {
            Loc::Query => query_pairs.extend(d.params),
            Loc::Form => {
                headers.push((
                    "content-type".into(),
                    b"application/x-www-form-urlencoded".to_vec(),
                ));
                body = encode_pairs(&d.params).into_bytes();
            }
            Loc::Json => {
                headers.push(("content-type".into(), b"application/json".to_vec()));
                let mut m = Map::new();
                for (k, v) in &d.params {
                    m.insert(lossy(k), Value::String(lossy(v)));
                }
                body = Value::Object(m).to_string().into_bytes();
            }
            Loc::Multipart => {
                let boundary = format!("fuzz{:08x}", rng.gen::<u32>());
                headers.push((
                    "content-type".into(),
                    format!("multipart/form-data; boundary={boundary}").into_bytes(),
                ));
                body = multipart(&boundary, &d.params);
            }
        }
    }
    let mut shape = d.shape;
    // The longest pairs go until the query fits what the client can send.
    while encode_pairs(&query_pairs).len() > QUERY_BUDGET {
        let longest = (0..query_pairs.len())
            .max_by_key(|&i| query_pairs[i].0.len() + query_pairs[i].1.len())
            .unwrap();
        query_pairs.remove(longest);
        if !shape.ends_with("(cut to fit)") {
            shape.push_str(" (cut to fit)");
        }
    }
    let mut query = encode_pairs(&query_pairs);
    if let Some(raw) = d.raw_query {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&raw);
    }
    Case {
        kind: "",
        shape,
        method,
        sent_path: String::new(),
        path: d.path,
        query: (!query.is_empty()).then_some(query),
        headers,
        body,
    }
}

/// Percent-encodes all but unreserved characters and brackets (kept for readable keys).
pub(super) fn enc(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        if c.is_ascii_alphanumeric() || b"-._~[]".contains(&c) {
            s.push(c as char);
        } else {
            s.push_str(&format!("%{c:02X}"));
        }
    }
    s
}

pub(super) fn encode_pairs(pairs: &[Pair]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    parts.join("&")
}

pub(super) fn multipart(boundary: &str, pairs: &[Pair]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in pairs {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"").as_bytes(),
        );
        b.extend_from_slice(k);
        b.extend_from_slice(b"\"\r\n\r\n");
        b.extend_from_slice(v);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    b
}

pub(super) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Parameter names Mastodon clients and our forms use: where handlers look.
pub(super) const PARAMS: &[&str] = &[
    "status",
    "visibility",
    "spoiler_text",
    "sensitive",
    "language",
    "in_reply_to_id",
    "quote_id",
    "media_ids[]",
    "poll[options][]",
    "poll[expires_in]",
    "scheduled_at",
    "limit",
    "max_id",
    "min_id",
    "since_id",
    "offset",
    "local",
    "remote",
    "only_media",
    "exclude_replies",
    "exclude_reblogs",
    "pinned",
    "tagged",
    "types[]",
    "exclude_types[]",
    "account_id",
    "id",
    "id[]",
    "acct",
    "q",
    "resolve",
    "username",
    "email",
    "password",
    "agreement",
    "locale",
    "reason",
    "client_name",
    "redirect_uris",
    "scopes",
    "website",
    "grant_type",
    "client_id",
    "client_secret",
    "code",
    "redirect_uri",
    "refresh_token",
    "scope",
    "token",
    "code_verifier",
    "display_name",
    "note",
    "locked",
    "bot",
    "discoverable",
    "fields_attributes[0][name]",
    "fields_attributes[0][value]",
    "source[privacy]",
    "source[language]",
    "home[last_read_id]",
    "notifications[last_read_id]",
    "timeline[]",
    "response_type",
    "state",
    "code_challenge",
    "code_challenge_method",
    "decision",
    "login",
    "next",
    "text",
    "back",
    "first",
    "second",
    "tree_size",
    "index",
    "resource",
    "reblogs",
    "notify",
    "viewer",
    "authors[]",
];

/// Numbers at and past every edge a parser might have.
pub(super) const NUMBERS: &[&str] = &[
    "-1",
    "0",
    "-0",
    "1",
    "40",
    "41",
    "2147483647",
    "2147483648",
    "4294967296",
    "-9223372036854775808",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "999999999999999999999999999999999999",
    "1e308",
    "1e309",
    "-1e309",
    "0.5",
    "1.0",
    "NaN",
    "Infinity",
    "0x10",
    "+1",
    " 1",
    "1 ",
    "1_000",
    "０",
    "١",
];

pub(super) fn odd_value(ctx: &Ctx, rng: &mut StdRng) -> Vec<u8> {
    let fixed: &[&[u8]] = &[
        b"",
        b" ",
        b"true",
        b"false",
        b"null",
        b"[]",
        b"{}",
        b"\0",
        b"\r\n",
        b"\x1b[31m",
        "\u{202e}".as_bytes(),
        "\u{feff}".as_bytes(),
        "😀".as_bytes(),
        "我喜欢#小米".as_bytes(),
        b"<script>alert(1)</script>",
        b"'\"><img src=x onerror=alert(1)>",
        b"javascript:alert(1)",
        b"../../etc/passwd",
        b"%",
        b"%zz",
        b"\xff\xfe",
        b"\xc0\xaf",
        b"\xed\xa0\x80",
        b"public",
        b"private",
        b"direct",
        b"unlisted",
        b"en",
        b"zz-ZZ",
        b"read write follow push",
        b"admin:write",
        b"urn:ietf:wg:oauth:2.0:oob",
        b"authorization_code",
        b"password",
        b"client_credentials",
        b"refresh_token",
        b"S256",
        b"plain",
        b"code",
        b"deny",
        b"https://evil.example/cb",
        b"//evil.example",
        b"acct:alice@127.0.0.1",
        b"@alice",
        b"alice@evil.example",
    ];
    match rng.gen_range(0..10) {
        0..=4 => fixed.choose(rng).unwrap().to_vec(),
        5 | 6 => NUMBERS.choose(rng).unwrap().as_bytes().to_vec(),
        7 => [
            &ctx.fx.status,
            &ctx.fx.alice.id,
            &ctx.fx.bob.id,
            &ctx.fx.notification,
        ]
        .choose(rng)
        .unwrap()
        .as_bytes()
        .to_vec(),
        8 => {
            let unit = ["a", ")", "@", "#", "我", "https://x.org/", "\u{301}"]
                .choose(rng)
                .unwrap();
            unit.repeat(rng.gen_range(100..3000)).into_bytes()
        }
        _ => (0..rng.gen_range(1..40)).map(|_| rng.gen()).collect(),
    }
}

pub(super) fn some_param(rng: &mut StdRng) -> Vec<u8> {
    PARAMS.choose(rng).unwrap().as_bytes().to_vec()
}

/// Where a shape's parameters go: bodies for routes that take one (now and then the
/// query anyway), the query for the others.
pub(super) fn loc_for(route: &Route, rng: &mut StdRng) -> Loc {
    if route.takes_body() {
        *[Loc::Form, Loc::Json, Loc::Multipart, Loc::Query, Loc::Form]
            .choose(rng)
            .unwrap()
    } else {
        Loc::Query
    }
}

/// A path for `route` with each `{param}` a real record (or, with `junk`, that string).
pub(super) fn fill(
    route: &Route,
    ctx: &Ctx,
    rng: &mut StdRng,
    junk: Option<fn(&mut StdRng) -> String>,
) -> String {
    let p = route.pattern;
    let mut out = String::new();
    for seg in p.split('/').skip(1) {
        out.push('/');
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => match junk {
                Some(j) => out.push_str(&j(rng)),
                None => out.push_str(&real_param(p, name, ctx, rng)),
            },
            None => out.push_str(seg),
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

pub(super) fn real_param(pattern: &str, name: &str, ctx: &Ctx, rng: &mut StdRng) -> String {
    let fx = ctx.fx;
    let pick = |rng: &mut StdRng, xs: &[&str]| xs.choose(rng).unwrap().to_string();
    match name {
        "id" if pattern.starts_with("/api/v1/accounts") || pattern.starts_with("/ap/") => {
            pick(rng, &[&fx.alice.id, &fx.bob.id])
        }
        "id" if pattern.starts_with("/api/v1/follow_requests") => fx.bob.id.clone(),
        "id" if pattern.starts_with("/api/v1/notifications") => fx.notification.clone(),
        "id" => pick(rng, &[&fx.status, &fx.bob_status]),
        "index" => pick(rng, &["0", "1", "2"]),
        "hashtag" | "name" => pick(rng, &["rust", "RUST", "%E5%B0%8F%E7%B1%B3"]),
        "action" => pick(
            rng,
            &[
                "like",
                "unlike",
                "reblog",
                "unreblog",
                "bookmark",
                "unbookmark",
                "delete",
            ],
        ),
        "handle" => pick(
            rng,
            &["@alice", "@bob", "@alice.rss", "@bob.atom", "@nobody"],
        ),
        "file" => pick(rng, &["roost.css", "roost.js", "roost.svg", "nope.css"]),
        _ => "1".into(),
    }
}

/// Junk for a path segment, already URL-safe.
pub(super) fn junk_segment(rng: &mut StdRng) -> String {
    let fixed = [
        "%00",
        "%FF",
        "%FF%FE",
        "%C0%AF",
        "%ED%A0%80",
        "%2F",
        "a%2Fb",
        "%2e%2e",
        "%20",
        "%0D%0A",
        "%E2%80%AE",
        "%F0%9F%98%80",
        "-1",
        "0",
        "1.5",
        "1e10",
        "0x1f",
        "+1",
        "NaN",
        "null",
        "%",
        "%%25",
        "%zz",
        "@",
        "@@",
        "@%00",
        "@a@b@c",
        "@alice%40evil.example",
        "%23x",
        "%3F",
        "a;b=c",
        ".rss",
        "@.atom",
        "%3Cscript%3E",
        "%27%22",
    ];
    match rng.gen_range(0..6) {
        0..=2 => fixed.choose(rng).unwrap().to_string(),
        3 => NUMBERS
            .choose(rng)
            .unwrap()
            .replace(' ', "%20")
            .replace('+', "%2B"),
        4 => "9".repeat(rng.gen_range(20..5000)),
        _ => enc(&(0..rng.gen_range(1..24))
            .map(|_| rng.gen())
            .collect::<Vec<u8>>()),
    }
}

pub(super) fn draft(route: &Route, ctx: &Ctx, rng: &mut StdRng, shape: String) -> Draft {
    Draft {
        shape,
        method: route.method.clone(),
        path: fill(route, ctx, rng, None),
        query: Vec::new(),
        raw_query: None,
        params: Vec::new(),
        loc: loc_for(route, rng),
        raw: None,
        headers: Vec::new(),
        decorate: true,
        sign: false,
    }
}
