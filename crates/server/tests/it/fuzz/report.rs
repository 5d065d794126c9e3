//! Verdicts on answers, and the report: grouped failures and a replay script.

use super::*;

/// A big body cut off because the server answered (and closed) before reading it all:
/// normal HTTP, but the client sees only the broken pipe, not the answer.
pub(super) fn unjudged(case: &Case, o: &Outcome) -> bool {
    o.died.is_none()
        && case.body.len() > 64 * 1024
        && o.transport
            .as_deref()
            .is_some_and(|e| e.contains("error writing a body") || e.contains("Connection reset"))
}

/// What is wrong with an answer, if anything: (kind, details).
pub(super) fn check(case: &Case, o: &Outcome) -> Option<(String, String)> {
    if let Some(how) = &o.died {
        return Some(("server died".into(), how.clone()));
    }
    if let Some(e) = &o.transport {
        return Some(if o.elapsed >= CLIENT_TIMEOUT {
            (format!("no answer within {CLIENT_TIMEOUT:?}"), e.clone())
        } else {
            ("connection failed, server alive".into(), e.clone())
        });
    }
    let status = o.status?;
    let snippet = clip(&String::from_utf8_lossy(&o.body), 160);
    let answer = format!("content-type {:?}, body {snippet:?}", o.content_type);
    if status >= 500 {
        return Some((format!("{status}"), answer));
    }
    if o.elapsed > REQUEST_BOUND {
        return Some((format!("slow ({status} after {:.1?})", o.elapsed), answer));
    }
    if status < 400 || case.method == Method::HEAD {
        return None;
    }
    let json_error = o.content_type.contains("json")
        && serde_json::from_slice::<Value>(&o.body)
            .ok()
            .is_some_and(|v| v.get("error").is_some_and(Value::is_string));
    let html = o.content_type.starts_with("text/html");
    let (ok, want) = match face(&case.method, &case.sent_path) {
        Face::Json => (json_error, "a JSON {\"error\": ...} body"),
        Face::Html => (html, "an HTML page"),
        Face::Either => (json_error || html, "a page or a JSON error"),
    };
    (!ok).then(|| (format!("{status} without {want}"), answer))
}

pub(super) struct Failure {
    pub(super) route: String,
    pub(super) case_kind: &'static str,
    pub(super) shape: String,
    pub(super) kind: String,
    pub(super) details: String,
    pub(super) repro: String,
}

pub(super) struct Report {
    pub(super) seed: u64,
    pub(super) dir: PathBuf,
    pub(super) failures: Vec<Failure>,
}

