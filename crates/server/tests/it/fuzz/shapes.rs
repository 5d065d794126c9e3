//! The odd requests, one function per shape; each fills a [`Draft`] for a route.

use super::*;

pub(super) fn deep_keys(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let name = *["a", "status", "source", "poll"].choose(rng).unwrap();
    let unit = *["[b]", "[b]", "[]", "[b][]", "["].choose(rng).unwrap();
    let mut d = draft(route, ctx, rng, String::new());
    let mut depth = *[500, 4_500, 10_000, 20_000].choose(rng).unwrap();
    if matches!(d.loc, Loc::Query) {
        depth = depth.min(QUERY_BUDGET / unit.len());
    }
    d.shape = format!("deep key {name}{unit}x{depth} in {:?}", d.loc);
    d.params.push((
        format!("{name}{}", unit.repeat(depth)).into_bytes(),
        b"1".to_vec(),
    ));
    d
}

pub(super) fn many_keys(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let n = 10_000;
    let kind = rng.gen_range(0..3);
    let mut d = draft(route, ctx, rng, String::new());
    d.shape = format!(
        "{n} {} in {:?}",
        ["distinct keys", "items of id[]", "nested keys a[kN]"][kind],
        d.loc
    );
    let mut len = 0;
    for i in 0..n {
        let k = match kind {
            0 => format!("k{i}"),
            1 => "id[]".to_string(),
            _ => format!("a[k{i}]"),
        };
        len += k.len() + i.to_string().len() + 2;
        if matches!(d.loc, Loc::Query) && len > QUERY_BUDGET {
            d.shape = format!("{i} {}", d.shape.split_once(' ').unwrap().1);
            break;
        }
        d.params.push((k.into_bytes(), i.to_string().into_bytes()));
    }
    d
}

pub(super) fn huge_value(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let key = some_param(rng);
    let unit = *["A", "@a ", "#t ", "https://x.org/ ", "我"]
        .choose(rng)
        .unwrap();
    let size = match d.loc {
        // Measured encoded, as the query carries it.
        Loc::Query => QUERY_BUDGET / enc(unit.as_bytes()).len() * unit.len(),
        _ => MAX_BODY - 4_096,
    };
    d.shape = format!("{} = {unit:?} x ~{size} bytes in {:?}", lossy(&key), d.loc);
    d.params
        .push((key, unit.repeat(size / unit.len()).into_bytes()));
    d
}

pub(super) fn over_the_limit(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let ct = *[
        "application/x-www-form-urlencoded",
        "application/json",
        "multipart/form-data; boundary=x",
        "application/activity+json",
        "text/plain",
    ]
    .choose(rng)
    .unwrap();
    let mut body = b"status=".to_vec();
    body.resize(MAX_BODY + 1 + rng.gen_range(0..64 * 1024), b'a');
    d.shape = format!("{} byte body as {ct}", body.len());
    d.raw = Some((Some(ct.as_bytes().to_vec()), body));
    d
}

pub(super) fn invalid_utf8(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let bad: &[u8] = [
        b"\xff\xfe".as_slice(),
        b"\xc0\xaf",
        b"\xed\xa0\x80",
        b"a\x80b",
    ]
    .choose(rng)
    .unwrap();
    match rng.gen_range(0..3) {
        0 => {
            d.shape = format!("invalid UTF-8 {bad:?} in values and keys, {:?}", d.loc);
            d.params.push((some_param(rng), bad.to_vec()));
            d.params
                .push(([b"k".as_slice(), bad].concat(), b"1".to_vec()));
        }
        1 => {
            d.shape = format!("invalid UTF-8 {bad:?} inside a JSON string");
            let mut body = b"{\"status\":\"".to_vec();
            body.extend_from_slice(bad);
            body.extend_from_slice(b"\",\"limit\":\"");
            body.extend_from_slice(bad);
            body.extend_from_slice(b"\"}");
            d.raw = Some((Some(b"application/json".to_vec()), body));
        }
        _ => {
            d.shape = format!("invalid UTF-8 {bad:?} in a raw form body");
            let mut body = b"status=".to_vec();
            body.extend_from_slice(bad);
            body.extend_from_slice(b"&");
            body.extend_from_slice(bad);
            body.extend_from_slice(b"=1");
            d.raw = Some((Some(b"application/x-www-form-urlencoded".to_vec()), body));
        }
    }
    d
}

