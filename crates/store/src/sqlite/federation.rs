//! `FederationStore`: foreign accounts, the durable outbox, the inbox replay guard and the
//! inventory of foreign items.

use super::accounts::{account_from_row, fold_case, ACCOUNT_COLS};
use super::{backend, get, ms, opt_ts, ts, SqliteStore};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::{Account, ForeignRecord, OutboxItem, OutboxState};
use roost_core::store::{FederationStore, StoreResult};
use roost_core::Id;
use roost_residency::DataClass;
use sqlx::sqlite::SqliteRow;

use super::corrupt;

/// Foreign accounts are unique per home region: `name@region` cannot clash with a local
/// username (which never contains `@`).
pub(crate) fn handle_key(username: &str, region: &str) -> String {
    format!("{}@{}", fold_case(username), region)
}

const OUTBOX_COLS: &str = "id, destination, class, subject, object, purpose, body, created_at, \
    next_attempt_at, attempts, state, last_error, ledger_index";

fn class_of(s: &str) -> StoreResult<DataClass> {
    DataClass::parse(s).ok_or_else(|| corrupt(format!("data class {s}")))
}

fn outbox_from_row(row: &SqliteRow) -> StoreResult<OutboxItem> {
    let state: String = get(row, "state")?;
    let class: String = get(row, "class")?;
    let attempts: i64 = get(row, "attempts")?;
    let ledger_index: Option<i64> = get(row, "ledger_index")?;
    Ok(OutboxItem {
        id: Id(get(row, "id")?),
        destination: get(row, "destination")?,
        class: class_of(&class)?,
        subject: get::<Option<i64>>(row, "subject")?.map(Id),
        object: get(row, "object")?,
        purpose: get(row, "purpose")?,
        body: get(row, "body")?,
        created_at: ts(get(row, "created_at")?)?,
        next_attempt_at: ts(get(row, "next_attempt_at")?)?,
        attempts: attempts.max(0) as u32,
        state: OutboxState::parse(&state).ok_or_else(|| corrupt(format!("state {state}")))?,
        last_error: get(row, "last_error")?,
        ledger_index: ledger_index.map(|i| i as u64),
    })
}

fn foreign_from_row(row: &SqliteRow) -> StoreResult<ForeignRecord> {
    let class: String = get(row, "class")?;
    Ok(ForeignRecord {
        object: get(row, "object")?,
        home_region: get(row, "home_region")?,
        class: class_of(&class)?,
        subject: get::<Option<i64>>(row, "subject")?.map(Id),
        stored_at: ts(get(row, "stored_at")?)?,
        expires_at: opt_ts(get(row, "expires_at")?)?,
    })
}

