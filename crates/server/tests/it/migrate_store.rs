//! `roost admin migrate-store`: a region on SQLite moves to PostgreSQL and serves the same
//! accounts, posts, follows, counts, notifications and tokens from there.

use crate::support::*;
use roost_server::config::Database;
use serde_json::{json, Value};

/// What a user sees, read the same way before and after the move.
async fn snapshot(s: &TestServer, alice: &User, bob: &User, ids: &[String]) -> Value {
    let mut out = vec![
        s.get("/api/v1/timelines/home", Some(&bob.token)).await.ok(),
        s.get("/api/v1/timelines/home", Some(&alice.token))
            .await
            .ok(),
        s.get("/api/v1/notifications", Some(&alice.token))
            .await
            .ok(),
        s.get("/api/v1/bookmarks", Some(&bob.token)).await.ok(),
        s.get("/api/v1/accounts/verify_credentials", Some(&alice.token))
            .await
            .ok(),
        s.get(&format!("/api/v1/accounts/{}/followers", alice.id), None)
            .await
            .ok(),
    ];
    for id in ids {
        out.push(
            s.get(&format!("/api/v1/statuses/{id}"), Some(&bob.token))
                .await
                .ok(),
        );
        out.push(
            s.get(&format!("/api/v1/statuses/{id}/context"), Some(&bob.token))
                .await
                .ok(),
        );
    }
    // View counts move on with every read (these reads count too).
    let mut text = serde_json::to_string(&out).unwrap();
    for key in ["views_today", "views_total"] {
        let mut v: Value = serde_json::from_str(&text).unwrap();
        strip(&mut v, key);
        text = v.to_string();
    }
    serde_json::from_str(&text).unwrap()
}

/// `roost admin migrate-store` on a stopped region's data dir.
async fn migrate(data: &std::path::Path, url: &str) -> std::process::Output {
    crate::restart::roost_cmd()
        .args(["admin", "--data-dir"])
        .arg(data)
        .args(["migrate-store", "--to", url])
        .output()
        .await
        .unwrap()
}

fn strip(v: &mut Value, key: &str) {
    match v {
        Value::Object(m) => {
            m.remove(key);
            m.values_mut().for_each(|x| strip(x, key));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| strip(x, key)),
        _ => {}
    }
}

#[tokio::test]
async fn a_region_moves_from_sqlite_to_postgres_without_losing_a_row() {
    let Some(url) = crate::backend::own_database().await else {
        return;
    };
    let s = TestServer::start_with(|c| c.database = Database::Sqlite).await;
    let alice = s.register("alice").await;
    let bob = s.register("bob").await;
    s.follow(&bob, &alice).await;
    let public = s
        .post_status(&alice, json!({"status": "moving day #roost 搬家"}))
        .await;
    let private = s
        .post_status(
            &alice,
            json!({"status": "for followers only", "visibility": "private"}),
        )
        .await;
    let poll = s
        .post_status(
            &alice,
            json!({"status": "which region?", "poll": {"options": ["in", "id"], "expires_in": 3600}}),
        )
        .await;
    let reply = s
        .post_status(
            &bob,
            json!({"status": "@alice welcome", "in_reply_to_id": public["id"]}),
        )
        .await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();
    for (path, body) in [
        (
            format!("/api/v1/statuses/{}/favourite", id(&public)),
            json!({}),
        ),
        (
            format!("/api/v1/statuses/{}/bookmark", id(&private)),
            json!({}),
        ),
        (
            format!(
                "/api/v1/polls/{}/votes",
                poll["poll"]["id"].as_str().unwrap()
            ),
            json!({"choices": [1]}),
        ),
    ] {
        s.post(&path, Some(&bob.token), body).await.ok();
    }
    let ids = [id(&public), id(&private), id(&poll), id(&reply)];
    let before = snapshot(&s, &alice, &bob, &ids).await;
    // Back on the same address afterwards: rendered posts keep the links they were made with.
    let addr = s.running.as_ref().unwrap().addr;
    let dir = s.stop().await;
    let data = dir.path().join("data");

    let out = migrate(&data, &url).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("every table matched by count and hash"),
        "{stdout}"
    );
    for table in [
        "accounts",
        "statuses",
        "follows",
        "favourites",
        "poll_votes",
        "ledger_leaves",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{table} "))),
            "{table} not reported:\n{stdout}"
        );
    }
    let statuses: u64 = stdout
        .lines()
        .find(|l| l.starts_with("statuses "))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(statuses, 4, "{stdout}");
    // The planner has statistics at once (without them it sorts every public post for
    // the public timeline's first page).
    let raw = crate::backend::RawDb::open(&data, Some(&url)).await;
    let analyzed = raw
        .i64(
            "SELECT count(*) FROM pg_stat_user_tables WHERE relname IN ('statuses', 'accounts', 'home_timeline') AND last_analyze IS NOT NULL",
            &[],
        )
        .await;
    assert_eq!(analyzed, 3, "tables analyzed after the copy");
    raw.close().await;

    // A second move into the same database is refused and changes nothing.
    let again = migrate(&data, &url).await;
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds rows"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    // The region on PostgreSQL: the same answers, the same tokens; and it keeps working.
    let pg = url.clone();
    let s = TestServer::start_in(dir, move |c| {
        c.listen = addr;
        c.database = Database::Postgres {
            url: pg,
            max_connections: 4,
        }
    })
    .await;
    let after = snapshot(&s, &alice, &bob, &ids).await;
    let (b, a) = (before.to_string(), after.to_string());
    // (The first difference is shown: two whole snapshots are too long to read.)
    if let Some(at) = b.bytes().zip(a.bytes()).position(|(x, y)| x != y) {
        let from = at.saturating_sub(300);
        panic!(
            "differs after the move:\nbefore …{}\nafter  …{}",
            &b[from..(at + 200).min(b.len())],
            &a[from..(at + 200).min(a.len())]
        );
    }
    assert_eq!(b.len(), a.len());
    assert!(b.contains("moving day") && b.contains("for followers only"));
    let next = s
        .post_status(&alice, json!({"status": "first post on PostgreSQL"}))
        .await;
    assert!(s.home_ids(&bob).await.contains(&id(&next)));
    // The SQLite file was only read: it still holds the region as it was.
    assert!(data.join("roost.sqlite").is_file());
    s.stop().await;
}
