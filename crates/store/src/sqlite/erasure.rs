//! `ErasureStore` on SQLite: erasing an account in one write, the home's erasure
//! records and the records abroad of erasures the region was told of. The statements are written once (`ERASE`, ...) and run by both backends.
//!
//! Every deleted row goes through the writer's update hook, so the batch that erases an
//! account is followed by the WAL scrub (`engine.rs`): no readable bytes stay behind.

use super::statuses::delete_status_in;
use super::SqliteStore;
use super::{backend, exec, get, ms, rows, scalar, ts};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::{
    Account, ErasedRows, Erasure, ErasureRegion, ForeignErasure, Forward, MovedIn, NewAccount,
    UnfinishedMove, User,
};
use roost_core::store::{ErasureStore, StoreResult};
use roost_core::Id;
use rusqlite::Connection;

/// The blobs the account's rows name: its uploads and their previews, its pictures'
/// files (`<sha256>.<ext>`; the hash is cut out by [`blob_of_file`]).
pub(crate) const ERASED_BLOBS: &str = "\
    SELECT file_hash AS b FROM media WHERE account_id = $1 AND file_hash IS NOT NULL \
    UNION SELECT preview_hash FROM media WHERE account_id = $1 AND preview_hash IS NOT NULL \
    UNION SELECT avatar_file FROM accounts WHERE id = $1 AND avatar_file IS NOT NULL \
    UNION SELECT header_file FROM accounts WHERE id = $1 AND header_file IS NOT NULL";

/// The account's statuses, reblogs included: each is deleted as a deletion by its author
/// is (counters of what it replied to, reblogged or quoted; conversations; the bodies of
/// the activities that carried it).
pub(crate) const ERASED_STATUSES: &str =
    "SELECT id FROM statuses WHERE account_id = $1 ORDER BY id DESC";

/// After the statuses, in order, each with `$1` the account: counters the cascade would
/// leave wrong, then rows naming the account with no foreign key to cascade from, then
/// the account row (which cascades to the rest).
pub(crate) const ERASE: &[&str] = &[
    "UPDATE statuses SET favourites_count = CASE WHEN favourites_count > 0 \
       THEN favourites_count - 1 ELSE 0 END \
     WHERE id IN (SELECT status_id FROM favourites WHERE account_id = $1)",
    "UPDATE accounts SET followers_count = CASE WHEN followers_count > 0 \
       THEN followers_count - 1 ELSE 0 END \
     WHERE id IN (SELECT target_id FROM follows WHERE follower_id = $1 AND accepted = 1)",
    "UPDATE accounts SET following_count = CASE WHEN following_count > 0 \
       THEN following_count - 1 ELSE 0 END \
     WHERE id IN (SELECT follower_id FROM follows WHERE target_id = $1 AND accepted = 1)",
    "DELETE FROM blocks WHERE target_id = $1",
    "DELETE FROM mutes WHERE target_id = $1",
    "DELETE FROM suggestion_dismissals WHERE target_id = $1",
    "DELETE FROM list_accounts WHERE account_id = $1",
    "DELETE FROM foreign_items WHERE subject = $1",
    // Replies of others to them stay their authors', but no longer name them.
    "UPDATE statuses SET in_reply_to_account_id = NULL WHERE in_reply_to_account_id = $1",
    // Queued and delivered activities about them (profile updates, follows, likes) keep
    // their data in their bodies; one still waiting is given up.
    "UPDATE outbox SET body = '', \
       last_error = CASE WHEN state = 'pending' THEN 'the account was erased' ELSE last_error END, \
       state = CASE WHEN state = 'pending' THEN 'expired' ELSE state END \
     WHERE subject = $1",
    "DELETE FROM accounts WHERE id = $1",
];

pub(crate) const ERASURE_INSERT: &str =
    "INSERT INTO erasures (account_id, handle_sha256, erased_at) VALUES ($1, $2, $3)";
pub(crate) const ERASURE_REGION_INSERT: &str =
    "INSERT INTO erasure_regions (account_id, region) VALUES ($1, $2)";
/// A second telling of the same erasure (a redelivered Delete) keeps the first record.
pub(crate) const FOREIGN_ERASURE_INSERT: &str =
    "INSERT INTO foreign_erasures (account_id, home_region, erased_at) VALUES ($1, $2, $3) \
     ON CONFLICT DO NOTHING";
pub(crate) const FOREIGN_ERASURE_BY_ID: &str =
    "SELECT home_region, erased_at FROM foreign_erasures WHERE account_id = $1";