#[async_trait]
impl FederationStore for SqliteStore {
    async fn account_by_handle(
        &self,
        username: &str,
        region: &str,
    ) -> StoreResult<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.username_key = $1");
        let row = sqlx::query(&sql)
            .bind(handle_key(username, region))
            .fetch_optional(&self.r)
            .await
            .map_err(backend)?;
        row.as_ref().map(account_from_row).transpose()
    }

    async fn upsert_remote_account(&self, a: &Account) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO accounts (id, username, username_key, home_region, display_name, \
               note_source, note_html, locked, bot, discoverable, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, \
               note_source = excluded.note_source, note_html = excluded.note_html, \
               locked = excluded.locked, bot = excluded.bot, discoverable = excluded.discoverable",
        )
        .bind(a.id.0)
        .bind(&a.username)
        .bind(handle_key(&a.username, &a.home_region))
        .bind(&a.home_region)
        .bind(&a.display_name)
        .bind(&a.note_source)
        .bind(&a.note_html)
        .bind(a.locked)
        .bind(a.bot)
        .bind(a.discoverable)
        .bind(ms(a.created_at))
        .execute(&self.w)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn follower_regions(&self, account: Id, local: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT DISTINCT a.home_region FROM follows f JOIN accounts a ON a.id = f.follower_id \
             WHERE f.target_id = $1 AND f.accepted = 1 AND a.home_region <> $2 \
             ORDER BY a.home_region",
        )
        .bind(account.0)
        .bind(local)
        .fetch_all(&self.r)
        .await
        .map_err(backend)
    }

    async fn followed_foreign(&self, account: Id, local: &str) -> StoreResult<Vec<Account>> {
        let sql = format!(
            "SELECT {ACCOUNT_COLS} FROM follows f JOIN accounts a ON a.id = f.target_id \
             WHERE f.follower_id = $1 AND f.accepted = 1 AND a.home_region <> $2"
        );
        let rows = sqlx::query(&sql)
            .bind(account.0)
            .bind(local)
            .fetch_all(&self.r)
            .await
            .map_err(backend)?;
        rows.iter().map(account_from_row).collect()
    }

    async fn enqueue(&self, items: &[OutboxItem]) -> StoreResult<()> {
        let mut tx = self.w.begin().await.map_err(backend)?;
        for i in items {
            sqlx::query(&format!(
                "INSERT INTO outbox ({OUTBOX_COLS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            ))
            .bind(i.id.0)
            .bind(&i.destination)
            .bind(i.class.as_str())
            .bind(i.subject.map(|s| s.0))
            .bind(&i.object)
            .bind(&i.purpose)
            .bind(&i.body)
            .bind(ms(i.created_at))
            .bind(ms(i.next_attempt_at))
            .bind(i.attempts as i64)
            .bind(i.state.as_str())
            .bind(i.last_error.as_deref())
            .bind(i.ledger_index.map(|x| x as i64))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn due_outbox(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<OutboxItem>> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLS} FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $2"
        ))
        .bind(ms(now))
        .bind(limit as i64)
        .fetch_all(&self.r)
        .await
        .map_err(backend)?;
        rows.iter().map(outbox_from_row).collect()
    }

    async fn next_outbox_due(&self) -> StoreResult<Option<Timestamp>> {
        let t: Option<i64> =
            sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'")
                .fetch_one(&self.r)
                .await
                .map_err(backend)?;
        opt_ts(t)
    }

    async fn update_outbox(&self, i: &OutboxItem) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET state = $2, attempts = $3, next_attempt_at = $4, \
               last_error = $5, ledger_index = $6 WHERE id = $1",
        )
        .bind(i.id.0)
        .bind(i.state.as_str())
        .bind(i.attempts as i64)
        .bind(ms(i.next_attempt_at))
        .bind(i.last_error.as_deref())
        .bind(i.ledger_index.map(|x| x as i64))
        .execute(&self.w)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn outbox_items(&self, state: Option<OutboxState>) -> StoreResult<Vec<OutboxItem>> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLS} FROM outbox WHERE $1 IS NULL OR state = $1 ORDER BY id"
        ))
        .bind(state.map(|s| s.as_str()))
        .fetch_all(&self.r)
        .await
        .map_err(backend)?;
        rows.iter().map(outbox_from_row).collect()
    }

    async fn mark_activity_seen(&self, activity_id: &str, at: Timestamp) -> StoreResult<bool> {
        let n = sqlx::query(
            "INSERT INTO inbox_seen (activity_id, received_at) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(activity_id)
        .bind(ms(at))
        .execute(&self.w)
        .await
        .map_err(backend)?
        .rows_affected();
        Ok(n > 0)
    }

    async fn forget_activity(&self, activity_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM inbox_seen WHERE activity_id = $1")
            .bind(activity_id)
            .execute(&self.w)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn record_foreign(&self, r: &ForeignRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO foreign_items (object, home_region, class, subject, stored_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (object) DO UPDATE SET stored_at = excluded.stored_at, \
               expires_at = excluded.expires_at, class = excluded.class",
        )
        .bind(&r.object)
        .bind(&r.home_region)
        .bind(r.class.as_str())
        .bind(r.subject.map(|s| s.0))
        .bind(ms(r.stored_at))
        .bind(r.expires_at.map(ms))
        .execute(&self.w)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn expired_foreign(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<ForeignRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM foreign_items WHERE expires_at IS NOT NULL AND expires_at <= $1 \
             ORDER BY expires_at LIMIT $2",
        )
        .bind(ms(now))
        .bind(limit as i64)
        .fetch_all(&self.r)
        .await
        .map_err(backend)?;
        rows.iter().map(foreign_from_row).collect()
    }

    async fn remove_foreign(&self, object: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM foreign_items WHERE object = $1")
            .bind(object)
            .execute(&self.w)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn foreign_records(&self, subject: Option<Id>) -> StoreResult<Vec<ForeignRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM foreign_items WHERE $1 IS NULL OR subject = $1 ORDER BY object",
        )
        .bind(subject.map(|s| s.0))
        .fetch_all(&self.r)
        .await
        .map_err(backend)?;
        rows.iter().map(foreign_from_row).collect()
    }

    async fn ledger_indices_about(&self, subject: Id) -> StoreResult<Vec<u64>> {
        let v: Vec<i64> =
            sqlx::query_scalar("SELECT idx FROM ledger_leaves WHERE subject = $1 ORDER BY idx")
                .bind(subject.0)
                .fetch_all(&self.r)
                .await
                .map_err(backend)?;
        Ok(v.into_iter().map(|i| i as u64).collect())
    }
}
