//! Content at rest is sealed with each account's data key, wrapped by the region's
//! key-encryption key (KEK): the database files never hold the text of a post, an earlier
//! version, a bio, a profile field or a media description; the API gives them back, after
//! a restart too. A region refuses to start with a KEK that does not unwrap its data keys;
//! rotation re-wraps every key without touching the content; the KEK can live in a
//! PKCS#11 token (SoftHSM2 here).

use crate::backend::{self, RawDb};
use crate::media::{png, upload_to};
use crate::restart::{listening, roost_cmd};
use crate::support::{contains, id_of, raw_bytes, TestServer};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;

const MARKERS: [&str; 6] = [
    "sealmarkpost",
    "sealmarkedit",
    "sealmarkbio",
    "sealmarkfield",
    "sealmarkvalue",
    "sealmarkalt",
];

/// Every byte of the region's database: the SQLite file and its log, or the PostgreSQL
/// database's files. (The search index holds words by design; erasure tests cover it.)
async fn database_bytes(s: &TestServer) -> Vec<u8> {
    let data = s.dir.path().join("data");
    let mut out = Vec::new();
    for f in ["roost.sqlite", "roost.sqlite-wal"] {
        out.extend(std::fs::read(data.join(f)).unwrap_or_default());
    }
    if let Some(url) = database_url(s) {
        out.extend(backend::database_files(&url).await);
    }
    out
}

fn database_url(s: &TestServer) -> Option<String> {
    std::fs::read_to_string(s.dir.path().join("database-url")).ok()
}

/// The sealed test's post, its history, the media description and the profile, as the
/// API gives them.
async fn reads_everything(s: &TestServer, id: &str, token: &str) {
    let st = s
        .get(&format!("/api/v1/statuses/{id}"), Some(token))
        .await
        .ok();
    assert!(
        st["content"].as_str().unwrap().contains("sealmarkedit"),
        "{st}"
    );
    assert_eq!(
        st["media_attachments"][0]["description"],
        "a sealmarkalt picture"
    );
    let h = s
        .get(&format!("/api/v1/statuses/{id}/history"), Some(token))
        .await
        .ok();
    assert!(h.to_string().contains("sealmarkpost"), "{h}");
    let me = s
        .get("/api/v1/accounts/verify_credentials", Some(token))
        .await
        .ok();
    assert_eq!(me["source"]["note"], "my sealmarkbio here");
    assert_eq!(me["fields"][0]["name"], "sealmarkfield");
    assert!(me["fields"][0]["value"]
        .as_str()
        .unwrap()
        .contains("sealmarkvalue"));
}

#[tokio::test]
async fn posts_profiles_and_descriptions_are_sealed_at_rest() {
    let s = TestServer::start().await;
    let u = s.register("sealer").await;
    let m = upload_to(
        &s,
        "/api/v2/media",
        &u.token,
        png(16, 12),
        "p.png",
        &[("description", "a sealmarkalt picture")],
    )
    .await
    .ok();
    let post = s
        .post_status(
            &u,
            json!({"status": "first sealmarkpost words", "media_ids": [id_of(&m)]}),
        )
        .await;
    let id = id_of(&post);
    s.put(
        &format!("/api/v1/statuses/{id}"),
        Some(&u.token),
        json!({"status": "then sealmarkedit words", "media_ids": [id_of(&m)]}),
    )
    .await
    .ok();
    s.patch(
        "/api/v1/accounts/update_credentials",
        Some(&u.token),
        json!({
            "note": "my sealmarkbio here",
            "fields_attributes": {"0": {"name": "sealmarkfield", "value": "sealmarkvalue"}}
        }),
    )
    .await
    .ok();

    // The API reads everything back.
    reads_everything(&s, &id, &u.token).await;

    // ...but the database's files never held any of it.
    let raw = database_bytes(&s).await;
    assert!(
        raw.len() > 10_000,
        "the database files were read ({} bytes)",
        raw.len()
    );
    assert!(contains(&raw, "sealer"), "the check reads the right files");
    for m in MARKERS {
        assert!(!contains(&raw, m), "{m} is readable in the database files");
    }
    // The rows hold sealed values, and the account one wrapped key.
    let db = RawDb::open(&s.dir.path().join("data"), database_url(&s).as_ref()).await;
    let text = db
        .texts(
            "SELECT text FROM statuses WHERE id = $1",
            &[backend::Val::I(id.parse().unwrap())],
        )
        .await;
    assert!(text[0].starts_with("\u{1}k1:"), "{text:?}");
    let account: i64 = u.id.parse().unwrap();
    assert_eq!(
        db.i64(
            "SELECT COUNT(*) FROM account_keys WHERE account_id = $1",
            &[backend::Val::I(account)]
        )
        .await,
        1
    );
    db.close().await;

    // A restart reads it all back with the KEK in the data dir.
    let token = u.token.clone();
    let dir = s.stop().await;
    let s = TestServer::start_in(dir, |_| {}).await;
    reads_everything(&s, &id, &token).await;
    s.stop().await;
}

