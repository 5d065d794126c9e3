//! The audit scans every table that can name another region's data: rows planted into
//! India's SQLite file (bookmarks, likes, notifications, home and list timelines,
//! conversations, files' rows, mentions) naming a followers-only post of Indonesia's that
//! India may not keep, or an account it does not hold, are each reported; the rows that
//! ordinary use writes are not.

use crate::regions::audit;
use crate::support::{eventually, follow_across, id_of, policy_all, Regions};
use roost_residency::{Action, DataClass};
use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::str::FromStr;

/// India's file opened as an intruder would, without foreign-key checks (they would
/// refuse a row naming a post the file does not hold).
pub(crate) async fn raw_sqlite(r: &Regions, code: &str) -> sqlx::SqlitePool {
    let path = r.data_dir(code).join("roost.sqlite");
    let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .foreign_keys(false);
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_audit_reports_rows_naming_foreign_posts_the_region_may_not_hold() {
    if crate::backend::postgres() {
        // Planted through SQLite's file with its foreign keys off; `honest.rs` plants a
        // row on either backend.
        return;
    }
    let r = Regions::start(|code| {
        let mut p = policy_all("store");
        if code == "id" {
            p.default.insert(DataClass::PrivateContent, Action::Transit);
        }
        p
    })
    .await;
    let (ins, ids) = (r.get("in"), r.get("id"));
    let (asha, budi) = r.asha_and_budi().await;
    follow_across(&r, "in", &asha, "id", &budi).await;
    // An ordinary row naming a kept public post: its home-timeline entry.
    let public = id_of(&ids.post_status(&budi, json!({"status": "for all"})).await);
    eventually(10, "delivery", || async {
        ins.home_ids(&asha).await.contains(&public).then_some(())
    })
    .await;
    // A followers-only post: under transit India shows it and keeps nothing.
    let private = id_of(
        &ids.post_status(
            &budi,
            json!({"status": "for followers", "visibility": "private"}),
        )
        .await,
    );
    let mine = id_of(&ins.post_status(&asha, json!({"status": "my own"})).await);
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let clean = audit(&r).await;
    assert!(clean.is_clean(), "{}", clean.render());

    let pool = raw_sqlite(&r, "in").await;
    let (a, b, p) = (
        asha.id.parse::<i64>().unwrap(),
        budi.id.parse::<i64>().unwrap(),
        private.parse::<i64>().unwrap(),
    );
    // An account of China's that India has never seen (IDs name the minting region).
    let stranger = roost_core::Id::from_parts(
        jiff::Timestamp::now().as_millisecond(),
        r.cluster.region("cn").unwrap().number,
        7,
    )
    .0;
    let plants = [
        ("bookmarks", "INSERT INTO bookmarks (account_id, status_id) VALUES ($1, $3)"),
        ("favourites", "INSERT INTO favourites (account_id, status_id) VALUES ($1, $3)"),
        (
            "notifications",
            "INSERT INTO notifications (account_id, kind, from_account_id, status_id, status_key, created_at) \
             VALUES ($1, 'mention', $2, $3, $3, 0)",
        ),
        ("home_timeline", "INSERT INTO home_timeline (account_id, status_id) VALUES ($1, $3)"),
        (
            "list_timeline",
            "INSERT INTO list_timeline (list_id, status_id, account_id) VALUES (1, $3, $2)",
        ),
        (
            "conversations",
            "INSERT INTO conversations (account_id, id, root_id, last_id, last_status_id, participants, unread) \
             VALUES ($1, $3, $3, $3, $3, '', 1)",
        ),
        (
            "media",
            "INSERT INTO media (account_id, status_id, kind, created_at) VALUES ($2, $3, 'image', 0)",
        ),
    ];
    for (_, sql) in plants {
        sqlx::query(sql)
            .bind(a)
            .bind(b)
            .bind(p)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    sqlx::query("INSERT INTO status_mentions (status_id, account_id, position) VALUES ($1, $2, 0)")
        .bind(mine.parse::<i64>().unwrap())
        .bind(stranger)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let rep = audit(&r).await;
    let text = rep.render();
    for (table, _) in plants {
        assert!(
            rep.violations.iter().any(|v| v.region == "in"
                && v.detail.starts_with(&format!("{table} row"))
                && v.detail.contains(&format!("status:{private}"))
                && v.detail.contains("does not hold")),
            "{table} not reported:\n{text}"
        );
    }
    assert!(
        rep.violations
            .iter()
            .any(|v| v.detail.starts_with("status_mentions row")
                && v.detail.contains(&format!("account:{stranger}"))),
        "the mention not reported:\n{text}"
    );

    // Now the post itself planted too: each row names a post India holds but may not
    // keep under Indonesia's policy.
    let pool = raw_sqlite(&r, "in").await;
    sqlx::query(
        "INSERT INTO statuses (id, account_id, text, content_html, visibility, created_at) \
         VALUES ($1, $2, 'kept', '<p>kept</p>', 'private', 0)",
    )
    .bind(p)
    .bind(b)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let rep = audit(&r).await;
    let text = rep.render();
    for (table, _) in plants {
        assert!(
            rep.violations.iter().any(|v| v.kind
                == roost_residency::audit::ViolationKind::PolicyViolation
                && v.detail.starts_with(&format!("{table} row"))
                && v.detail.contains("private_content")),
            "{table} not reported as forbidden:\n{text}"
        );
    }
    r.stop_all().await;
}
