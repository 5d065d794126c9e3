//! Schema migrations: the files of `migrations/postgres`, applied in order, recorded in
//! `schema_migrations`. Every pending file is applied in one transaction, under a
//! transaction-scoped advisory lock, so that nodes starting together against one database
//! apply each file once and a node killed mid-way leaves nothing half-applied.

use super::backend;
use roost_core::store::StoreResult;

/// (version, description, SQL), in order; the same versions as the SQLite files.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "regions",
        include_str!("../../migrations/postgres/0002_regions.sql"),
    ),
    (
        3,
        "safety",
        include_str!("../../migrations/postgres/0003_safety.sql"),
    ),
    (
        4,
        "moderation",
        include_str!("../../migrations/postgres/0004_moderation.sql"),
    ),
    (
        5,
        "organise_lists",
        include_str!("../../migrations/postgres/0005_organise_lists.sql"),
    ),
    (
        6,
        "organise_polls",
        include_str!("../../migrations/postgres/0006_organise_polls.sql"),
    ),
    (
        7,
        "search",
        include_str!("../../migrations/postgres/0007_search.sql"),
    ),
    (
        8,
        "media",
        include_str!("../../migrations/postgres/0008_media.sql"),
    ),
    (
        9,
        "custom_emoji",
        include_str!("../../migrations/postgres/0009_custom_emoji.sql"),
    ),
    (
        10,
        "outbox_claims",
        include_str!("../../migrations/postgres/0010_outbox_claims.sql"),
    ),
    (
        11,
        "job_leases",
        include_str!("../../migrations/postgres/0011_job_leases.sql"),
    ),
    (
        12,
        "erasures",
        include_str!("../../migrations/postgres/0012_erasures.sql"),
    ),
    (
        13,
        "account_keys",
        include_str!("../../migrations/postgres/0013_account_keys.sql"),
    ),
    (
        14,
        "witness",
        include_str!("../../migrations/postgres/0014_witness.sql"),
    ),
    (
        15,
        "backups",
        include_str!("../../migrations/postgres/0015_backups.sql"),
    ),
    (
        16,
        "moves",
        include_str!("../../migrations/postgres/0016_moves.sql"),
    ),
    (
        17,
        "inventory_follows_rows",
        include_str!("../../migrations/postgres/0017_inventory_follows_rows.sql"),
    ),
    (
        18,
        "moved_in",
        include_str!("../../migrations/postgres/0018_moved_in.sql"),
    ),
    (
        19,
        "foreign_erasures",
        include_str!("../../migrations/postgres/0019_foreign_erasures.sql"),
    ),
    (
        20,
        "carried_poll_votes",
        include_str!("../../migrations/postgres/0020_carried_poll_votes.sql"),
    ),
    (
        21,
        "inbox_applied",
        include_str!("../../migrations/postgres/0021_inbox_applied.sql"),
    ),
];

/// The advisory lock key migrations hold (any constant; "roost-mg" in ASCII).
const MIGRATION_LOCK: i64 = 0x726f_6f73_742d_6d67;

pub(super) async fn run(c: &mut tokio_postgres::Client) -> StoreResult<()> {
    let tx = c.transaction().await.map_err(backend)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(backend)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
           version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await
    .map_err(backend)?;
    let done: Vec<i64> = tx
        .query("SELECT version FROM schema_migrations", &[])
        .await
        .map_err(backend)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for &(version, description, sql) in MIGRATIONS {
        if done.contains(&version) {
            continue;
        }
        tx.batch_execute(sql).await.map_err(backend)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)",
            &[
                &version,
                &description,
                &jiff::Timestamp::now().as_millisecond(),
            ],
        )
        .await
        .map_err(backend)?;
        tracing::info!(version, description, "applied migration");
    }
    tx.commit().await.map_err(backend)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_listed_once_in_order_as_in_sqlite() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
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
        let sqlite = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
        let mut theirs: Vec<String> = std::fs::read_dir(sqlite)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        theirs.sort();
        assert_eq!(
            files, theirs,
            "every SQLite migration has its PostgreSQL twin"
        );
    }
}