pub(crate) const ERASURE_BY_ID: &str =
    "SELECT account_id, erased_at FROM erasures WHERE account_id = $1";
pub(crate) const ERASURES_NEWEST: &str =
    "SELECT account_id, erased_at FROM erasures ORDER BY erased_at DESC, account_id DESC LIMIT $1";
pub(crate) const ERASURE_REGIONS: &str =
    "SELECT region, acknowledged_at, ledger_index FROM erasure_regions \
     WHERE account_id = $1 ORDER BY region";
pub(crate) const ERASURE_ACK: &str =
    "UPDATE erasure_regions SET acknowledged_at = $3, ledger_index = $4 \
     WHERE account_id = $1 AND region = $2 AND acknowledged_at IS NULL";
pub(crate) const MOVE_BEGIN: &str = "INSERT INTO moved_accounts (account_id, region, started_at) \
     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
pub(crate) const MOVE_ABANDON: &str =
    "DELETE FROM moved_accounts WHERE account_id = $1 AND new_id IS NULL";
pub(crate) const MOVE_FINISH: &str =
    "UPDATE moved_accounts SET new_id = $2, moved_at = $3 WHERE account_id = $1";
pub(crate) const MOVE_STATUS: &str =
    "INSERT INTO moved_statuses (status_id, account_id, new_id) VALUES ($1, $2, $3)";
/// The account's writes are refused while its move runs (`Account::moving`).
pub(crate) const MOVE_MARK: &str = "UPDATE accounts SET moving_since = $2 WHERE id = $1";
pub(crate) const MOVE_UNMARK: &str = "UPDATE accounts SET moving_since = NULL WHERE id = $1";
pub(crate) const MOVED_IN_INSERT: &str =
    "INSERT INTO moved_in (old_id, origin, account_id, received_at) VALUES ($1, $2, $3, $4)";
pub(crate) const MOVED_IN_BY_OLD: &str =
    "SELECT origin, account_id FROM moved_in WHERE old_id = $1";
pub(crate) const MOVED_IN_STATUSES: &str =
    "SELECT old_id, new_id FROM moved_in_statuses WHERE account_id = $1 ORDER BY old_id";
pub(crate) const MOVED_IN_STATUS_KEEP: &str =
    "INSERT INTO moved_in_statuses (old_id, account_id, new_id) VALUES ($1, $2, $3) \
     ON CONFLICT DO NOTHING";
pub(crate) const MOVED_IN_STATUS: &str = "SELECT new_id FROM moved_in_statuses WHERE old_id = $1";
pub(crate) const MOVE_RUNNING: &str =
    "SELECT region FROM moved_accounts WHERE account_id = $1 AND new_id IS NULL";
pub(crate) const MOVES_UNFINISHED: &str =
    "SELECT m.account_id, m.region, m.new_id FROM moved_accounts m \
     JOIN accounts a ON a.id = m.account_id WHERE m.started_at < $1 \
     ORDER BY m.started_at, m.account_id";
pub(crate) const FORWARD_ACCOUNT: &str =
    "SELECT region, new_id FROM moved_accounts WHERE account_id = $1 AND new_id IS NOT NULL";
pub(crate) const FORWARD_STATUS: &str = "SELECT a.region, s.new_id FROM moved_statuses s \
     JOIN moved_accounts a ON a.account_id = s.account_id WHERE s.status_id = $1";

/// A handle once erased is taken for good (`create_account_in`).
pub(crate) const HANDLE_ERASED: &str = "SELECT 1 FROM erasures WHERE handle_sha256 = $1";

/// What the tombstone keeps of a handle: its hash, enough to refuse it, not to read it.
pub(crate) fn handle_hash(username_key: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(username_key.as_bytes()))
}

/// The blob hash a row names: an upload's hash as it is, a picture's file name cut at
/// its extension.
pub(crate) fn blob_of_file(name: &str) -> String {
    name.split('.').next().unwrap_or_default().to_string()
}