pub(super) fn control_chars(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    d.shape = format!("control characters in values, {:?}", d.loc);
    for _ in 0..rng.gen_range(1..5) {
        let c = *[
            "\0",
            "\r\n",
            "\u{7}",
            "\u{1b}[2J",
            "\u{202e}",
            "\u{200b}",
            "\u{fffe}",
            "\u{85}",
        ]
        .choose(rng)
        .unwrap();
        d.params
            .push((some_param(rng), format!("a{c}b{c}").repeat(3).into_bytes()));
    }
    d.raw_query = Some("x=%00%0A%0D".into());
    d
}

pub(super) fn wrong_content_type(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let ct: &[u8] = [
        b"text/plain".as_slice(),
        b"application/xml",
        b"application/json; charset=utf-16",
        b"multipart/form-data",
        b"multipart/form-data; boundary=",
        b"multipart/form-data; boundary=\"unterminated",
        b"application/x-www-form-urlencoded; charset=latin1",
        b"application/activity+json",
        b"application/ld+json; profile=\"x\"",
        b"*/*",
        b"",
        b"\xff\xfe/\xfd",
        b"image/png",
        b"application/json, text/plain",
    ]
    .choose(rng)
    .unwrap();
    let body: Vec<u8> = match rng.gen_range(0..3) {
        0 => br#"{"status":"hi","limit":"5"}"#.to_vec(),
        1 => b"status=hi&limit=5".to_vec(),
        _ => (0..rng.gen_range(1..200)).map(|_| rng.gen()).collect(),
    };
    d.shape = format!(
        "content type {:?} with body {:?}",
        lossy(ct),
        clip(&lossy(&body), 40)
    );
    d.raw = Some((Some(ct.to_vec()), body));
    d
}

pub(super) fn json_of_the_wrong_shape(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let v = if rng.gen_bool(0.3) {
        [
            json!([]),
            json!("status"),
            json!(1),
            json!(null),
            json!(true),
            json!([{"status": "x"}]),
        ]
        .choose(rng)
        .unwrap()
        .clone()
    } else {
        let mut m = Map::new();
        for _ in 0..rng.gen_range(1..8) {
            m.insert(lossy(&some_param(rng)), random_json(rng, 3));
        }
        Value::Object(m)
    };
    let body = v.to_string();
    d.shape = format!("JSON {}", clip(&body, 80));
    d.raw = Some((Some(b"application/json".to_vec()), body.into_bytes()));
    d
}

pub(super) fn random_json(rng: &mut StdRng, depth: u32) -> Value {
    let pick = if depth == 0 {
        rng.gen_range(0..6)
    } else {
        rng.gen_range(0..8)
    };
    match pick {
        0 => Value::Null,
        1 => json!(rng.gen_bool(0.5)),
        2 => json!(rng.gen::<i64>()),
        3 => json!(rng.gen::<f64>() * 1e300),
        4 => serde_json::from_str(NUMBERS.choose(rng).unwrap()).unwrap_or(json!(-1)),
        5 => json!(["", "x", "我", "\u{0}", "https://x.org/"]
            .choose(rng)
            .unwrap()),
        6 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| random_json(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut m = Map::new();
            for _ in 0..rng.gen_range(0..4) {
                m.insert(lossy(&some_param(rng)), random_json(rng, depth - 1));
            }
            Value::Object(m)
        }
    }
}

pub(super) fn deep_json(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let n = *[100, 127, 129, 5_000, 100_000].choose(rng).unwrap();
    let (open, close, name) = *[
        ("[", "]", "arrays"),
        ("{\"a\":", "}", "objects"),
        ("{\"status\":", "}", "objects under status"),
    ]
    .choose(rng)
    .unwrap();
    let inner = format!("{}1{}", open.repeat(n), close.repeat(n));
    let body = if rng.gen_bool(0.5) {
        format!("{{\"status\":\"x\",\"poll\":{inner}}}")
    } else {
        inner
    };
    d.shape = format!("JSON nested {n} deep ({name})");
    let ct = if route.is_ap() {
        "application/activity+json"
    } else {
        "application/json"
    };
    d.raw = Some((Some(ct.as_bytes().to_vec()), body.into_bytes()));
    d
}

