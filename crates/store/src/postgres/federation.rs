//! `FederationStore`: foreign accounts, the durable outbox, the inbox replay guard and the
//! inventory of foreign items.

use super::accounts::{account_from_row, ACCOUNT_COLS};
use super::{backend, exec, get, ms, opt_ts, row, rows, scalar, ts, PgStore};
use super::{pg_read, pg_write, Db};
pub(crate) use crate::sqlite::federation::{class_of, handle_key, OUTBOX_COLS, OUTBOX_DUE};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::{Account, ForeignRecord, OutboxItem, OutboxState};
use roost_core::store::{FederationStore, StoreResult};
use roost_core::Id;
use tokio_postgres::Row;

use super::corrupt;
use crate::sqlite::federation::{seen_state, FINISH_SEEN, MARK_SEEN};
use roost_core::store::Seen;

fn outbox_from_row(row: &Row) -> StoreResult<OutboxItem> {
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

fn foreign_from_row(row: &Row) -> StoreResult<ForeignRecord> {
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
impl FederationStore for PgStore {
    async fn account_by_handle(
        &self,
        username: &str,
        region: &str,
    ) -> StoreResult<Option<Account>> {
        let key = handle_key(username, region);
        pg_read!(self, c, {
            let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.username_key = $1");
            super::keys::opened(c, row(c, &sql, &[&key], account_from_row).await?).await
        })
    }

    async fn upsert_remote_account(&self, a: &Account) -> StoreResult<()> {
        let a = a.clone();
        pg_write!(self, c, {
            exec(
                c,
                crate::sqlite::federation::REMOTE_ACCOUNT_UPSERT,
                &[
                    &a.id.0,
                    &a.username,
                    &handle_key(&a.username, &a.home_region),
                    &a.home_region,
                    &a.display_name,
                    &a.locked,
                    &a.bot,
                    &a.discoverable,
                    &ms(a.created_at),
                ],
            )
            .await
            .map_err(backend)?;
            let key = super::keys::write_key(c, a.id).await?;
            exec(
                c,
                crate::sealing::NOTE_UPDATE,
                &[&a.id.0, &key.seal(&a.note_source), &key.seal(&a.note_html)],
            )
            .await
            .map_err(backend)?;
            Ok(())
        })
    }

    async fn follower_regions(&self, account: Id, local: &str) -> StoreResult<Vec<String>> {
        let local = local.to_owned();
        pg_read!(self, c, {
            rows(
                    c,
                    "SELECT DISTINCT a.home_region FROM follows f JOIN accounts a ON a.id = f.follower_id \
                     WHERE f.target_id = $1 AND f.accepted = 1 AND a.home_region <> $2 \
                     ORDER BY a.home_region",
                    &[&account.0, &local],
                    |r| super::at::<String>(r, 0),
                ).await
        })
    }

    async fn followed_foreign(&self, account: Id, local: &str) -> StoreResult<Vec<Account>> {
        let local = local.to_owned();
        pg_read!(self, c, {
            let sql = format!(
                "SELECT {ACCOUNT_COLS} FROM follows f JOIN accounts a ON a.id = f.target_id \
                     WHERE f.follower_id = $1 AND f.accepted = 1 AND a.home_region <> $2"
            );
            super::keys::opened_all(
                c,
                rows(c, &sql, &[&account.0, &local], account_from_row).await?,
            )
            .await
        })
    }

    async fn enqueue(&self, items: &[OutboxItem]) -> StoreResult<()> {
        let items = items.to_vec();
        pg_write!(self, c, {
            let sql = format!(
                "INSERT INTO outbox ({OUTBOX_COLS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            );
            for i in &items {
                let body = super::keys::seal_outbox_body(c, i.subject, &i.body).await?;
                exec(
                    c,
                    &sql,
                    &[
                        &i.id.0,
                        &i.destination,
                        &i.class.as_str(),
                        &i.subject.map(|s| s.0),
                        &i.object,
                        &i.purpose,
                        &body,
                        &ms(i.created_at),
                        &ms(i.next_attempt_at),
                        &(i.attempts as i64),
                        &i.state.as_str(),
                        &i.last_error.as_deref(),
                        &i.ledger_index.map(|x| x as i64),
                    ],
                )
                .await
                .map_err(backend)?;
            }
            Ok(())
        })
    }

    async fn due_outbox(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<OutboxItem>> {
        pg_read!(self, c, {
            super::keys::open_outbox(
                c,
                rows(
                    c,
                    &format!(
                        "SELECT {OUTBOX_COLS} FROM outbox WHERE {OUTBOX_DUE} \
                         ORDER BY next_attempt_at, id LIMIT $2"
                    ),
                    &[&ms(now), &(limit as i64)],
                    outbox_from_row,
                )
                .await?,
            )
            .await
        })
    }

    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>> {
        // Rows another node's claim has locked are skipped, not waited for; a row whose
        // lease that claim set is then no longer due (the condition is checked again on
        // the locked row), so no row goes to two nodes.
        let mut items = pg_write!(self, c, {
            super::keys::open_outbox(
                c,
                rows(
                    c,
                    &format!(
                        "UPDATE outbox SET claimed_until = $3 WHERE id IN ( \
                       SELECT id FROM outbox WHERE {OUTBOX_DUE} \
                       ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) \
                     RETURNING {OUTBOX_COLS}"
                    ),
                    &[&ms(now), &(limit as i64), &ms(lease_until)],
                    outbox_from_row,
                )
                .await?,
            )
            .await
        })?;
        items.sort_by_key(|i| (i.next_attempt_at, i.id));
        Ok(items)
    }

    async fn next_outbox_due(&self) -> StoreResult<Option<Timestamp>> {
        pg_read!(self, c, {
            let t: Option<i64> = scalar::<Option<i64>>(
                c,
                "SELECT MIN(GREATEST(next_attempt_at, COALESCE(claimed_until, 0))) \
                 FROM outbox WHERE state = 'pending'",
                &[],
            )
            .await?
            .flatten();
            opt_ts(t)
        })
    }

    async fn update_outbox(&self, i: &OutboxItem) -> StoreResult<()> {
        let i = i.clone();
        pg_write!(self, c, {
            exec(
                c,
                "UPDATE outbox SET state = $2, attempts = $3, next_attempt_at = $4, \
                       last_error = $5, ledger_index = $6, claimed_until = NULL WHERE id = $1",
                &[
                    &i.id.0,
                    &i.state.as_str(),
                    &(i.attempts as i64),
                    &ms(i.next_attempt_at),
                    &i.last_error.as_deref(),
                    &i.ledger_index.map(|x| x as i64),
                ],
            )
            .await
            .map_err(backend)?;
            Ok(())
        })
    }

    async fn outbox_items(&self, state: Option<OutboxState>) -> StoreResult<Vec<OutboxItem>> {
        let state: Option<&'static str> = state.map(|s| s.as_str());
        pg_read!(self, c, {
            super::keys::open_outbox(
                c,
                rows(
                    c,
                    &format!(
                    "SELECT {OUTBOX_COLS} FROM outbox WHERE $1 IS NULL OR state = $1 ORDER BY id"
                ),
                    &[&state],
                    outbox_from_row,
                )
                .await?,
            )
            .await
        })
    }

    async fn mark_activity_seen(
        &self,
        activity_id: &str,
        at: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<Seen> {
        let activity_id = activity_id.to_owned();
        pg_write!(self, c, {
            let n = exec(c, MARK_SEEN, &[&activity_id, &ms(at), &ms(stale_before)])
                .await
                .map_err(backend)?;
            if n > 0 {
                return Ok(Seen::New);
            }
            let applied: Option<i64> = scalar(
                c,
                "SELECT applied::BIGINT FROM inbox_seen WHERE activity_id = $1",
                &[&activity_id],
            )
            .await?;
            Ok(seen_state(applied))
        })
    }

    async fn finish_activity(&self, activity_id: &str) -> StoreResult<()> {
        let activity_id = activity_id.to_owned();
        pg_write!(self, c, {
            exec(c, FINISH_SEEN, &[&activity_id])
                .await
                .map_err(backend)?;
            Ok(())
        })
    }

    async fn forget_activity(&self, activity_id: &str) -> StoreResult<()> {
        let activity_id = activity_id.to_owned();
        pg_write!(self, c, {
            exec(
                c,
                "DELETE FROM inbox_seen WHERE activity_id = $1",
                &[&activity_id],
            )
            .await
            .map_err(backend)?;
            Ok(())
        })
    }

    async fn record_foreign(&self, r: &ForeignRecord) -> StoreResult<()> {
        let r = r.clone();
        pg_write!(self, c, {
            exec(
                    c,
                    "INSERT INTO foreign_items (object, home_region, class, subject, stored_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (object) DO UPDATE SET stored_at = excluded.stored_at, \
                       expires_at = excluded.expires_at, class = excluded.class",
                    &[
                        &r.object,
                        &r.home_region,
                        &r.class.as_str(),
                        &r.subject.map(|s| s.0),
                        &ms(r.stored_at),
                        &r.expires_at.map(ms),
                    ],
                ).await
                .map_err(backend)?;
            Ok(())
        })
    }

    async fn expired_foreign(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<ForeignRecord>> {
        pg_read!(self, c, {
            rows(
                c,
                "SELECT * FROM foreign_items WHERE expires_at IS NOT NULL AND expires_at <= $1 \
                     ORDER BY expires_at LIMIT $2",
                &[&ms(now), &(limit as i64)],
                foreign_from_row,
            )
            .await
        })
    }

    async fn remove_foreign(&self, object: &str) -> StoreResult<()> {
        let object = object.to_owned();
        pg_write!(self, c, {
            exec(c, "DELETE FROM foreign_items WHERE object = $1", &[&object])
                .await
                .map_err(backend)?;
            Ok(())
        })
    }

    async fn foreign_records(&self, subject: Option<Id>) -> StoreResult<Vec<ForeignRecord>> {
        pg_read!(self, c, {
            rows(
                c,
                "SELECT * FROM foreign_items WHERE $1 IS NULL OR subject = $1 ORDER BY object",
                &[&subject.map(|s| s.0)],
                foreign_from_row,
            )
            .await
        })
    }

    async fn ledger_indices_about(&self, subject: Id) -> StoreResult<Vec<u64>> {
        pg_read!(self, c, {
            let v: Vec<i64> = rows(
                c,
                "SELECT idx FROM ledger_leaves WHERE subject = $1 ORDER BY idx",
                &[&subject.0],
                |r| super::at::<i64>(r, 0),
            )
            .await?;
            Ok(v.into_iter().map(|i| i as u64).collect())
        })
    }
}