fn erase_in(c: &Connection, id: Id, record: Option<&Erasure>) -> StoreResult<Option<ErasedRows>> {
    let Some(key) = scalar::<String>(
        c,
        "SELECT username_key FROM accounts WHERE id = $1",
        &[&id.0],
    )?
    else {
        return Ok(None);
    };
    let mut blobs: Vec<String> = rows(c, ERASED_BLOBS, &[&id.0], |r| get::<String>(r, "b"))?
        .iter()
        .map(|b| blob_of_file(b))
        .collect();
    blobs.sort();
    blobs.dedup();
    let statuses: Vec<Id> = rows(c, ERASED_STATUSES, &[&id.0], |r| Ok(Id(get(r, "id")?)))?;
    for s in &statuses {
        delete_status_in(c, *s)?;
    }
    for step in ERASE {
        exec(c, step, &[&id.0]).map_err(backend)?;
    }
    // The account row's deletion took its data key with it: whatever sealed copy is
    // left anywhere (free pages, an old backup) no longer opens.
    crate::sealing::keyring()?.forget(id.0);
    if let Some(r) = record {
        exec(
            c,
            ERASURE_INSERT,
            &[&id.0, &handle_hash(&key), &ms(r.erased_at)],
        )
        .map_err(backend)?;
        for region in &r.regions {
            exec(c, ERASURE_REGION_INSERT, &[&id.0, &region.region]).map_err(backend)?;
        }
    }
    Ok(Some(ErasedRows { statuses, blobs }))
}

fn erase_foreign_in(c: &Connection, r: &ForeignErasure) -> StoreResult<Option<ErasedRows>> {
    let rows = erase_in(c, r.account_id, None)?;
    exec(
        c,
        FOREIGN_ERASURE_INSERT,
        &[&r.account_id.0, &r.home_region, &ms(r.erased_at)],
    )
    .map_err(backend)?;
    Ok(rows)
}

fn erasure_in(c: &Connection, id: Id, erased_at: i64) -> StoreResult<Erasure> {
    let regions = rows(c, ERASURE_REGIONS, &[&id.0], |r| {
        let at: Option<i64> = get(r, "acknowledged_at")?;
        let index: Option<i64> = get(r, "ledger_index")?;
        Ok(ErasureRegion {
            region: get(r, "region")?,
            acknowledged_at: at.map(ts).transpose()?,
            ledger_index: index.map(|i| i as u64),
        })
    })?;
    Ok(Erasure {
        account_id: id,
        erased_at: ts(erased_at)?,
        regions,
    })
}

#[async_trait]
impl ErasureStore for SqliteStore {
    async fn erase_account(
        &self,
        account: Id,
        record: Option<&Erasure>,
    ) -> StoreResult<Option<ErasedRows>> {
        let record = record.cloned();
        self.db
            .write(move |c| erase_in(c, account, record.as_ref()))
            .await
    }

    async fn erase_foreign_account(
        &self,
        record: &ForeignErasure,
    ) -> StoreResult<Option<ErasedRows>> {
        let record = record.clone();
        self.db.write(move |c| erase_foreign_in(c, &record)).await
    }

    async fn foreign_erasure(&self, account: Id) -> StoreResult<Option<ForeignErasure>> {
        self.db
            .read(move |c| {
                let found = rows(c, FOREIGN_ERASURE_BY_ID, &[&account.0], |r| {
                    Ok((
                        get::<String>(r, "home_region")?,
                        get::<i64>(r, "erased_at")?,
                    ))
                })?;
                found
                    .into_iter()
                    .next()
                    .map(|(home_region, at)| {
                        Ok(ForeignErasure {
                            account_id: account,
                            home_region,
                            erased_at: ts(at)?,
                        })
                    })
                    .transpose()
            })
            .await
    }

    async fn erasure(&self, account: Id) -> StoreResult<Option<Erasure>> {
        self.db
            .read(move |c| {
                let found = rows(c, ERASURE_BY_ID, &[&account.0], |r| {
                    get::<i64>(r, "erased_at")
                })?;
                found
                    .first()
                    .map(|at| erasure_in(c, account, *at))
                    .transpose()
            })
            .await
    }

    async fn erasures(&self, limit: u32) -> StoreResult<Vec<Erasure>> {
        self.db
            .read(move |c| {
                let found = rows(c, ERASURES_NEWEST, &[&(limit as i64)], |r| {
                    Ok((Id(get(r, "account_id")?), get::<i64>(r, "erased_at")?))
                })?;
                found
                    .into_iter()
                    .map(|(id, at)| erasure_in(c, id, at))
                    .collect()
            })
            .await
    }

    async fn acknowledge_erasure(
        &self,
        account: Id,
        region: &str,
        at: Timestamp,
        ledger_index: u64,
    ) -> StoreResult<bool> {
        let region = region.to_owned();
        self.db
            .write(move |c| {
                let n = exec(
                    c,
                    ERASURE_ACK,
                    &[&account.0, &region, &ms(at), &(ledger_index as i64)],
                )
                .map_err(backend)?;
                Ok(n > 0)
            })
            .await
    }