pub(super) fn multipart_garbage(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let b = "XyZ";
    let ct = format!("multipart/form-data; boundary={b}").into_bytes();
    let kind = rng.gen_range(0..7);
    let body: Vec<u8> = match kind {
        0 => (0..rng.gen_range(1..2000)).map(|_| rng.gen()).collect(),
        1 => format!("--{b}\r\nContent-Disposition: form-data; name=\"status\"\r\n\r\nunterminated").into_bytes(),
        2 => format!("--{b}\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--{b}--\r\n").into_bytes(),
        3 => {
            let mut s = String::new();
            for i in 0..5_000 {
                s.push_str(&format!("--{b}\r\nContent-Disposition: form-data; name=\"k{i}\"\r\n\r\nv\r\n"));
            }
            s.push_str(&format!("--{b}--\r\n"));
            s.into_bytes()
        }
        4 => {
            let mut v = format!("--{b}\r\nContent-Disposition: form-data; name=\"status\"\r\n\r\n").into_bytes();
            v.extend_from_slice(b"\xff\xfe\x00binary");
            v.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
            v
        }
        5 => format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../x.png\"\r\nContent-Type: image/png\r\n\r\nPNG\0\r\n--{b}--\r\n").into_bytes(),
        _ => format!("--other\r\nContent-Disposition: form-data; name=\"status\"\r\n\r\nx\r\n--other--\r\n--{b}\r\nno headers at all\r\n").into_bytes(),
    };
    d.shape = format!(
        "multipart garbage: {}",
        [
            "random bytes",
            "unterminated part",
            "part without a name",
            "5000 parts",
            "binary part",
            "file part",
            "wrong boundary"
        ][kind]
    );
    d.raw = Some((Some(ct), body));
    d
}

pub(super) fn extreme_numbers(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let names = [
        "limit",
        "max_id",
        "min_id",
        "since_id",
        "offset",
        "first",
        "second",
        "tree_size",
        "index",
        "poll[expires_in]",
        "id",
        "in_reply_to_id",
        "account_id",
        "count",
    ];
    let mut shown = Vec::new();
    for _ in 0..rng.gen_range(1..5) {
        let k = *names.choose(rng).unwrap();
        let v = *NUMBERS.choose(rng).unwrap();
        shown.push(format!("{k}={v}"));
        d.params
            .push((k.as_bytes().to_vec(), v.as_bytes().to_vec()));
    }
    d.shape = format!("numbers {} in {:?}", shown.join(" "), d.loc);
    d
}

pub(super) fn junk_path_params(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    if route.pattern.contains('{') {
        d.path = fill(route, ctx, rng, Some(junk_segment));
    } else {
        let j = junk_segment(rng);
        d.path = match rng.gen_range(0..4) {
            0 => format!("{}/{j}", d.path.trim_end_matches('/')),
            1 => format!("{}{j}", d.path),
            2 => format!("/{}", d.path.trim_start_matches('/').to_ascii_uppercase()),
            _ => format!("{}//", d.path.trim_end_matches('/')),
        };
    }
    d.shape = format!("junk path {}", clip(&d.path, 80));
    d
}

pub(super) fn huge_ids(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    pub(super) fn huge(rng: &mut StdRng) -> String {
        [
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551616",
            "-9223372036854775808",
            "0",
            "-1",
            "00000000000000000000000000000000001",
        ]
        .choose(rng)
        .unwrap()
        .to_string()
    }
    let mut d = draft(route, ctx, rng, String::new());
    if route.pattern.contains('{') {
        d.path = fill(route, ctx, rng, Some(huge));
    }
    for k in ["id[]", "in_reply_to_id", "max_id", "account_id", "quote_id"] {
        if rng.gen_bool(0.4) {
            d.params
                .push((k.as_bytes().to_vec(), huge(rng).into_bytes()));
        }
    }
    d.shape = format!("huge IDs: {} with {:?}", clip(&d.path, 60), d.loc);
    d
}