impl Report {
    pub(super) fn new(seed: u64) -> Report {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("roost-fuzz")
            .join(format!("seed-{seed:x}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Report {
            seed,
            dir,
            failures: Vec::new(),
        }
    }

    pub(super) fn add(
        &mut self,
        route: &str,
        case: &Case,
        kind: String,
        details: String,
        region: &Region,
        fx: &Fixtures,
    ) {
        let n = self.failures.len();
        let repro = curl(case, region, fx, &self.dir, n);
        self.failures.push(Failure {
            route: route.into(),
            case_kind: case.kind,
            shape: case.shape.clone(),
            kind,
            details,
            repro,
        });
    }

    pub(super) fn add_crash(&mut self, route: &str, when: &str, why: &str) {
        self.failures.push(Failure {
            route: route.into(),
            case_kind: "batch",
            shape: when.into(),
            kind: "/health failed after the batch".into(),
            details: why.into(),
            repro: String::new(),
        });
    }

    pub(super) fn finish(self, cases: usize) {
        if self.failures.is_empty() {
            return;
        }
        let mut script = String::from(
            "#!/bin/sh\n# Replays of failing fuzz cases. Set ROOST (base URL) and the tokens.\n",
        );
        // One entry per (route, kind of problem): the first case, and how many there were.
        let mut groups: BTreeMap<(String, String), Vec<&Failure>> = BTreeMap::new();
        for f in &self.failures {
            script.push_str(&format!(
                "\n# {} [{}]: {} ({})\n{}\n",
                f.route,
                f.shape,
                f.kind,
                clip(&f.details, 200),
                f.repro
            ));
            groups
                .entry((f.route.clone(), f.kind.clone()))
                .or_default()
                .push(f);
        }
        let path = self.dir.join("repro.sh");
        std::fs::write(&path, script).unwrap();
        let mut msg = format!(
            "{} failing fuzz cases in {} groups (seed {:#x}, {cases} cases per route).\n\
             Re-run: ROOST_FUZZ_SEED={:#x} ROOST_FUZZ_CASES={cases} ROOST_FUZZ_ROUTE='<METHOD pattern>' \
             cargo test -p roost-server --test it fuzz -- --nocapture\n\
             Every failing request, replayable: {}\n",
            self.failures.len(),
            groups.len(),
            self.seed,
            self.seed,
            path.display()
        );
        for ((route, kind), fs) in &groups {
            let f = fs[0];
            let others: BTreeSet<&str> = fs[1..].iter().map(|g| g.case_kind).collect();
            msg.push_str(&format!(
                "\n* {route} — {kind} (x{})\n    {}\n    shape: {}: {}\n    {}\n",
                fs.len(),
                clip(&f.details, 600),
                f.case_kind,
                clip(&f.shape, 200),
                clip(&f.repro, 400)
            ));
            if !others.is_empty() {
                msg.push_str(&format!("    also with shapes: {others:?}\n"));
            }
        }
        panic!("{msg}");
    }
}

/// A curl line for the case, tokens as shell variables; long or binary bodies go to files.
pub(super) fn curl(case: &Case, region: &Region, fx: &Fixtures, dir: &Path, n: usize) -> String {
    let mut secrets: Vec<(String, &str)> = vec![
        (fx.alice.token.clone(), "$ALICE_TOKEN"),
        (fx.bob.token.clone(), "$BOB_TOKEN"),
        (fx.app_token.clone(), "$APP_TOKEN"),
        (fx.read_token.clone(), "$READ_TOKEN"),
        (region.client.base.clone(), "$ROOST"),
    ];
    if let Some((cookie, csrf)) = &fx.session {
        secrets.push((cookie.clone(), "$SESSION"));
        secrets.push((csrf.clone(), "$CSRF"));
    }
    // Quoted first (which escapes any `$` of the case), then the secrets become variables.
    let q = |b: &[u8]| {
        secrets
            .iter()
            .filter(|(v, _)| !v.is_empty())
            .fold(sh_quote(b), |s, (v, var)| s.replace(v.as_str(), var))
    };
    let mut line = format!(
        "curl -sS -i -X {} {}",
        case.method,
        q(region.url(case).as_str().as_bytes())
    );
    for (k, v) in &case.headers {
        line.push_str(&format!(" -H {}", q(&[k.as_bytes(), b": ", v].concat())));
    }
    if !case.body.is_empty() {
        let printable = case.body.iter().all(|b| (0x20..0x7f).contains(b));
        if printable && case.body.len() <= 300 {
            line.push_str(&format!(" --data-binary {}", q(&case.body)));
        } else {
            let file = dir.join(format!("case-{n}.body"));
            std::fs::write(&file, &case.body).unwrap();
            line.push_str(&format!(" --data-binary @{}", file.display()));
        }
    }
    if case.headers.iter().any(|(k, _)| k == "signature") {
        line.push_str("  # signed: Date and Signature hold for 5 minutes");
    }
    line
}

/// Double-quoted for sh; bytes outside printable ASCII as `$(printf '\NNN')`.
pub(super) fn sh_quote(v: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in v {
        match b {
            b'"' | b'\\' | b'`' | b'$' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("$(printf '\\{b:03o}')")),
        }
    }
    out.push('"');
    out
}

pub(super) fn clip(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push_str(&format!("…({} chars)", s.chars().count()));
    }
    out
}