    async fn begin_move(&self, account: Id, region: &str, at: Timestamp) -> StoreResult<bool> {
        let region = region.to_owned();
        self.db
            .write(move |c| {
                let n = exec(c, MOVE_BEGIN, &[&account.0, &region, &ms(at)]).map_err(backend)?;
                if n > 0 {
                    exec(c, MOVE_MARK, &[&account.0, &ms(at)]).map_err(backend)?;
                }
                Ok(n > 0)
            })
            .await
    }

    async fn abandon_move(&self, account: Id) -> StoreResult<()> {
        self.db
            .write(move |c| {
                if exec(c, MOVE_ABANDON, &[&account.0]).map_err(backend)? > 0 {
                    exec(c, MOVE_UNMARK, &[&account.0]).map_err(backend)?;
                }
                Ok(())
            })
            .await
    }

    async fn finish_move(
        &self,
        account: Id,
        new_id: Id,
        statuses: &[(Id, Id)],
        at: Timestamp,
    ) -> StoreResult<()> {
        let statuses = statuses.to_vec();
        self.db
            .write(move |c| {
                exec(c, MOVE_FINISH, &[&account.0, &new_id.0, &ms(at)]).map_err(backend)?;
                for (old, new) in &statuses {
                    exec(c, MOVE_STATUS, &[&old.0, &account.0, &new.0]).map_err(backend)?;
                }
                Ok(())
            })
            .await
    }

    async fn forward(&self, id: Id) -> StoreResult<Option<Forward>> {
        self.db
            .read(move |c| {
                for (sql, status) in [(FORWARD_ACCOUNT, false), (FORWARD_STATUS, true)] {
                    let found = rows(c, sql, &[&id.0], |r| {
                        Ok(Forward {
                            region: get(r, "region")?,
                            new_id: Id(get(r, "new_id")?),
                            status,
                            base_url: String::new(),
                        })
                    })?;
                    if let Some(f) = found.into_iter().next() {
                        return Ok(Some(f));
                    }
                }
                Ok(None)
            })
            .await
    }

    async fn running_move(&self, account: Id) -> StoreResult<Option<String>> {
        self.db
            .read(move |c| scalar::<String>(c, MOVE_RUNNING, &[&account.0]))
            .await
    }

    async fn unfinished_moves(
        &self,
        started_before: Timestamp,
    ) -> StoreResult<Vec<UnfinishedMove>> {
        self.db
            .read(move |c| {
                rows(c, MOVES_UNFINISHED, &[&ms(started_before)], |r| {
                    Ok(UnfinishedMove {
                        account: Id(get(r, "account_id")?),
                        region: get(r, "region")?,
                        new_id: get::<Option<i64>>(r, "new_id")?.map(Id),
                    })
                })
            })
            .await
    }

    async fn create_moved_account(
        &self,
        account: &NewAccount,
        user: &User,
        origin: &str,
        old_id: Id,
        at: Timestamp,
    ) -> StoreResult<Account> {
        let (account, user, origin) = (account.clone(), user.clone(), origin.to_owned());
        self.db
            .write(move |c| {
                let made = super::accounts::create_account_in(c, &account, Some(&user))?;
                exec(
                    c,
                    MOVED_IN_INSERT,
                    &[&old_id.0, &origin, &account.id.0, &ms(at)],
                )
                .map_err(backend)?;
                Ok(made)
            })
            .await
    }

    async fn moved_in(&self, old_id: Id) -> StoreResult<Option<MovedIn>> {
        self.db
            .read(move |c| {
                let found = rows(c, MOVED_IN_BY_OLD, &[&old_id.0], |r| {
                    Ok((get::<String>(r, "origin")?, Id(get(r, "account_id")?)))
                })?;
                let Some((origin, account_id)) = found.into_iter().next() else {
                    return Ok(None);
                };
                let statuses = rows(c, MOVED_IN_STATUSES, &[&old_id.0], |r| {
                    Ok((Id(get(r, "old_id")?), Id(get(r, "new_id")?)))
                })?;
                Ok(Some(MovedIn {
                    origin,
                    account_id,
                    statuses,
                }))
            })
            .await
    }

    async fn keep_moved_status(
        &self,
        old_account: Id,
        old_status: Id,
        new_status: Id,
    ) -> StoreResult<Id> {
        self.db
            .write(move |c| {
                exec(
                    c,
                    MOVED_IN_STATUS_KEEP,
                    &[&old_status.0, &old_account.0, &new_status.0],
                )
                .map_err(backend)?;
                Ok(scalar::<i64>(c, MOVED_IN_STATUS, &[&old_status.0])?.map_or(new_status, Id))
            })
            .await
    }
}