pub(super) fn random_params(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let mut shown = Vec::new();
    for _ in 0..rng.gen_range(1..10) {
        let k = some_param(rng);
        let v = odd_value(ctx, rng);
        shown.push(format!("{}={}", lossy(&k), clip(&lossy(&v), 20)));
        d.params.push((k, v));
    }
    d.shape = format!("params {} in {:?}", clip(&shown.join(" "), 120), d.loc);
    d
}

pub(super) fn odd_headers(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    d.decorate = false;
    let auth: Vec<u8> = match rng.gen_range(0..10) {
        0 => b"Bearer".to_vec(),
        1 => b"Bearer ".to_vec(),
        2 => b"bearer   x  ".to_vec(),
        3 => b"Basic !!!".to_vec(),
        4 => b"Basic YTpi".to_vec(),
        5 => b"Bearer \xff\xfe".to_vec(),
        6 => format!("Bearer {}", "a".repeat(8_000)).into_bytes(),
        7 => format!("Bearer {} {}", ctx.fx.alice.token, ctx.fx.alice.token).into_bytes(),
        8 => b"Token x".to_vec(),
        _ => format!("Bearer {}", ctx.fx.alice.token).into_bytes(),
    };
    let cookie: Vec<u8> = match rng.gen_range(0..6) {
        0 => b"roost_session=garbage".to_vec(),
        1 => format!("roost_csrf={}; roost_session=", "x".repeat(32)).into_bytes(),
        2 => b"roost_flash=%FF%FE; roost_flash=\xff".to_vec(),
        3 => format!("roost_session={}", "a".repeat(4_000)).into_bytes(),
        4 => b";;;=;==; roost_session".to_vec(),
        _ => b"roost_flash=eyJlcnJvciI6dHJ1ZSwidGV4dCI6Ilx1MDAwMCJ9".to_vec(),
    };
    let mut shown = vec![format!("authorization: {:?}", clip(&lossy(&auth), 40))];
    d.headers.push(("authorization".into(), auth));
    if rng.gen_bool(0.7) {
        shown.push(format!("cookie: {:?}", clip(&lossy(&cookie), 40)));
        d.headers.push(("cookie".into(), cookie));
    }
    let extra: &[(&str, &[u8])] = &[
        ("accept", b"application/json;q=nan, */*;q=-1"),
        ("accept-language", b"\xff, zz;q=2"),
        ("x-forwarded-for", b"999.999.999.999, ::::"),
        ("idempotency-key", b"\xffkey"),
        ("origin", b"null"),
        ("sec-websocket-protocol", b"a, , b"),
        ("if-none-match", b"\"\\\""),
        ("content-encoding", b"gzip"),
        ("transfer-encoding-x", b"chunked"),
    ];
    for _ in 0..rng.gen_range(0..3) {
        let (k, v) = extra.choose(rng).unwrap();
        shown.push(format!("{k}: {:?}", lossy(v)));
        d.headers.push((k.to_string(), v.to_vec()));
    }
    d.params.push((some_param(rng), odd_value(ctx, rng)));
    d.shape = format!("headers {}", shown.join(", "));
    d
}

pub(super) fn wrong_method(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let others: Vec<Method> = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::from_bytes(b"PROPFIND").unwrap(),
    ]
    .into_iter()
    .filter(|m| *m != route.method)
    .collect();
    d.method = others.choose(rng).unwrap().clone();
    d.params.push((some_param(rng), odd_value(ctx, rng)));
    d.shape = format!("method {} on a {} route", d.method, route.method);
    d
}

pub(super) fn random_bytes(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    let ct = *[
        "application/json",
        "application/x-www-form-urlencoded",
        "application/activity+json",
        "multipart/form-data; boundary=a",
    ]
    .choose(rng)
    .unwrap();
    let body: Vec<u8> = (0..rng.gen_range(1..4096)).map(|_| rng.gen()).collect();
    d.shape = format!("{} random bytes as {ct}", body.len());
    d.raw = Some((Some(ct.as_bytes().to_vec()), body));
    d
}

