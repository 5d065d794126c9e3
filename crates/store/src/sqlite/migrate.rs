//! Schema migrations: the files of `migrations/sqlite`, applied in order, each in its own
//! transaction, recorded in `schema_migrations`.
//!
//! Files written by the earlier driver recorded themselves in `_sqlx_migrations`; those
//! versions count as applied, so an existing data directory opens unchanged.

use super::backend;
use roost_core::store::StoreResult;
use rusqlite::Connection;

/// (version, description, SQL), in order.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "regions",
        include_str!("../../migrations/sqlite/0002_regions.sql"),
    ),
    (
        3,
        "safety",
        include_str!("../../migrations/sqlite/0003_safety.sql"),
    ),
    (
        4,
        "moderation",
        include_str!("../../migrations/sqlite/0004_moderation.sql"),
    ),
    (
        5,
        "organise_lists",
        include_str!("../../migrations/sqlite/0005_organise_lists.sql"),
    ),
    (
        6,
        "organise_polls",
        include_str!("../../migrations/sqlite/0006_organise_polls.sql"),
    ),
    (
        7,
        "search",
        include_str!("../../migrations/sqlite/0007_search.sql"),
    ),
    (
        8,
        "media",
        include_str!("../../migrations/sqlite/0008_media.sql"),
    ),
    (
        9,
        "custom_emoji",
        include_str!("../../migrations/sqlite/0009_custom_emoji.sql"),
    ),
    (
        10,
        "outbox_claims",
        include_str!("../../migrations/sqlite/0010_outbox_claims.sql"),
    ),
    (
        11,
        "job_leases",
        include_str!("../../migrations/sqlite/0011_job_leases.sql"),
    ),
    (
        12,
        "erasures",
        include_str!("../../migrations/sqlite/0012_erasures.sql"),
    ),
    (
        13,
        "account_keys",
        include_str!("../../migrations/sqlite/0013_account_keys.sql"),
    ),
    (
        14,
        "witness",
        include_str!("../../migrations/sqlite/0014_witness.sql"),
    ),
    (
        15,
        "backups",
        include_str!("../../migrations/sqlite/0015_backups.sql"),
    ),
    (
        16,
        "moves",
        include_str!("../../migrations/sqlite/0016_moves.sql"),
    ),
    (
        17,
        "inventory_follows_rows",
        include_str!("../../migrations/sqlite/0017_inventory_follows_rows.sql"),
    ),
    (
        18,
        "moved_in",
        include_str!("../../migrations/sqlite/0018_moved_in.sql"),
    ),
    (
        19,
        "foreign_erasures",
        include_str!("../../migrations/sqlite/0019_foreign_erasures.sql"),
    ),
    (
        20,
        "carried_poll_votes",
        include_str!("../../migrations/sqlite/0020_carried_poll_votes.sql"),
    ),
    (
        21,
        "inbox_applied",
        include_str!("../../migrations/sqlite/0021_inbox_applied.sql"),
    ),
];

pub(super) fn run(c: &mut Connection) -> StoreResult<()> {
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
           version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )
    .map_err(backend)?;
    let legacy: bool = c
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
            [],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if legacy {
        c.execute_batch(
            "INSERT OR IGNORE INTO schema_migrations (version, description, applied_at) \
             SELECT version, description, CAST(strftime('%s', installed_on) AS INTEGER) * 1000 \
             FROM _sqlx_migrations WHERE success = 1",
        )
        .map_err(backend)?;
    }
    for &(version, description, sql) in MIGRATIONS {
        let done: bool = c
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
                [version],
                |r| r.get(0),
            )
            .map_err(backend)?;
        if done {
            continue;
        }
        let tx = c.transaction().map_err(backend)?;
        tx.execute_batch(sql).map_err(backend)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![
                version,
                description,
                jiff::Timestamp::now().as_millisecond()
            ],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        tracing::info!(version, description, "applied migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_listed_once_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        assert_eq!(files.len(), MIGRATIONS.len(), "{files:?}");
        for (f, (v, d, _)) in files.iter().zip(MIGRATIONS) {
            assert_eq!(f, &format!("{v:04}_{d}.sql"));
        }
    }

    #[test]
    fn runs_once_and_adopts_the_earlier_record() {
        let mut c = Connection::open_in_memory().unwrap();
        run(&mut c).unwrap();
        run(&mut c).unwrap();
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, MIGRATIONS.len() as i64);

        // A file from the earlier driver: its versions are not applied again.
        let mut old = Connection::open_in_memory().unwrap();
        old.execute_batch(MIGRATIONS[0].2).unwrap();
        old.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
               installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
               checksum BLOB NOT NULL, execution_time BIGINT NOT NULL); \
             INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
               VALUES (1, 'init', 1, x'00', 0);",
        )
        .unwrap();
        run(&mut old).unwrap();
        let versions: Vec<i64> = old
            .prepare("SELECT version FROM schema_migrations ORDER BY version")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let all: Vec<i64> = MIGRATIONS.iter().map(|m| m.0).collect();
        assert_eq!(versions, all);
    }
}
