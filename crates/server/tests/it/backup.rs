//! Backups that stay home (issue 15): `roost backup` takes a consistent, sealed snapshot
//! while the region runs, only into a place the cluster file allows for the region, and
//! records it for the audit; `roost restore` brings the region back with the live data
//! keys, ledger and erasure records. A backup holds no data keys and seals each media file
//! with its owner's key, so erasing an account shreds it in every backup already made.

use crate::backend::{RawDb, Val};
use crate::media::{png, upload_to};
use crate::regions::{audit, db, kinds};
use crate::support::*;
use roost_residency::keys::{FileKek, WrappedKey};
use roost_residency::sealed_file::SealedReader;
use roost_server::config::Database;
use serde_json::json;
use std::io::Read;
use std::path::{Path, PathBuf};

const PASSWORD: &str = "correct horse battery";

/// Runs the real binary with `args`; (success, stdout + stderr).
pub(crate) fn roost(args: &[&str]) -> (bool, String) {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_roost"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("ROOST_")) {
        c.env_remove(k);
    }
    let out = c.args(args).env("RUST_LOG", "warn").output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// [`roost`] off the test's runtime, which meanwhile drives its own connections (a
/// client dropped before it closes its session only when its task runs).
pub(crate) async fn roost_bg(args: &[&str]) -> (bool, String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || roost(&args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .unwrap()
}

pub(crate) fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Where a successful `roost backup` said it wrote the backup, and its size in bytes.
fn made_at(out: &str) -> (String, u64) {
    let line = out
        .lines()
        .find(|l| l.starts_with("backed up region"))
        .unwrap_or_else(|| panic!("no backup line in {out}"));
    let (_, rest) = line.split_once(" to ").unwrap();
    let (place, size) = rest.split_once(" (").unwrap();
    let size = size.split(' ').next().unwrap().parse().unwrap();
    (place.to_string(), size)
}

/// The backup file a successful `roost backup` printed.
pub(crate) fn made_file(out: &str) -> PathBuf {
    PathBuf::from(made_at(out).0)
}

/// A backup's plain text, opened with the KEK file: the database bytes (a SQLite file, or
/// the pg_dump archive its parts make up) and the media entries (name, bytes as stored in
/// the backup).
struct Opened {
    database: Vec<u8>,
    blobs: Vec<(String, Vec<u8>)>,
    all: Vec<u8>,
}

fn open_backup(file: &Path, kek: &Path) -> Opened {
    let ring =
        roost_residency::Keyring::new(std::sync::Arc::new(FileKek::load(kek).unwrap()), Vec::new());
    let mut r = SealedReader::open(std::fs::File::open(file).unwrap(), &ring).unwrap();
    let mut all = Vec::new();
    r.read_to_end(&mut all).unwrap();
    let mut at = 0;
    let (mut database, mut blobs) = (Vec::new(), Vec::new());
    while at < all.len() {
        let kind = all[at];
        let n = u16::from_be_bytes([all[at + 1], all[at + 2]]) as usize;
        let name = String::from_utf8(all[at + 3..at + 3 + n].to_vec()).unwrap();
        at += 3 + n;
        let len = u64::from_be_bytes(all[at..at + 8].try_into().unwrap()) as usize;
        at += 8;
        let data = all[at..at + len].to_vec();
        at += len;
        match kind {
            b'D' => database = data,
            b'P' => database.extend_from_slice(&data),
            b'B' | b'R' => blobs.push((name, data)),
            _ => {}
        }
    }
    Opened {
        database,
        blobs,
        all,
    }
}

/// Every sealed value of the database in `dir` (or at the URL), opened with every data key
/// that can be unwrapped: those its own database holds and those of `live` (the region's).
async fn opened_values(
    dir: (&Path, Option<&String>),
    live: (&Path, Option<&String>),
    kek: &Path,
) -> Vec<u8> {
    let ring =
        roost_residency::Keyring::new(std::sync::Arc::new(FileKek::load(kek).unwrap()), Vec::new());
    let mut keys = std::collections::HashMap::new();
    for (d, url) in [dir, live] {
        let db = RawDb::open(d, url).await;
        for (owner, kek_id, bytes) in db.key_rows().await {
            if let Ok(k) = ring.unwrap(owner, &WrappedKey { kek_id, bytes }) {
                keys.insert(owner, k);
            }
        }
        db.close().await;
    }
    let db = RawDb::open(dir.0, dir.1).await;
    let mut out = Vec::new();
    for sql in [
        "SELECT account_id, text FROM statuses",
        "SELECT id, note_source FROM accounts",
        "SELECT account_id, COALESCE(description, '') FROM media",
    ] {
        for (owner, value) in db.owned_texts(sql).await {
            if let Some(key) = keys.get(&owner) {
                if let Ok(text) = key.open(&value) {
                    out.extend_from_slice(text.as_bytes());
                    out.push(b'\n');
                }
            }
        }
    }
    db.close().await;
    out
}

/// Runs PostgreSQL's `pg_restore` with `args`, the archive on its stdin (in memory: the
/// test's own look inside a backup); its stdout, or a panic with its stderr.
fn pg_restore(args: &[&str], archive: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = std::process::Command::new("pg_restore")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("pg_restore is installed");
    let mut stdin = child.stdin.take().unwrap();
    let bytes = archive.to_vec();
    let feed = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().unwrap();
    feed.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "pg_restore {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The databases on the server of `url` whose name starts with `prefix` (asked from
/// another database, so that no session stays on that one).
async fn databases_named(url: &str, prefix: &str) -> Vec<String> {
    let mut other = url::Url::parse(url).unwrap();
    other.set_path("/postgres");
    let (client, conn) = tokio_postgres::connect(other.as_str(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .query(
            "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1",
            &[&prefix],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn a_backup_taken_while_writing_restores_with_the_live_ledger_and_a_clean_audit() {
    let mut r = Regions::start(|_| policy_all("store")).await;
    let cluster_file = r.root.path().join("cluster.toml");
    std::fs::write(&cluster_file, r.cluster.to_toml()).unwrap();
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let ins = r.get("in");
    let p1 = id_of(
        &r.get("id")
            .post_status(&budi, json!({"status": "budi before the backup"}))
            .await,
    );
    eventually(10, "Budi's post in in", || async {
        ins.home_ids(&asha).await.contains(&p1).then_some(())
    })
    .await;
    let before = id_of(
        &ins.post_status(&asha, json!({"status": "bkmark-before the backup"}))
            .await,
    );

    // Posts keep coming while the backup is taken.
    let writer = {
        let (base, token) = (ins.base.clone(), asha.token.clone());
        tokio::spawn(async move {
            let s = TestServer::at(&base);
            let mut ids = Vec::new();
            for i in 0..40 {
                let r = s
                    .post(
                        "/api/v1/statuses",
                        Some(&token),
                        json!({"status": format!("bkmark-during {i}")}),
                    )
                    .await;
                ids.push(id_of(&r.ok()));
            }
            ids
        })
    };
    let dir = r.data_dir("in");
    let to = dir.join("backups");
    // On PostgreSQL the commands name the region's database as `serve` does.
    let url_args: Vec<String> = match r.databases().get("in") {
        Some(url) => vec!["--database-url".into(), url.clone()],
        None => Vec::new(),
    };
    let (ok, out) = tokio::task::spawn_blocking({
        let (c, to, url_args) = (cluster_file.clone(), to.clone(), url_args.clone());
        move || {
            let mut args = vec![
                "backup",
                "--cluster",
                s(&c),
                "--region",
                "in",
                "--to",
                s(&to),
            ];
            args.extend(url_args.iter().map(String::as_str));
            roost(&args)
        }
    })
    .await
    .unwrap();
    assert!(ok, "{out}");
    let during = writer.await.unwrap();
    let file = made_file(&out);
    assert!(file.starts_with(&to), "{file:?}");
    // The file holds nothing readable, and the region recorded it.
    let raw = std::fs::read(&file).unwrap();
    assert!(!contains(&raw, "bkmark") && !contains(&raw, "asha"));
    let d = db(&r, "in").await;
    assert_eq!(
        d.i64("SELECT COUNT(*) FROM backups", &[]).await,
        1,
        "the backup is recorded"
    );
    d.close().await;

    // After the backup: more ledger entries in `in` (Budi's next post is stored there).
    post_across(&r, "id", &budi, "budi after the backup", "in", &asha).await;
    // Budi leaves: `in` erases what it kept of him (his key there goes too; `in` keeps
    // only the record that it was told to, which `erasure_restore.rs` tests).
    r.get("id")
        .post(
            "/api/roost/v1/accounts/delete",
            Some(&budi.token),
            json!({"password": PASSWORD}),
        )
        .await
        .expect(200);
    eventually(10, "Budi's post gone from in", || async {
        let st = r
            .get("in")
            .get(&format!("/api/v1/statuses/{p1}"), Some(&asha.token))
            .await;
        (st.status == 404).then_some(())
    })
    .await;
    // The search index forgets him just after the store does.
    eventually(10, "a clean audit after the erasure", || async {
        audit(&r).await.is_clean().then_some(())
    })
    .await;
    let head = r
        .get("in")
        .get("/api/roost/v1/ledger/head", None)
        .await
        .ok();
    let size_before = head["tree_size"].as_u64().unwrap();

    // Refused while running, nothing changed.
    let restore_in = || {
        let mut args = vec![
            "restore",
            "--cluster",
            s(&cluster_file),
            "--region",
            "in",
            "--from",
            s(&file),
        ];
        args.extend(url_args.iter().map(String::as_str));
        roost(&args)
    };
    let (ok, out) = restore_in();
    assert!(!ok && out.contains("running"), "{out}");
    let last = during.last().unwrap();
    r.get("in")
        .get(&format!("/api/v1/statuses/{last}"), Some(&asha.token))
        .await
        .expect(200);

    r.stop("in").await;
    let (ok, out) = restore_in();
    assert!(ok, "{out}");
    // The backup holds Budi's post sealed with a key that is gone, and `in` was told of
    // his erasure: he is erased again.
    assert!(out.contains(&format!("erased again: {}", budi.id)), "{out}");
    r.restart("in").await;
    let ins = r.get("in");
    // What was written before the backup is served again, with the token of then.
    let st = ins
        .get(&format!("/api/v1/statuses/{before}"), Some(&asha.token))
        .await
        .ok();
    assert!(
        st["content"].as_str().unwrap().contains("bkmark-before"),
        "{st}"
    );
    ins.get(&format!("/api/v1/statuses/{p1}"), Some(&asha.token))
        .await
        .error(404);
    assert!(!ins.home_ids(&asha).await.contains(&p1));
    // The snapshot is consistent: the posts of the writer it holds are a prefix of them.
    let mut held = Vec::new();
    for id in &during {
        let st = ins
            .get(&format!("/api/v1/statuses/{id}"), Some(&asha.token))
            .await;
        held.push(st.status == 200);
    }
    assert!(
        held.windows(2).all(|w| w[0] || !w[1]),
        "not a prefix: {held:?}"
    );
    // The ledger is the live one: it did not go back to the backup's (it may grow: the
    // restored outbox delivers again what was pending then). The audit proves it extends
    // the head the last audit saw.
    let head = ins.get("/api/roost/v1/ledger/head", None).await.ok();
    assert!(head["tree_size"].as_u64().unwrap() >= size_before, "{head}");
    let rep = audit(&r).await;
    assert!(rep.is_clean(), "{}", rep.render());
    assert!(
        rep.notes.iter().any(|n| n.contains("in: 1 backup(s)")),
        "{:?}",
        rep.notes
    );

    // A backup recorded in a place the cluster file does not allow for `in`.
    let d = db(&r, "in").await;
    d.exec(
        "INSERT INTO backups (sha256, made_at, place, file, size) VALUES ($1, $2, $3, $4, $5)",
        &[
            crate::backend::Val::T("ab".repeat(32)),
            crate::backend::Val::I(1),
            crate::backend::Val::T("dir:/mnt/abroad/roost".into()),
            crate::backend::Val::T("planted.backup".into()),
            crate::backend::Val::I(10),
        ],
    )
    .await;
    d.close().await;
    let rep = audit(&r).await;
    assert_eq!(kinds(&rep), ["BackupPlace"], "{}", rep.render());
    assert!(rep.render().contains("dir:/mnt/abroad/roost"));
    r.stop_all().await;
}

#[tokio::test]
async fn erasing_an_account_shreds_it_in_every_backup_and_restore_brings_back_the_others() {
    let s1 = TestServer::start_with(|c| c.database = Database::Sqlite).await;
    let data = s1.dir.path().join("data");
    let kek = data.join("keys").join("kek.key");
    let alice = s1.register("alice").await;
    let bob = s1.register("bob").await;
    let mut media_of = std::collections::BTreeMap::new();
    for (u, who) in [(&alice, "alice"), (&bob, "bob")] {
        let m = upload_to(
            &s1,
            "/api/v2/media",
            &u.token,
            png(20 + who.len() as u32, 14),
            "p.png",
            &[("description", &format!("{who}mark-alt"))],
        )
        .await
        .ok();
        s1.post_status(
            u,
            json!({"status": format!("{who}mark-post words"), "media_ids": [id_of(&m)]}),
        )
        .await;
        s1.patch(
            "/api/v1/accounts/update_credentials",
            Some(&u.token),
            json!({"note": format!("{who}mark-bio")}),
        )
        .await
        .ok();
        media_of.insert(who, m);
    }
    let bob_post = ids(&s1
        .get(
            &format!("/api/v1/accounts/{}/statuses", bob.id),
            Some(&bob.token),
        )
        .await
        .ok())[0]
        .clone();
    let files_before: Vec<(PathBuf, Vec<u8>)> = walk(&data.join("media"))
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    assert!(files_before.len() >= 2, "media files were written");

    // Refused: a place the region may not keep backups in; nothing is written there.
    let abroad = s1.dir.path().join("abroad");
    let (ok, out) = roost(&["backup", "--data-dir", s(&data), "--to", s(&abroad)]);
    assert!(!ok && out.contains("not allowed for region local"), "{out}");
    assert!(!abroad.exists());

    let (ok, out) = roost(&[
        "backup",
        "--data-dir",
        s(&data),
        "--to",
        s(&data.join("backups")),
    ]);
    assert!(ok, "{out}");
    let file = made_file(&out);

    // Before the erasure, the backup holds both, readable with the live keys.
    let opened = open_backup(&file, &kek);
    let snap = tempfile::tempdir().unwrap();
    std::fs::write(snap.path().join("roost.sqlite"), &opened.database).unwrap();
    let values = opened_values((snap.path(), None), (&data, None), &kek).await;
    for m in [
        "alicemark-post",
        "alicemark-bio",
        "alicemark-alt",
        "bobmark-post",
    ] {
        assert!(
            contains(&values, m),
            "{m} is in the backup before the erasure"
        );
    }

    // Alice deletes her account.
    s1.post(
        "/api/roost/v1/accounts/delete",
        Some(&alice.token),
        json!({"password": PASSWORD}),
    )
    .await
    .expect(200);

    // The backup, opened with the KEK: no data key in it, nothing of Alice readable in
    // its bytes or in any sealed value opened with every key that exists; Bob's are.
    let opened = open_backup(&file, &kek);
    assert!(opened.database.starts_with(b"SQLite format 3"));
    for m in ["alicemark", "bobmark"] {
        assert!(!contains(&opened.all, m), "{m} in the backup's plain bytes");
    }
    for (_, bytes) in &files_before {
        assert!(
            !opened
                .all
                .windows(bytes.len())
                .any(|w| w == bytes.as_slice()),
            "a media file is in the backup as it is on disk"
        );
    }
    assert!(opened.blobs.len() >= 2, "{:?}", opened.blobs.len());
    let snap = tempfile::tempdir().unwrap();
    std::fs::write(snap.path().join("roost.sqlite"), &opened.database).unwrap();
    let values = opened_values((snap.path(), None), (&data, None), &kek).await;
    for m in ["alicemark-post", "alicemark-bio", "alicemark-alt"] {
        assert!(
            !contains(&values, m),
            "{m} readable in the backup after the erasure"
        );
    }
    let snap_db = RawDb::open(snap.path(), None).await;
    assert_eq!(
        snap_db.i64("SELECT COUNT(*) FROM account_keys", &[]).await,
        0
    );
    snap_db.close().await;
    for m in ["bobmark-post", "bobmark-bio", "bobmark-alt"] {
        assert!(contains(&values, m), "{m} is readable in the backup");
    }

    // Refused: restoring while the region runs.
    let names = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    };
    let before = names(&data);
    let (ok, out) = roost(&["restore", "--data-dir", s(&data), "--from", s(&file)]);
    assert!(!ok && out.contains("running"), "{out}");
    assert_eq!(names(&data), before, "nothing was written");
    s1.get(&format!("/api/v1/statuses/{bob_post}"), Some(&bob.token))
        .await
        .expect(200);
    let dir = s1.stop().await;
    let data = dir.path().join("data");

    // Into a fresh data dir holding the region's keys, with the live database's data keys.
    let fresh = tempfile::tempdir().unwrap();
    let fresh_data = fresh.path().join("data");
    std::fs::create_dir_all(fresh_data.join("keys")).unwrap();
    for f in ["kek.key", "region.ed25519.pem"] {
        std::fs::copy(data.join("keys").join(f), fresh_data.join("keys").join(f)).unwrap();
    }
    let live = data.join("roost.sqlite");
    let restore = |extra: &[&str], from: &Path| {
        let mut args = vec!["restore", "--data-dir", s(&fresh_data)];
        args.extend_from_slice(extra);
        let from = from.to_str().unwrap().to_string();
        let live = live.to_str().unwrap().to_string();
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        all.extend(["--from".into(), from, "--live".into(), live]);
        roost(&all.iter().map(String::as_str).collect::<Vec<_>>())
    };

    // Refused: another KEK, a flipped byte, a cut file. Nothing is written.
    let other = fresh.path().join("other.key");
    FileKek::create(&other).unwrap();
    let (ok, out) = restore(&["--kek-file", s(&other)], &file);
    assert!(!ok && out.contains("key-encryption key"), "{out}");
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    let flipped = fresh.path().join("flipped.backup");
    std::fs::write(&flipped, &bytes).unwrap();
    let (ok, out) = restore(&[], &flipped);
    assert!(!ok && out.contains("altered"), "{out}");
    let cut = fresh.path().join("cut.backup");
    let full = std::fs::read(&file).unwrap();
    std::fs::write(&cut, &full[..full.len() - 100]).unwrap();
    let (ok, out) = restore(&[], &cut);
    assert!(!ok && out.contains("cut short"), "{out}");
    assert!(
        !fresh_data.join("roost.sqlite").exists(),
        "nothing was restored"
    );

    let (ok, out) = restore(&[], &file);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("erased again: {}", alice.id)),
        "{out}"
    );

    // The region serves Bob again, over HTTP, and knows nothing of Alice.
    let s2 = TestServer::start_in(fresh, |c| c.database = Database::Sqlite).await;
    let st = s2
        .get(&format!("/api/v1/statuses/{bob_post}"), Some(&bob.token))
        .await
        .ok();
    assert!(
        st["content"].as_str().unwrap().contains("bobmark-post"),
        "{st}"
    );
    assert_eq!(st["media_attachments"][0]["description"], "bobmark-alt");
    let url = st["media_attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let got = s2.http.get(&url).send().await.unwrap();
    assert_eq!(got.status(), 200, "Bob's picture is back: {url}");
    s2.get("/api/v1/accounts/lookup?acct=alice", None)
        .await
        .error(404);
    s2.get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await
        .error(401);
    let data2 = s2.dir.path().join("data");
    let restored = unsealed(&data2, None).await;
    assert!(contains(&restored, "bobmark-bio"));
    for m in ["alicemark-post", "alicemark-bio", "alicemark-alt"] {
        assert!(!contains(&restored, m), "{m} came back");
        assert!(!contains(&raw_bytes(&data2), m), "{m} is on the disk");
    }
    // Alice's picture, at the path it had before.
    let alice_url = media_of["alice"]["url"].as_str().unwrap();
    let path = alice_url.splitn(4, '/').nth(3).unwrap();
    let got = s2
        .http
        .get(s2.url(&format!("/{path}")))
        .send()
        .await
        .unwrap();
    assert_ne!(got.status(), 200, "Alice's picture came back");
    s2.stop().await;
}

/// The URL of the PostgreSQL database a test server runs on (its marker file).
fn database_url(s: &TestServer) -> String {
    std::fs::read_to_string(s.dir.path().join("database-url")).expect("a server on PostgreSQL")
}

#[tokio::test]
async fn on_postgres_erasing_an_account_shreds_it_in_every_backup_and_restore_brings_back_the_others(
) {
    if !crate::backend::postgres() {
        return; // The SQLite variant is the test above.
    }
    let s1 = TestServer::start().await;
    let url = database_url(&s1);
    let db_name = url.rsplit('/').next().unwrap().to_string();
    let data = s1.dir.path().join("data");
    let kek = data.join("keys").join("kek.key");
    let alice = s1.register("alice").await;
    let bob = s1.register("bob").await;
    let mut media_of = std::collections::BTreeMap::new();
    for (u, who) in [(&alice, "alice"), (&bob, "bob")] {
        let m = upload_to(
            &s1,
            "/api/v2/media",
            &u.token,
            png(20 + who.len() as u32, 14),
            "p.png",
            &[("description", &format!("{who}mark-alt"))],
        )
        .await
        .ok();
        s1.post_status(
            u,
            json!({"status": format!("{who}mark-post words"), "media_ids": [id_of(&m)]}),
        )
        .await;
        s1.patch(
            "/api/v1/accounts/update_credentials",
            Some(&u.token),
            json!({"note": format!("{who}mark-bio")}),
        )
        .await
        .ok();
        media_of.insert(who, m);
    }
    let bob_post = ids(&s1
        .get(
            &format!("/api/v1/accounts/{}/statuses", bob.id),
            Some(&bob.token),
        )
        .await
        .ok())[0]
        .clone();
    let files_before: Vec<Vec<u8>> = walk(&data.join("media"))
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(files_before.len() >= 2, "media files were written");

    // Refused: a place the region may not keep backups in; nothing is written there.
    let abroad = s1.dir.path().join("abroad");
    let backup_to = |to: &Path| {
        roost(&[
            "backup",
            "--data-dir",
            s(&data),
            "--database-url",
            &url,
            "--to",
            s(to),
        ])
    };
    let (ok, out) = backup_to(&abroad);
    assert!(!ok && out.contains("not allowed for region local"), "{out}");
    assert!(!abroad.exists());

    let (ok, out) = backup_to(&data.join("backups"));
    assert!(ok, "{out}");
    let file = made_file(&out);
    let raw = std::fs::read(&file).unwrap();
    for m in ["alicemark", "bobmark", "PGDMP", "account_keys"] {
        assert!(
            !contains(&raw, m),
            "{m} in the backup file as it is on disk"
        );
    }
    let rec = RawDb::open(&data, Some(&url)).await;
    assert_eq!(rec.i64("SELECT COUNT(*) FROM backups", &[]).await, 1);
    let live_keys = rec.key_rows().await;
    rec.close().await;
    assert!(live_keys.len() >= 2, "{live_keys:?}");

    // Inside: pg_dump's archive, without the data of `account_keys`.
    let opened = open_backup(&file, &kek);
    assert!(opened.database.starts_with(b"PGDMP"), "a pg_dump archive");
    let sql = pg_restore(&["--file=-"], &opened.database);
    assert!(contains(&sql, "CREATE TABLE public.account_keys"));
    assert!(!contains(&sql, "COPY public.account_keys"));
    assert!(contains(&sql, "COPY public.statuses"));
    for (_, _, wrapped) in &live_keys {
        assert!(!contains(&sql, &hex::encode(wrapped)), "a wrapped key");
        assert!(
            !contains(&opened.all, &hex::encode(wrapped)),
            "a wrapped key"
        );
    }
    for m in ["alicemark", "bobmark"] {
        assert!(!contains(&sql, m), "{m} in the dump's SQL");
        assert!(!contains(&opened.all, m), "{m} in the backup's plain bytes");
    }
    for bytes in &files_before {
        assert!(
            !opened
                .all
                .windows(bytes.len())
                .any(|w| w == bytes.as_slice()),
            "a media file is in the backup as it is on disk"
        );
    }
    assert!(opened.blobs.len() >= 2, "{:?}", opened.blobs.len());

    // The archive restored on its own: readable with the live keys before the erasure.
    let restore_archive = || async {
        let u = crate::backend::own_database().await.expect("PostgreSQL");
        let to = format!("--dbname={u}");
        pg_restore(
            &["--no-owner", "--no-privileges", "--exit-on-error", &to],
            &opened.database,
        );
        u
    };
    let snap = restore_archive().await;
    let values = opened_values((&data, Some(&snap)), (&data, Some(&url)), &kek).await;
    for m in [
        "alicemark-post",
        "alicemark-bio",
        "alicemark-alt",
        "bobmark-post",
    ] {
        assert!(
            contains(&values, m),
            "{m} is in the backup before the erasure"
        );
    }

    s1.post(
        "/api/roost/v1/accounts/delete",
        Some(&alice.token),
        json!({"password": PASSWORD}),
    )
    .await
    .expect(200);

    // After: nothing of Alice opens with any key that exists; Bob's does.
    let snap = restore_archive().await;
    let values = opened_values((&data, Some(&snap)), (&data, Some(&url)), &kek).await;
    for m in ["alicemark-post", "alicemark-bio", "alicemark-alt"] {
        assert!(
            !contains(&values, m),
            "{m} readable in the backup after the erasure"
        );
    }
    for m in ["bobmark-post", "bobmark-bio", "bobmark-alt"] {
        assert!(contains(&values, m), "{m} is readable in the backup");
    }
    let snap_db = RawDb::open(&data, Some(&snap)).await;
    assert_eq!(
        snap_db.i64("SELECT COUNT(*) FROM account_keys", &[]).await,
        0
    );

    let restore = |data: PathBuf, from: PathBuf| {
        let url = url.clone();
        async move {
            roost_bg(&[
                "restore",
                "--data-dir",
                s(&data),
                "--database-url",
                &url,
                "--from",
                s(&from),
            ])
            .await
        }
    };
    let (ok, out) = restore(data.clone(), file.clone()).await;
    assert!(!ok && out.contains("running"), "{out}");
    let dir = s1.stop().await;
    let data = dir.path().join("data");

    // Refused, the live database untouched and no scratch database left: another KEK, a
    // flipped byte, a cut file.
    let scratch = tempfile::tempdir().unwrap();
    let other = scratch.path().join("other.key");
    FileKek::create(&other).unwrap();
    let (ok, out) = roost_bg(&[
        "restore",
        "--data-dir",
        s(&data),
        "--database-url",
        &url,
        "--kek-file",
        s(&other),
        "--from",
        s(&file),
    ])
    .await;
    assert!(!ok && out.contains("key-encryption key"), "{out}");
    let full = std::fs::read(&file).unwrap();
    let mut bytes = full.clone();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    let flipped = scratch.path().join("flipped.backup");
    std::fs::write(&flipped, &bytes).unwrap();
    let (ok, out) = restore(data.clone(), flipped).await;
    assert!(!ok && out.contains("altered"), "{out}");
    let cut = scratch.path().join("cut.backup");
    std::fs::write(&cut, &full[..full.len() - 100]).unwrap();
    let (ok, out) = restore(data.clone(), cut).await;
    assert!(!ok && out.contains("cut short"), "{out}");
    let live = RawDb::open(&data, Some(&url)).await;
    let alice_id: i64 = alice.id.parse().unwrap();
    let count_alice = "SELECT COUNT(*) FROM accounts WHERE id = $1";
    assert_eq!(live.i64(count_alice, &[Val::I(alice_id)]).await, 0);
    assert_eq!(
        live.i64("SELECT COUNT(*) FROM account_keys", &[]).await,
        live_keys.len() as i64 - 1
    );
    live.close().await;
    let leftover = format!("{db_name}_");
    assert_eq!(databases_named(&url, &leftover).await, Vec::<String>::new());

    let (ok, out) = restore(data.clone(), file.clone()).await;
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("erased again: {}", alice.id)),
        "{out}"
    );
    assert_eq!(databases_named(&url, &leftover).await, Vec::<String>::new());

    // The region serves Bob again, over HTTP, and knows nothing of Alice.
    let s2 = TestServer::start_in(dir, |_| {}).await;
    let st = s2
        .get(&format!("/api/v1/statuses/{bob_post}"), Some(&bob.token))
        .await
        .ok();
    assert!(
        st["content"].as_str().unwrap().contains("bobmark-post"),
        "{st}"
    );
    assert_eq!(st["media_attachments"][0]["description"], "bobmark-alt");
    let media_url = st["media_attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let got = s2.http.get(&media_url).send().await.unwrap();
    assert_eq!(got.status(), 200, "Bob's picture is back: {media_url}");
    s2.get("/api/v1/accounts/lookup?acct=alice", None)
        .await
        .error(404);
    s2.get("/api/v1/accounts/verify_credentials", Some(&alice.token))
        .await
        .error(401);
    let data2 = s2.dir.path().join("data");
    let restored = unsealed(&data2, Some(&url)).await;
    assert!(contains(&restored, "bobmark-bio"));
    for m in ["alicemark-post", "alicemark-bio", "alicemark-alt"] {
        assert!(!contains(&restored, m), "{m} came back");
    }
    let db = RawDb::open(&data2, Some(&url)).await;
    assert_eq!(db.i64(count_alice, &[Val::I(alice_id)]).await, 0);
    assert_eq!(db.i64("SELECT COUNT(*) FROM backups", &[]).await, 1);
    db.close().await;
    let alice_url = media_of["alice"]["url"].as_str().unwrap();
    let path = alice_url.splitn(4, '/').nth(3).unwrap();
    let got = s2
        .http
        .get(s2.url(&format!("/{path}")))
        .send()
        .await
        .unwrap();
    assert_ne!(got.status(), 200, "Alice's picture came back");
    s2.stop().await;
}

#[tokio::test]
async fn on_postgres_a_backup_restores_only_into_a_region_on_the_same_database_engine() {
    if !crate::backend::postgres() {
        return;
    }
    let pg = TestServer::start().await;
    let url = database_url(&pg);
    let db_name = url.rsplit('/').next().unwrap().to_string();
    let sq = TestServer::start_with(|c| c.database = Database::Sqlite).await;
    let mut posts = Vec::new();
    for (server, mark) in [(&pg, "enginemark-pg"), (&sq, "enginemark-sqlite")] {
        let u = server.register("carol").await;
        let p = id_of(&server.post_status(&u, json!({"status": mark})).await);
        posts.push((u, p, mark));
    }
    let (pg_data, sq_data) = (pg.dir.path().join("data"), sq.dir.path().join("data"));
    let (ok, out) = roost(&[
        "backup",
        "--data-dir",
        s(&pg_data),
        "--database-url",
        &url,
        "--to",
        s(&pg_data.join("backups")),
    ]);
    assert!(ok, "{out}");
    let pg_file = made_file(&out);
    let (ok, out) = roost(&[
        "backup",
        "--data-dir",
        s(&sq_data),
        "--to",
        s(&sq_data.join("backups")),
    ]);
    assert!(ok, "{out}");
    let sq_file = made_file(&out);
    let (pg_dir, sq_dir) = (pg.stop().await, sq.stop().await);

    // A SQLite backup into the region on PostgreSQL.
    let (ok, out) = roost_bg(&[
        "restore",
        "--data-dir",
        s(&pg_data),
        "--database-url",
        &url,
        "--from",
        s(&sq_file),
    ])
    .await;
    assert!(
        !ok && out.contains("a backup of a region on SQLite") && out.contains("on PostgreSQL"),
        "{out}"
    );
    // A PostgreSQL backup into the region on SQLite.
    let sqlite_file = sq_data.join("roost.sqlite");
    let before = std::fs::read(&sqlite_file).unwrap();
    let (ok, out) = roost(&["restore", "--data-dir", s(&sq_data), "--from", s(&pg_file)]);
    assert!(
        !ok && out.contains("a backup of a region on PostgreSQL") && out.contains("on SQLite"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(&sqlite_file).unwrap(),
        before,
        "the file changed"
    );
    assert_eq!(
        databases_named(&url, &format!("{db_name}_")).await,
        Vec::<String>::new()
    );
    // Its own backup, while a session (a node of the region elsewhere) is connected to
    // its database: refused, and no scratch database is left behind.
    let (other_node, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let conn = tokio::spawn(conn);
    let (ok, out) = roost_bg(&[
        "restore",
        "--data-dir",
        s(&pg_data),
        "--database-url",
        &url,
        "--from",
        s(&pg_file),
    ])
    .await;
    assert!(
        !ok && out.contains("session(s) are connected to its database"),
        "{out}"
    );
    assert_eq!(
        databases_named(&url, &format!("{db_name}_")).await,
        Vec::<String>::new()
    );
    drop(other_node);
    let _ = conn.await;

    // Both regions serve what they had.
    let pg = TestServer::start_in(pg_dir, |_| {}).await;
    let sq = TestServer::start_in(sq_dir, |c| c.database = Database::Sqlite).await;
    for (server, (u, p, mark)) in [&pg, &sq].into_iter().zip(&posts) {
        let st = server
            .get(&format!("/api/v1/statuses/{p}"), Some(&u.token))
            .await
            .ok();
        assert!(st["content"].as_str().unwrap().contains(mark), "{st}");
    }
    pg.stop().await;
    sq.stop().await;
}

/// A PNG of noise (with alpha, so it stays a PNG): it compresses hardly at all, so a
/// backup holding it is about as big as its pixels.
fn noise_png(w: u32, h: u32) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    let img = image::RgbaImage::from_fn(w, h, |_, _| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        image::Rgba(x.to_be_bytes())
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The entries of `dir` whose names start with `prefix`.
fn entries_named(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

/// Backups in a bucket (issue 15, "a region-local directory or bucket"): `roost backup
/// --to s3://BUCKET/PREFIX` uploads the sealed file in parts to a bucket the cluster file
/// lists for the region, and `roost restore --from s3://BUCKET/PREFIX/NAME` brings the
/// region back from it; a bucket the cluster file does not list is refused for both, with
/// nothing uploaded, and the audit flags a backup recorded in one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_to_an_allowed_bucket_restores_and_other_buckets_are_refused() {
    let Some((_moto, endpoint)) = Moto::start().await else {
        return;
    };
    let mut r = Regions::start_with(
        |_| policy_all("store"),
        |c| {
            c.max_body_bytes = 16 << 20;
            c.media_ready_wait = std::time::Duration::from_secs(60);
        },
    )
    .await;
    // `in` may keep backups under `daily` in its backup bucket (beside its directory).
    let mut cluster = (*r.cluster).clone();
    cluster.regions.get_mut("in").unwrap().backups.extend(
        ["s3://roost-in-backups/daily", "s3://roost-in-nobucket/x"]
            .map(|p| roost_residency::BackupPlace::parse(p).unwrap()),
    );
    r.cluster = std::sync::Arc::new(cluster);
    let cluster_file = r.root.path().join("cluster.toml");
    std::fs::write(&cluster_file, r.cluster.to_toml()).unwrap();
    let settings = crate::media::bucket_settings(&endpoint, "roost-in-backups");
    let backups = roost_media::RegionBucket::new(&settings).unwrap();
    backups.create().await.unwrap();
    let elsewhere = roost_media::RegionBucket::new(&crate::media::bucket_settings(
        &endpoint,
        "roost-in-elsewhere",
    ))
    .unwrap();
    elsewhere.create().await.unwrap();

    let asha = r.get("in").register("asha").await;
    let ins = r.get("in");
    // A picture of a few MiB: the backup needs more than one part of 5 MiB.
    let m = upload_to(
        ins,
        "/api/v2/media",
        &asha.token,
        noise_png(1400, 1400),
        "big.png",
        &[("description", "s3mark-alt")],
    )
    .await
    .ok();
    let before = id_of(
        &ins.post_status(
            &asha,
            json!({"status": "s3mark-before the backup", "media_ids": [id_of(&m)]}),
        )
        .await,
    );
    let url = ins
        .get(&format!("/api/v1/statuses/{before}"), Some(&asha.token))
        .await
        .ok()["media_attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();

    let dir = r.data_dir("in");
    let url_args: Vec<String> = match r.databases().get("in") {
        Some(url) => vec!["--database-url".into(), url.clone()],
        None => Vec::new(),
    };
    let cf = s(&cluster_file).to_string();
    let base = {
        let mut v: Vec<String> = ["--cluster", &cf, "--region", "in"]
            .iter()
            .map(|a| a.to_string())
            .collect();
        v.extend(url_args.iter().cloned());
        v
    };
    let bucket_args: Vec<String> = [
        "--backup-s3-endpoint",
        &endpoint,
        "--backup-s3-access-key",
        "test",
        "--backup-s3-secret-key",
        "test",
        "--backup-s3-part-mib",
        "5",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let run = |cmd: &'static str, extra: Vec<String>, with_bucket: bool| {
        let mut args: Vec<String> = vec![cmd.to_string()];
        args.extend(base.iter().cloned());
        if with_bucket {
            args.extend(bucket_args.iter().cloned());
        }
        args.extend(extra);
        roost_bg_owned(args)
    };

    // Refused: buckets and prefixes the cluster file does not list; nothing is uploaded.
    for to in [
        "s3://roost-in-elsewhere/daily",
        "s3://roost-in-backups/dailyx",
        "s3://roost-in-backups",
    ] {
        let (ok, out) = run("backup", vec!["--to".into(), to.into()], true).await;
        assert!(
            !ok && out.contains(&format!("backup place {to} is not allowed for region in"))
                && out.contains("s3://roost-in-backups/daily")
                && out.contains("nothing was written"),
            "{to}: {out}"
        );
    }
    assert!(elsewhere.list("").await.unwrap().is_empty());
    assert!(backups.list("").await.unwrap().is_empty());
    // Bad places: a clear error each, no panic.
    for (to, says) in [
        ("s3://", "names no bucket"),
        ("s3://Roost_In/daily", "not a valid bucket name"),
        ("s3://roost-in-backups/daily/../x", "must not hold \"..\""),
        ("s3://roost-in-backups/daily//x", "empty segment"),
        ("s3:/roost-in-backups/daily", "s3://BUCKET/PREFIX"),
    ] {
        let (ok, out) = run("backup", vec!["--to".into(), to.into()], true).await;
        assert!(
            !ok && out.contains(says) && !out.contains("panicked"),
            "{to}: {out}"
        );
    }
    // An allowed bucket, but no endpoint configured for it.
    let (ok, out) = run(
        "backup",
        vec!["--to".into(), "s3://roost-in-backups/daily".into()],
        false,
    )
    .await;
    assert!(
        !ok && out.contains("need the bucket's endpoint") && out.contains("nothing was written"),
        "{out}"
    );
    assert!(backups.list("").await.unwrap().is_empty());
    // An allowed bucket that does not exist: the upload fails, nothing is left or recorded.
    let (ok, out) = run(
        "backup",
        vec!["--to".into(), "s3://roost-in-nobucket/x".into()],
        true,
    )
    .await;
    assert!(
        !ok && out.contains("uploading the backup to s3://roost-in-nobucket/x")
            && out.contains("HTTP 404"),
        "{out}"
    );
    assert!(entries_named(&dir, ".backup").is_empty());
    let d = db(&r, "in").await;
    assert_eq!(d.i64("SELECT COUNT(*) FROM backups", &[]).await, 0);
    d.close().await;

    let (ok, out) = run(
        "backup",
        vec!["--to".into(), "s3://roost-in-backups/daily/2026".into()],
        true,
    )
    .await;
    assert!(ok, "{out}");
    let (location, size) = made_at(&out);
    assert!(
        location.starts_with("s3://roost-in-backups/daily/2026/"),
        "{out}"
    );
    assert!(size > 5 << 20, "big enough for two parts: {size}");
    let key = location
        .strip_prefix("s3://roost-in-backups/")
        .unwrap()
        .to_string();
    assert_eq!(backups.list("").await.unwrap(), vec![key.clone()]);
    assert_eq!(backups.size(&key).await.unwrap(), Some(size));
    // Uploaded in parts (a multipart object's ETag counts them).
    let raw = rusty_s3::Bucket::new(
        endpoint.parse().unwrap(),
        rusty_s3::UrlStyle::Path,
        "roost-in-backups".to_string(),
        "us-east-1".to_string(),
    )
    .unwrap();
    let creds = rusty_s3::Credentials::new("test", "test");
    let head = rusty_s3::S3Action::sign(
        &raw.head_object(Some(&creds), &key),
        std::time::Duration::from_secs(60),
    );
    let etag = reqwest::Client::new()
        .head(head)
        .send()
        .await
        .unwrap()
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(etag.trim_matches('"').ends_with("-2"), "two parts: {etag}");
    // Sealed: nothing readable in the object; no copy is left in the data dir.
    let object = backups.get(&key, None).await.unwrap().unwrap();
    assert!(!contains(&object, "s3mark") && !contains(&object, "asha"));
    assert!(entries_named(&dir, ".backup").is_empty());
    let d = db(&r, "in").await;
    let name = key.rsplit('/').next().unwrap();
    assert_eq!(
        d.texts("SELECT place || ' ' || file FROM backups", &[])
            .await,
        [format!("s3://roost-in-backups/daily/2026 {name}")],
        "the backup is recorded with its place"
    );
    d.close().await;
    let rep = audit(&r).await;
    assert!(
        !kinds(&rep).contains(&"BackupPlace".to_string()),
        "{}",
        rep.render()
    );

    // After the backup the post goes; the restore brings it back, picture and all.
    ins.delete(&format!("/api/v1/statuses/{before}"), Some(&asha.token))
        .await
        .expect(200);
    r.stop("in").await;
    // Refused: a bucket the cluster file does not list, a place naming no file, a file
    // that is not there, one altered. Nothing is changed or left behind.
    elsewhere
        .put("daily/x.backup", object.clone())
        .await
        .unwrap();
    let mut flipped = object.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x20;
    backups.put("daily/flipped.backup", flipped).await.unwrap();
    for (from, says) in [
        (
            "s3://roost-in-elsewhere/daily/x.backup",
            "backup place s3://roost-in-elsewhere/daily/x.backup is not allowed for region in",
        ),
        ("s3://roost-in-backups", "names no backup file"),
        (
            "s3://roost-in-backups/daily/none.backup",
            "there is no backup at s3://roost-in-backups/daily/none.backup",
        ),
        ("s3://roost-in-backups/daily/../x", "must not hold \"..\""),
        ("s3://roost-in-backups/daily/flipped.backup", "altered"),
    ] {
        let (ok, out) = run("restore", vec!["--from".into(), from.into()], true).await;
        assert!(
            !ok && out.contains(says) && !out.contains("panicked"),
            "{from}: {out}"
        );
        assert!(entries_named(&dir, ".restore").is_empty(), "{from}");
    }
    let (ok, out) = run("restore", vec!["--from".into(), location.clone()], true).await;
    assert!(ok, "{out}");
    assert!(out.contains("restored region in"), "{out}");
    assert!(entries_named(&dir, ".restore").is_empty());
    r.restart("in").await;
    let ins = r.get("in");
    let st = ins
        .get(&format!("/api/v1/statuses/{before}"), Some(&asha.token))
        .await
        .ok();
    assert!(
        st["content"].as_str().unwrap().contains("s3mark-before"),
        "{st}"
    );
    assert_eq!(st["media_attachments"][0]["description"], "s3mark-alt");
    let got = ins.http.get(&url).send().await.unwrap();
    assert_eq!(got.status(), 200, "the picture is back: {url}");

    // A backup recorded in a bucket the cluster file does not list for `in`.
    let d = db(&r, "in").await;
    d.exec(
        "INSERT INTO backups (sha256, made_at, place, file, size) VALUES ($1, $2, $3, $4, $5)",
        &[
            Val::T("cd".repeat(32)),
            Val::I(1),
            Val::T("s3://roost-in-elsewhere/daily".into()),
            Val::T("planted.backup".into()),
            Val::I(10),
        ],
    )
    .await;
    d.close().await;
    let rep = audit(&r).await;
    let flagged: Vec<_> = rep
        .violations
        .iter()
        .filter(|v| format!("{:?}", v.kind) == "BackupPlace")
        .map(|v| v.detail.clone())
        .collect();
    assert_eq!(flagged.len(), 1, "{}", rep.render());
    assert!(
        flagged[0].contains("planted.backup")
            && flagged[0].contains("s3://roost-in-elsewhere/daily"),
        "{flagged:?}"
    );
    r.stop_all().await;
}

/// [`roost`] off the test's runtime, with owned arguments.
async fn roost_bg_owned(args: Vec<String>) -> (bool, String) {
    tokio::task::spawn_blocking(move || roost(&args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .unwrap()
}