/// `roost admin keys ...` on a data dir, with extra flags; returns stdout, or panics
/// with stderr when `ok` is not what happened.
fn admin_keys(data: &Path, args: &[&str], env: &[(&str, String)], ok: bool) -> String {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_roost"));
    for (k, _) in std::env::vars() {
        if k.starts_with("ROOST_") {
            c.env_remove(k);
        }
    }
    c.args(["admin", "--data-dir"])
        .arg(data)
        .arg("keys")
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("roost runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert_eq!(
        out.status.success(),
        ok,
        "roost admin keys {args:?}: {stdout}\n{stderr}"
    );
    stdout + &stderr
}

/// `roost serve` on `data` with extra flags and environment.
async fn serve(
    data: &Path,
    args: &[&str],
    env: &[(&str, String)],
) -> (tokio::process::Child, String) {
    let mut c = roost_cmd();
    c.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().expect("roost starts");
    let base = listening(&mut child).await;
    (child, base)
}

/// What `roost serve` prints when it exits before listening.
fn serve_fails(data: &Path, args: &[&str]) -> String {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_roost"));
    for (k, _) in std::env::vars() {
        if k.starts_with("ROOST_") {
            c.env_remove(k);
        }
    }
    let out = c
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(args)
        .output()
        .expect("roost runs");
    assert!(!out.status.success(), "roost started with {args:?}");
    String::from_utf8_lossy(&out.stderr).to_string()
}

async fn stop(mut child: tokio::process::Child) {
    let pid = child.id().expect("running").to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = child.wait().await.unwrap();
    assert!(status.success(), "roost exited with {status}");
}

/// Posts through a server we did not start in-process; returns (token, status id).
async fn post_on(base: &str, text: &str) -> (String, String) {
    let s = TestServer::at(base);
    let u = s.register("rotator").await;
    let st = s.post_status(&u, json!({"status": text})).await;
    (u.token, id_of(&st))
}

async fn reads_back(base: &str, token: &str, id: &str, text: &str) {
    let s = TestServer::at(base);
    let st = s
        .get(&format!("/api/v1/statuses/{id}"), Some(token))
        .await
        .ok();
    assert!(st["content"].as_str().unwrap().contains(text), "{st}");
}

