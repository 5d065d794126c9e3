//! `FederationStore`: foreign accounts, the durable outbox, the inbox replay guard and the
//! inventory of foreign items.

use super::accounts::{account_from_row, fold_case, ACCOUNT_COLS};
use super::{backend, exec, get, ms, opt_ts, row, rows, scalar, ts, SqliteStore};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::{Account, ForeignRecord, OutboxItem, OutboxState};
use roost_core::store::{FederationStore, StoreResult};
use roost_core::Id;
use roost_residency::DataClass;
use rusqlite::Row;

use super::corrupt;
use roost_core::store::Seen;

/// Marks an activity's handling begun: inserted, or taken over when an earlier mark was
/// never applied and is older than `$3`. One row changed means the caller handles it.
pub(crate) const MARK_SEEN: &str =
    "INSERT INTO inbox_seen (activity_id, received_at, applied) VALUES ($1, $2, 0) \
     ON CONFLICT (activity_id) DO UPDATE SET received_at = excluded.received_at \
     WHERE inbox_seen.applied = 0 AND inbox_seen.received_at < $3";
pub(crate) const FINISH_SEEN: &str = "UPDATE inbox_seen SET applied = 1 WHERE activity_id = $1";

/// What an existing mark says (`applied` as read; none if it went meanwhile).
pub(crate) fn seen_state(applied: Option<i64>) -> Seen {
    match applied {
        Some(0) => Seen::Applying,
        Some(_) => Seen::Applied,
        // Forgotten between the two statements: as good as new, but another handler
        // just failed it; let the sender try again.
        None => Seen::Applying,
    }
}

/// Foreign accounts are unique per home region: `name@region` cannot clash with a local
/// username (which never contains `@`).
pub(crate) fn handle_key(username: &str, region: &str) -> String {
    format!("{}@{}", fold_case(username), region)
}

pub(crate) const OUTBOX_COLS: &str =
    "id, destination, class, subject, object, purpose, body, created_at, \
    next_attempt_at, attempts, state, last_error, ledger_index";

/// A pending row that is due (`$1` = now) and not leased to a worker past now.
pub(crate) const OUTBOX_DUE: &str = "state = 'pending' AND next_attempt_at <= $1 \
    AND (claimed_until IS NULL OR claimed_until <= $1)";

pub(crate) fn class_of(s: &str) -> StoreResult<DataClass> {
    DataClass::parse(s).ok_or_else(|| corrupt(format!("data class {s}")))
}

