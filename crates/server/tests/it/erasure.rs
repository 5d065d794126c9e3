//! Erasure leaves no readable bytes: after a retention purge, and after an author deletes
//! an edited post (at home, and abroad through the federated Delete), unique markers in
//! the post, its earlier version, its media description and the profile are searched for
//! in every file of the region's data dir (database, WAL, search index, media store), and
//! so are the sealed forms the database holds of them (the text itself never reaches the
//! disk: `sealing.rs`). Each sealed form is first found there, so the check can fail.

use crate::backend::{RawDb, Val};
use crate::media::{blob_names, png, upload_to};
use crate::support::{
    contains, eventually, follow_across, id_of, policy_all, walk, Regions, TestServer, User,
};
use roost_residency::{Action, DataClass};
use serde_json::json;

/// The files under `dir` that hold `marker`, for the failure message.
pub(crate) fn files_holding(dir: &std::path::Path, marker: &str) -> Vec<String> {
    walk(dir)
        .into_iter()
        .filter(|f| contains(&std::fs::read(f).unwrap_or_default(), marker))
        .map(|f| f.strip_prefix(dir).unwrap_or(&f).display().to_string())
        .collect()
}

/// Waits (a bounded time: the store folds its log back soon after a deletion) until no
/// marker is readable in the region's files; panics naming the files that still hold one.
pub(crate) async fn no_marker_left(r: &Regions, code: &str, markers: &[&str]) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(8);
    loop {
        let raw = r.disk_bytes(code).await;
        if markers.iter().all(|m| !contains(&raw, m)) {
            return;
        }
        if std::time::Instant::now() > until {
            let left: Vec<String> = markers
                .iter()
                .filter(|m| contains(&raw, m))
                .map(|m| format!("{m} in {:?}", files_holding(&r.data_dir(code), m)))
                .collect();
            panic!("readable in {code} after erasure: {left:?}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Waits until every marker is on the region's disk (as it must be before the erasure).
pub(crate) async fn all_kept(r: &Regions, code: &str, markers: &[&str]) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let raw = r.disk_bytes(code).await;
        let missing: Vec<_> = markers.iter().filter(|m| !contains(&raw, m)).collect();
        if missing.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < until,
            "not on {code}'s disk before the erasure: {missing:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn all_present(raw: &[u8], markers: &[&str]) -> bool {
    markers.iter().all(|m| contains(raw, m))
}

/// The sealed forms of what the region stores of a post and its author: each sealed
/// value's first 24 base64 characters (unique to it). The text itself never reaches the
/// disk, so erasure is shown on these: first found, then gone.
pub(crate) async fn sealed_forms(
    r: &Regions,
    code: &str,
    status: &str,
    account: &str,
) -> Vec<String> {
    let db = RawDb::open(&r.data_dir(code), r.databases().get(code)).await;
    let (s, a) = (
        Val::I(status.parse().unwrap()),
        Val::I(account.parse().unwrap()),
    );
    let mut values = Vec::new();
    for (sql, arg) in [
        ("SELECT text FROM statuses WHERE id = $1", &s),
        ("SELECT content_html FROM statuses WHERE id = $1", &s),
        (
            "SELECT content_html FROM status_edits WHERE status_id = $1",
            &s,
        ),
        ("SELECT description FROM media WHERE status_id = $1", &s),
        ("SELECT note_source FROM accounts WHERE id = $1", &a),
        ("SELECT fields FROM accounts WHERE id = $1", &a),
    ] {
        values.extend(db.texts(sql, std::slice::from_ref(arg)).await);
    }
    db.close().await;
    values
        .iter()
        .flat_map(|v| v.split("\u{1}k1:").skip(1))
        .filter_map(|b| b.get(..24).map(str::to_string))
        .collect()
}

/// Budi posts `first` with a picture described `described`, then edits it to `second`;
/// returns the post's ID.
async fn post_and_edit(
    s: &TestServer,
    budi: &User,
    first: &str,
    second: &str,
    described: &str,
) -> String {
    let m = upload_to(
        s,
        "/api/v2/media",
        &budi.token,
        png(24, 18),
        "p.png",
        &[("description", described)],
    )
    .await
    .expect(200);
    let pid = id_of(
        &s.post_status(budi, json!({"status": first, "media_ids": [m["id"]]}))
            .await,
    );
    s.put(
        &format!("/api/v1/statuses/{pid}"),
        Some(&budi.token),
        json!({"status": second, "media_ids": [m["id"]]}),
    )
    .await
    .ok();
    pid
}

/// Waits until India shows Budi's post in its edited form.
async fn edited_in(s: &TestServer, asha: &User, pid: &str, second: &str) {
    eventually(10, "the edited post in India", || async {
        let st = s
            .get(&format!("/api/v1/statuses/{pid}"), Some(&asha.token))
            .await;
        (st.status == 200 && st.body["content"].as_str()?.contains(second)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn retention_purge_leaves_no_readable_bytes() {
    const RETAIN_SECS: u64 = 3600;
    const POST: &str = "ZQX-purge-post-4817";
    const EDIT: &str = "ZQX-purge-edit-5291";
    const ALT: &str = "ZQX-purge-alt-6604";
    const NAME: &str = "ZQX-purge-name-7043";
    const NOTE: &str = "ZQX-purge-note-8162";
    const FIELD: &str = "ZQX-purge-field-9375";
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "id" {
            p.default.insert(
                DataClass::PublicContent,
                Action::Store {
                    max_secs: Some(RETAIN_SECS),
                },
            );
        }
        p
    })
    .await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    let form = reqwest::multipart::Form::new()
        .text("display_name", NAME)
        .text("note", NOTE)
        .text("fields_attributes[0][name]", "Home")
        .text("fields_attributes[0][value]", FIELD);
    ids.send(
        ids.http
            .patch(ids.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&budi.token)
            .multipart(form),
    )
    .await
    .expect(200);
    follow_across(&r, "in", &asha, "id", &budi).await;
    let pid = post_and_edit(ids, &budi, POST, EDIT, ALT).await;
    edited_in(ins, &asha, &pid, EDIT).await;
    // Post, first version, edit, description, bio, one field's three parts; the kept
    // copy of the picture (and its row) may land after the edit shows.
    let sealed = eventually(10, "all of it sealed in India", || async {
        let sealed = sealed_forms(&r, "in", &pid, &budi.id).await;
        (sealed.len() >= 8).then_some(sealed)
    })
    .await;
    let home_sealed = sealed_forms(&r, "id", &pid, &budi.id).await;
    let mut markers: Vec<&str> = vec![POST, EDIT, ALT, NAME, NOTE, FIELD];
    markers.extend(sealed.iter().map(String::as_str));
    // In the clear (the display name) or opened with the region's KEK, and sealed.
    all_kept(&r, "in", &markers).await;
    assert!(
        !blob_names(&r.data_dir("in")).is_empty(),
        "the picture is kept"
    );
    // The purge as the region's job runs it, at a time past the retention: with a real
    // short retention the job raced the setup above on a loaded machine.
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(2 * RETAIN_SECS as i64);
    let running = ins.running.as_ref().expect("india runs");
    let purged = running.roost.purge_expired(later).await.expect("purge");
    assert!(purged.items >= 2, "{purged:?}");
    let account_path = format!("/api/v1/accounts/{}", budi.id);
    eventually(10, "the purge of the post and the profile", || async {
        let a = ins.get(&account_path, Some(&asha.token)).await.ok();
        (!ins.home_ids(&asha).await.contains(&pid)
            && a["fields"].as_array()?.is_empty()
            && blob_names(&r.data_dir("in")).is_empty())
        .then_some(())
    })
    .await;
    no_marker_left(&r, "in", &markers).await;
    // Home keeps all of it.
    let home: Vec<&str> = home_sealed.iter().map(String::as_str).collect();
    assert!(home.len() >= 8, "{home:?}");
    assert!(all_present(&r.disk_bytes("id").await, &home));
    assert!(all_present(&r.disk_bytes("id").await, &[NAME]));
    r.stop_all().await;
}

#[tokio::test]
async fn deleting_an_edited_post_leaves_no_readable_bytes_at_home_or_abroad() {
    const POST: &str = "ZQX-delete-post-1357";
    const EDIT: &str = "ZQX-delete-edit-2468";
    const ALT: &str = "ZQX-delete-alt-3579";
    const LOCAL: &str = "ZQX-delete-local-4680";
    let r = Regions::start(|_| policy_all("store")).await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    let pid = post_and_edit(ids, &budi, POST, EDIT, ALT).await;
    edited_in(ins, &asha, &pid, EDIT).await;
    // A post of India's own, deleted there.
    let local = id_of(&ins.post_status(&asha, json!({"status": LOCAL})).await);
    let at_home = sealed_forms(&r, "id", &pid, &budi.id).await;
    // The kept picture's row may land after the edit shows.
    let abroad = eventually(10, "Budi's post sealed in India", || async {
        let mut abroad = sealed_forms(&r, "in", &pid, &budi.id).await;
        abroad.extend(sealed_forms(&r, "in", &local, &asha.id).await);
        (abroad.len() >= 5).then_some(abroad)
    })
    .await;
    assert!(at_home.len() >= 4, "{at_home:?}");
    let at_home: Vec<&str> = at_home.iter().map(String::as_str).collect();
    let abroad: Vec<&str> = abroad.iter().map(String::as_str).collect();
    all_kept(&r, "id", &at_home).await;
    all_kept(&r, "in", &abroad).await;
    let markers = [&[POST, EDIT, ALT][..], &at_home].concat();
    let in_markers = [&[POST, EDIT, ALT, LOCAL][..], &abroad].concat();
    ids.delete(&format!("/api/v1/statuses/{pid}"), Some(&budi.token))
        .await
        .ok();
    ins.delete(&format!("/api/v1/statuses/{local}"), Some(&asha.token))
        .await
        .ok();
    eventually(10, "the Delete in India", || async {
        let st = ins
            .get(&format!("/api/v1/statuses/{pid}"), Some(&asha.token))
            .await;
        (st.status == 404).then_some(())
    })
    .await;
    no_marker_left(&r, "id", &markers).await;
    no_marker_left(&r, "in", &in_markers).await;
    assert!(
        blob_names(&r.data_dir("in")).is_empty(),
        "India keeps the picture"
    );
    r.stop_all().await;
}