#[tokio::test]
async fn a_new_kek_takes_over_by_rewrapping_and_a_wrong_one_is_refused() {
    if backend::postgres() {
        // One data dir per region here; the PostgreSQL path shares this code.
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let (child, base) = serve(&data, &[], &[]).await;
    let (token, id) = post_on(&base, "rotation sealmarkpost").await;
    stop(child).await;
    let old = data.join("keys").join("kek.key");
    assert!(old.is_file(), "the first start made the KEK");

    // A new KEK; the data keys are still wrapped by the old one, so alone it is refused.
    let new = root.path().join("new.key");
    let out = admin_keys(
        &data,
        &["new-kek", "--file", new.to_str().unwrap()],
        &[],
        true,
    );
    assert!(out.contains("wrote file:"), "{out}");
    admin_keys(
        &data,
        &["new-kek", "--file", new.to_str().unwrap()],
        &[],
        false,
    );
    let err = serve_fails(&data, &["--kek-file", new.to_str().unwrap()]);
    assert!(err.contains("not configured with"), "{err}");

    // Rotation: the new KEK current, the old one previous; rewrap; status shows it.
    let both = [
        "--kek-file",
        new.to_str().unwrap(),
        "--kek-previous-files",
        old.to_str().unwrap(),
    ];
    let status = admin_keys(&data, &[&both[..], &["status"]].concat(), &[], true);
    assert!(status.contains("previous (run `rewrap`)"), "{status}");
    let out = admin_keys(&data, &[&both[..], &["rewrap"]].concat(), &[], true);
    assert!(out.contains("re-wrapped 1 data key(s)"), "{out}");
    assert!(!out.contains("previous"), "{out}");

    // The old KEK is destroyed; the region starts on the new one and reads its posts.
    let old_copy = root.path().join("old.key");
    std::fs::rename(&old, &old_copy).unwrap();
    let (child, base) = serve(&data, &["--kek-file", new.to_str().unwrap()], &[]).await;
    reads_back(&base, &token, &id, "sealmarkpost").await;
    stop(child).await;
    // And the old one no longer opens anything.
    let err = serve_fails(&data, &["--kek-file", old_copy.to_str().unwrap()]);
    assert!(err.contains("not configured with"), "{err}");
}

/// A SoftHSM2 token in a directory of its own, for the PKCS#11 test.
struct Token {
    _dir: tempfile::TempDir,
    conf: PathBuf,
}

const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

fn softhsm_token(label: &str) -> Option<Token> {
    if !Path::new(SOFTHSM_MODULE).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "SoftHSM2 is not installed ({SOFTHSM_MODULE}); CI installs it"
        );
        eprintln!("skipping: SoftHSM2 is not installed");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new("softhsm2-util")
        .env("SOFTHSM2_CONF", &conf)
        .args([
            "--init-token",
            "--free",
            "--label",
            label,
            "--pin",
            "4321",
            "--so-pin",
            "8765",
        ])
        .output()
        .expect("softhsm2-util runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(Token { _dir: dir, conf })
}

#[tokio::test]
async fn the_kek_can_live_in_a_pkcs11_token() {
    if backend::postgres() {
        return;
    }
    let Some(token) = softhsm_token("roost-region") else {
        return;
    };
    let env = vec![
        ("SOFTHSM2_CONF", token.conf.display().to_string()),
        ("ROOST_KEK_PKCS11_MODULE", SOFTHSM_MODULE.to_string()),
        ("ROOST_KEK_PKCS11_TOKEN", "roost-region".to_string()),
        ("ROOST_KEK_PKCS11_KEY", "roost-kek".to_string()),
        ("ROOST_KEK_PKCS11_PIN", "4321".to_string()),
    ];
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    // No key on the token yet: the region does not start.
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_roost"));
    c.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data);
    for (k, v) in &env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no secret key labelled"));

    let made = admin_keys(&data, &["new-kek", "--pkcs11"], &env, true);
    assert!(
        made.contains("made pkcs11:roost-region/roost-kek"),
        "{made}"
    );
    admin_keys(&data, &["new-kek", "--pkcs11"], &env, false);

    let (child, base) = serve(&data, &[], &env).await;
    let (tok, id) = post_on(&base, "hsm sealmarkpost").await;
    stop(child).await;
    assert!(
        !data.join("keys").join("kek.key").exists(),
        "no KEK file is made when the KEK is on a token"
    );
    let raw = raw_bytes(&data);
    assert!(!contains(&raw, "sealmarkpost"), "sealed on disk");
    assert!(
        contains(&raw, "pkcs11:roost-region/roost-kek"),
        "keys name the token's KEK"
    );

    // After a restart the token unwraps the key again.
    let (child, base) = serve(&data, &[], &env).await;
    reads_back(&base, &tok, &id, "sealmarkpost").await;
    stop(child).await;
    // Without the token the data dir's own (new) KEK file cannot read the region.
    let err = serve_fails(&data, &[]);
    assert!(err.contains("not configured with"), "{err}");
}