fn outbox_from_row(row: &Row<'_>) -> StoreResult<OutboxItem> {
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

fn foreign_from_row(row: &Row<'_>) -> StoreResult<ForeignRecord> {
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

/// A foreign account's profile as its home region sent it. The bio is written after, sealed
/// (`NOTE_UPDATE`): the account's key needs the row first.
pub(crate) const REMOTE_ACCOUNT_UPSERT: &str =
    "INSERT INTO accounts (id, username, username_key, home_region, display_name, \
       note_source, note_html, locked, bot, discoverable, created_at) \
     VALUES ($1, $2, $3, $4, $5, '', '', $6, $7, $8, $9) \
     ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, \
       locked = excluded.locked, bot = excluded.bot, discoverable = excluded.discoverable";

#[async_trait]
impl FederationStore for SqliteStore {
    async fn account_by_handle(
        &self,
        username: &str,
        region: &str,
    ) -> StoreResult<Option<Account>> {
        let key = handle_key(username, region);
        self.db
            .read(move |c| {
                let sql =
                    format!("SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.username_key = $1");
                super::keys::opened(c, row(c, &sql, &[&key], account_from_row)?)
            })
            .await
    }

    async fn upsert_remote_account(&self, a: &Account) -> StoreResult<()> {
        let a = a.clone();
        self.db
            .write(move |c| {
                // A refreshed profile overwrites the text kept before.
                super::engine::overwrote_text();
                exec(
                    c,
                    REMOTE_ACCOUNT_UPSERT,
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
                .map_err(backend)?;
                // The bio is sealed with the account's key, which needs the row first.
                let key = super::keys::write_key(c, a.id)?;
                exec(
                    c,
                    crate::sealing::NOTE_UPDATE,
                    &[&a.id.0, &key.seal(&a.note_source), &key.seal(&a.note_html)],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn follower_regions(&self, account: Id, local: &str) -> StoreResult<Vec<String>> {
        let local = local.to_owned();
        self.db
            .read(move |c| {
                rows(
                    c,
                    "SELECT DISTINCT a.home_region FROM follows f JOIN accounts a ON a.id = f.follower_id \
                     WHERE f.target_id = $1 AND f.accepted = 1 AND a.home_region <> $2 \
                     ORDER BY a.home_region",
                    &[&account.0, &local],
                    |r| r.get::<_, String>(0).map_err(backend),
                )
            })
            .await
    }

    async fn followed_foreign(&self, account: Id, local: &str) -> StoreResult<Vec<Account>> {
        let local = local.to_owned();
        self.db
            .read(move |c| {
                let sql = format!(
                    "SELECT {ACCOUNT_COLS} FROM follows f JOIN accounts a ON a.id = f.target_id \
                     WHERE f.follower_id = $1 AND f.accepted = 1 AND a.home_region <> $2"
                );
                super::keys::opened_all(c, rows(c, &sql, &[&account.0, &local], account_from_row)?)
            })
            .await
    }

    async fn enqueue(&self, items: &[OutboxItem]) -> StoreResult<()> {
        let items = items.to_vec();
        self.db
            .write(move |c| {
                let sql = format!(
                    "INSERT INTO outbox ({OUTBOX_COLS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                );
                for i in &items {
                    let body = super::keys::seal_outbox_body(c, i.subject, &i.body)?;
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
                    .map_err(backend)?;
                }
                Ok(())
            })
            .await
    }

    async fn due_outbox(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<OutboxItem>> {
        self.db
            .read(move |c| {
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
                    )?,
                )
            })
            .await
    }

    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>> {
        // On the writer: the select and the lease are one step, so no two claims
        // (of this process's workers) get the same row.
        let mut items = self
            .db
            .write(move |c| {
                super::keys::open_outbox(
                    c,
                    rows(
                        c,
                        &format!(
                            "UPDATE outbox SET claimed_until = $3 WHERE id IN ( \
                           SELECT id FROM outbox WHERE {OUTBOX_DUE} \
                           ORDER BY next_attempt_at, id LIMIT $2) \
                         RETURNING {OUTBOX_COLS}"
                        ),
                        &[&ms(now), &(limit as i64), &ms(lease_until)],
                        outbox_from_row,
                    )?,
                )
            })
            .await?;
        items.sort_by_key(|i| (i.next_attempt_at, i.id));
        Ok(items)
    }

    async fn next_outbox_due(&self) -> StoreResult<Option<Timestamp>> {
        self.db
            .read(move |c| {
                let t: Option<i64> = scalar::<Option<i64>>(
                    c,
                    "SELECT MIN(MAX(next_attempt_at, COALESCE(claimed_until, 0))) \
                     FROM outbox WHERE state = 'pending'",
                    &[],
                )?
                .flatten();
                opt_ts(t)
            })
            .await
    }

    async fn update_outbox(&self, i: &OutboxItem) -> StoreResult<()> {
        let i = i.clone();
        self.db
            .write(move |c| {
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
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn outbox_items(&self, state: Option<OutboxState>) -> StoreResult<Vec<OutboxItem>> {
        let state: Option<&'static str> = state.map(|s| s.as_str());
        self.db
            .read(move |c| {
                super::keys::open_outbox(c, rows(
                    c,
                    &format!(
                        "SELECT {OUTBOX_COLS} FROM outbox WHERE $1 IS NULL OR state = $1 ORDER BY id"
                    ),
                    &[&state],
                    outbox_from_row,
                )?)
            })
            .await
    }

    async fn mark_activity_seen(
        &self,
        activity_id: &str,
        at: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<Seen> {
        let activity_id = activity_id.to_owned();
        self.db
            .write(move |c| {
                let n = exec(c, MARK_SEEN, &[&activity_id, &ms(at), &ms(stale_before)])
                    .map_err(backend)?;
                if n > 0 {
                    return Ok(Seen::New);
                }
                let applied: Option<i64> = scalar(
                    c,
                    "SELECT applied FROM inbox_seen WHERE activity_id = $1",
                    &[&activity_id],
                )?;
                Ok(seen_state(applied))
            })
            .await
    }

    async fn finish_activity(&self, activity_id: &str) -> StoreResult<()> {
        let activity_id = activity_id.to_owned();
        self.db
            .write(move |c| {
                exec(c, FINISH_SEEN, &[&activity_id]).map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn forget_activity(&self, activity_id: &str) -> StoreResult<()> {
        let activity_id = activity_id.to_owned();
        self.db
            .write(move |c| {
                exec(
                    c,
                    "DELETE FROM inbox_seen WHERE activity_id = $1",
                    &[&activity_id],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn record_foreign(&self, r: &ForeignRecord) -> StoreResult<()> {
        let r = r.clone();
        self.db
            .write(move |c| {
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
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn expired_foreign(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<ForeignRecord>> {
        self.db
            .read(move |c| {
                rows(
                    c,
                    "SELECT * FROM foreign_items WHERE expires_at IS NOT NULL AND expires_at <= $1 \
                     ORDER BY expires_at LIMIT $2",
                    &[&ms(now), &(limit as i64)],
                    foreign_from_row,
                )
            })
            .await
    }

    async fn remove_foreign(&self, object: &str) -> StoreResult<()> {
        let object = object.to_owned();
        self.db
            .write(move |c| {
                exec(c, "DELETE FROM foreign_items WHERE object = $1", &[&object])
                    .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn foreign_records(&self, subject: Option<Id>) -> StoreResult<Vec<ForeignRecord>> {
        self.db
            .read(move |c| {
                rows(
                    c,
                    "SELECT * FROM foreign_items WHERE $1 IS NULL OR subject = $1 ORDER BY object",
                    &[&subject.map(|s| s.0)],
                    foreign_from_row,
                )
            })
            .await
    }

    async fn ledger_indices_about(&self, subject: Id) -> StoreResult<Vec<u64>> {
        self.db
            .read(move |c| {
                let v: Vec<i64> = rows(
                    c,
                    "SELECT idx FROM ledger_leaves WHERE subject = $1 ORDER BY idx",
                    &[&subject.0],
                    |r| r.get::<_, i64>(0).map_err(backend),
                )?;
                Ok(v.into_iter().map(|i| i as u64).collect())
            })
            .await
    }
}