/// Activity-shaped bodies (and inter-region queries), always signed by the peer region.
pub(super) fn activity_bodies(route: &Route, ctx: &Ctx, rng: &mut StdRng) -> Draft {
    let mut d = draft(route, ctx, rng, String::new());
    d.sign = true;
    d.decorate = false;
    let fx = ctx.fx;
    let (local, peer) = (&ctx.local_base, &ctx.peer_base);
    let now = jiff::Timestamp::now().as_millisecond();
    let peer_id = |rng: &mut StdRng| roost_core::Id::from_parts(now, 2, rng.gen_range(0..4096)).0;
    let actor = match rng.gen_range(0..4) {
        0 => json!(format!("{local}/ap/users/{}", fx.alice.id)),
        1 => json!(format!("{peer}/ap/users/9223372036854775807")),
        2 => random_json(rng, 1),
        _ => json!(format!("{peer}/ap/users/{}", peer_id(rng))),
    };
    let published = *["2025-01-01T00:00:00Z", "", "99999-99-99", "1970"]
        .choose(rng)
        .unwrap();
    let note = json!({
        "id": format!("{peer}/ap/statuses/{}", peer_id(rng)),
        "type": "Note",
        "attributedTo": actor,
        "content": "<p>x</p><script>alert(1)</script>",
        "roost:source": "x @alice #rust",
        "published": published,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{local}/ap/users/{}", fx.alice.id)],
        "tag": [{"type": "Hashtag", "name": "#".repeat(rng.gen_range(1..300))}],
        "url": format!("{peer}/@budi/1"),
        "inReplyTo": format!("{local}/ap/statuses/{}", fx.status),
        "roost:views": {"total": NUMBERS.choose(rng).unwrap(), "today": -1},
        "roost:mentions": [{"id": format!("{local}/ap/users/{}", fx.alice.id), "preferredUsername": "alice", "roost:homeRegion": "in"}],
    });
    let object = match rng.gen_range(0..6) {
        0 => note,
        1 => json!(format!("{local}/ap/statuses/{}", fx.status)),
        2 => json!(format!("{local}/ap/users/{}", fx.alice.id)),
        3 => {
            json!({"type": "Follow", "id": format!("{peer}/ap/activities/{}", peer_id(rng)), "actor": actor, "object": format!("{local}/ap/users/{}", fx.alice.id)})
        }
        4 => random_json(rng, 3),
        _ => json!(format!("{local}/ap/statuses/18446744073709551616")),
    };
    let kind = *[
        "Create",
        "Update",
        "Delete",
        "Follow",
        "Accept",
        "Reject",
        "Undo",
        "Like",
        "Announce",
        "roost:Views",
        "Block",
        "Flag",
        "",
        "create",
    ]
    .choose(rng)
    .unwrap();
    let mut v = match route.pattern {
        "/ap/roost/timeline" => json!({
            "authors": [fx.alice.id, NUMBERS.choose(rng).unwrap(), peer_id(rng)],
            "viewer": random_json(rng, 1),
            "limit": serde_json::from_str::<Value>(NUMBERS.choose(rng).unwrap()).unwrap_or(json!(0)),
            "max_id": random_json(rng, 0),
        }),
        "/ap/roost/status" => {
            let id = [json!(fx.status), random_json(rng, 1)]
                .choose(rng)
                .unwrap()
                .clone();
            json!({"id": id, "viewer": random_json(rng, 1)})
        }
        _ => json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{peer}/ap/activities/{}", peer_id(rng)),
            "type": kind,
            "actor": actor,
            "object": object,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "roost:actor": {"id": actor, "preferredUsername": "budi", "roost:homeRegion": "id"},
        }),
    };
    // A few fields replaced by anything at all.
    if let Value::Object(m) = &mut v {
        let keys: Vec<String> = m.keys().cloned().collect();
        for _ in 0..rng.gen_range(0..3) {
            let k = keys.choose(rng).unwrap().clone();
            m.insert(k, random_json(rng, 2));
        }
    }
    let body = v.to_string();
    d.shape = format!("activity {}", clip(&body, 100));
    if route.takes_body() {
        d.raw = Some((
            Some(b"application/activity+json".to_vec()),
            body.into_bytes(),
        ));
    }
    d
}
