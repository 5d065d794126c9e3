//! `ErasureStore` on PostgreSQL: the statements of `sqlite/erasure.rs`, in one
//! transaction.

use super::statuses::delete_status_in;
use super::{backend, exec, get, ms, rows, scalar, ts, PgStore};
use super::{pg_read, pg_write, Db};
use crate::sqlite::erasure::{
    blob_of_file, handle_hash, ERASE, ERASED_BLOBS, ERASED_STATUSES, ERASURES_NEWEST, ERASURE_ACK,
    ERASURE_BY_ID, ERASURE_INSERT, ERASURE_REGIONS, ERASURE_REGION_INSERT, FOREIGN_ERASURE_BY_ID,
    FOREIGN_ERASURE_INSERT, FORWARD_ACCOUNT, FORWARD_STATUS, MOVED_IN_BY_OLD, MOVED_IN_INSERT,
    MOVED_IN_STATUS, MOVED_IN_STATUSES, MOVED_IN_STATUS_KEEP, MOVES_UNFINISHED, MOVE_ABANDON,
    MOVE_BEGIN, MOVE_FINISH, MOVE_MARK, MOVE_RUNNING, MOVE_STATUS, MOVE_UNMARK,
};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::{
    Account, ErasedRows, Erasure, ErasureRegion, ForeignErasure, Forward, MovedIn, NewAccount,
    UnfinishedMove, User,
};
use roost_core::store::{ErasureStore, StoreResult};
use roost_core::Id;

async fn erase_in(
    c: &impl Db,
    id: Id,
    record: Option<&Erasure>,
) -> StoreResult<Option<ErasedRows>> {
    let Some(key) = scalar::<String>(
        c,
        "SELECT username_key FROM accounts WHERE id = $1",
        &[&id.0],
    )
    .await?
    else {
        return Ok(None);
    };
    let mut blobs: Vec<String> = rows(c, ERASED_BLOBS, &[&id.0], |r| get::<String>(r, "b"))
        .await?
        .iter()
        .map(|b| blob_of_file(b))
        .collect();
    blobs.sort();
    blobs.dedup();
    let statuses: Vec<Id> = rows(c, ERASED_STATUSES, &[&id.0], |r| Ok(Id(get(r, "id")?))).await?;
    for s in &statuses {
        delete_status_in(c, *s).await?;
    }
    for step in ERASE {
        exec(c, step, &[&id.0]).await.map_err(backend)?;
    }
    // The account row's deletion took its data key with it (see the SQLite store).
    crate::sealing::keyring()?.forget(id.0);
    if let Some(r) = record {
        exec(
            c,
            ERASURE_INSERT,
            &[&id.0, &handle_hash(&key), &ms(r.erased_at)],
        )
        .await
        .map_err(backend)?;
        for region in &r.regions {
            exec(c, ERASURE_REGION_INSERT, &[&id.0, &region.region])
                .await
                .map_err(backend)?;
        }
    }
    Ok(Some(ErasedRows { statuses, blobs }))
}

async fn erase_foreign_in(c: &impl Db, r: &ForeignErasure) -> StoreResult<Option<ErasedRows>> {
    let rows = erase_in(c, r.account_id, None).await?;
    exec(
        c,
        FOREIGN_ERASURE_INSERT,
        &[&r.account_id.0, &r.home_region, &ms(r.erased_at)],
    )
    .await
    .map_err(backend)?;
    Ok(rows)
}

async fn erasure_in(c: &impl Db, id: Id, erased_at: i64) -> StoreResult<Erasure> {
    let regions = rows(c, ERASURE_REGIONS, &[&id.0], |r| {
        let at: Option<i64> = get(r, "acknowledged_at")?;
        let index: Option<i64> = get(r, "ledger_index")?;
        Ok(ErasureRegion {
            region: get(r, "region")?,
            acknowledged_at: at.map(ts).transpose()?,
            ledger_index: index.map(|i| i as u64),
        })
    })
    .await?;
    Ok(Erasure {
        account_id: id,
        erased_at: ts(erased_at)?,
        regions,
    })
}

#[async_trait]
impl ErasureStore for PgStore {
    async fn erase_account(
        &self,
        account: Id,
        record: Option<&Erasure>,
    ) -> StoreResult<Option<ErasedRows>> {
        let record = record.cloned();
        pg_write!(self, c, erase_in(c, account, record.as_ref()).await)
    }

    async fn erase_foreign_account(
        &self,
        record: &ForeignErasure,
    ) -> StoreResult<Option<ErasedRows>> {
        let record = record.clone();
        pg_write!(self, c, erase_foreign_in(c, &record).await)
    }

    async fn foreign_erasure(&self, account: Id) -> StoreResult<Option<ForeignErasure>> {
        pg_read!(self, c, {
            let found = rows(c, FOREIGN_ERASURE_BY_ID, &[&account.0], |r| {
                Ok((
                    get::<String>(r, "home_region")?,
                    get::<i64>(r, "erased_at")?,
                ))
            })
            .await?;
            match found.into_iter().next() {
                Some((home_region, at)) => Ok(Some(ForeignErasure {
                    account_id: account,
                    home_region,
                    erased_at: ts(at)?,
                })),
                None => Ok(None),
            }
        })
    }

    async fn erasure(&self, account: Id) -> StoreResult<Option<Erasure>> {
        pg_read!(self, c, {
            let found = rows(c, ERASURE_BY_ID, &[&account.0], |r| {
                get::<i64>(r, "erased_at")
            })
            .await?;
            match found.first() {
                Some(at) => Ok(Some(erasure_in(c, account, *at).await?)),
                None => Ok(None),
            }
        })
    }

    async fn erasures(&self, limit: u32) -> StoreResult<Vec<Erasure>> {
        pg_read!(self, c, {
            let found = rows(c, ERASURES_NEWEST, &[&(limit as i64)], |r| {
                Ok((Id(get(r, "account_id")?), get::<i64>(r, "erased_at")?))
            })
            .await?;
            let mut out = Vec::with_capacity(found.len());
            for (id, at) in found {
                out.push(erasure_in(c, id, at).await?);
            }
            Ok(out)
        })
    }

    async fn acknowledge_erasure(
        &self,
        account: Id,
        region: &str,
        at: Timestamp,
        ledger_index: u64,
    ) -> StoreResult<bool> {
        let region = region.to_owned();
        pg_write!(self, c, {
            let n = exec(
                c,
                ERASURE_ACK,
                &[&account.0, &region, &ms(at), &(ledger_index as i64)],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn begin_move(&self, account: Id, region: &str, at: Timestamp) -> StoreResult<bool> {
        let region = region.to_owned();
        pg_write!(self, c, {
            let n = exec(c, MOVE_BEGIN, &[&account.0, &region, &ms(at)])
                .await
                .map_err(backend)?;
            if n > 0 {
                exec(c, MOVE_MARK, &[&account.0, &ms(at)])
                    .await
                    .map_err(backend)?;
            }
            Ok(n > 0)
        })
    }

    async fn abandon_move(&self, account: Id) -> StoreResult<()> {
        pg_write!(self, c, {
            let n = exec(c, MOVE_ABANDON, &[&account.0])
                .await
                .map_err(backend)?;
            if n > 0 {
                exec(c, MOVE_UNMARK, &[&account.0]).await.map_err(backend)?;
            }
            Ok(())
        })
    }

    async fn finish_move(
        &self,
        account: Id,
        new_id: Id,
        statuses: &[(Id, Id)],
        at: Timestamp,
    ) -> StoreResult<()> {
        let statuses = statuses.to_vec();
        pg_write!(self, c, {
            exec(c, MOVE_FINISH, &[&account.0, &new_id.0, &ms(at)])
                .await
                .map_err(backend)?;
            for (old, new) in &statuses {
                exec(c, MOVE_STATUS, &[&old.0, &account.0, &new.0])
                    .await
                    .map_err(backend)?;
            }
            Ok(())
        })
    }

    async fn forward(&self, id: Id) -> StoreResult<Option<Forward>> {
        pg_read!(self, c, {
            for (sql, status) in [(FORWARD_ACCOUNT, false), (FORWARD_STATUS, true)] {
                let found = rows(c, sql, &[&id.0], |r| {
                    Ok(Forward {
                        region: get(r, "region")?,
                        new_id: Id(get(r, "new_id")?),
                        status,
                        base_url: String::new(),
                    })
                })
                .await?;
                if let Some(f) = found.into_iter().next() {
                    return Ok(Some(f));
                }
            }
            Ok(None)
        })
    }

    async fn running_move(&self, account: Id) -> StoreResult<Option<String>> {
        pg_read!(
            self,
            c,
            scalar::<String>(c, MOVE_RUNNING, &[&account.0]).await
        )
    }

    async fn unfinished_moves(
        &self,
        started_before: Timestamp,
    ) -> StoreResult<Vec<UnfinishedMove>> {
        pg_read!(self, c, {
            rows(c, MOVES_UNFINISHED, &[&ms(started_before)], |r| {
                Ok(UnfinishedMove {
                    account: Id(get(r, "account_id")?),
                    region: get(r, "region")?,
                    new_id: get::<Option<i64>>(r, "new_id")?.map(Id),
                })
            })
            .await
        })
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
        pg_write!(self, c, {
            let made = super::accounts::create_account_in(c, &account, Some(&user)).await?;
            exec(
                c,
                MOVED_IN_INSERT,
                &[&old_id.0, &origin, &account.id.0, &ms(at)],
            )
            .await
            .map_err(backend)?;
            Ok(made)
        })
    }

    async fn moved_in(&self, old_id: Id) -> StoreResult<Option<MovedIn>> {
        pg_read!(self, c, {
            let found = rows(c, MOVED_IN_BY_OLD, &[&old_id.0], |r| {
                Ok((get::<String>(r, "origin")?, Id(get(r, "account_id")?)))
            })
            .await?;
            let Some((origin, account_id)) = found.into_iter().next() else {
                return Ok(None);
            };
            let statuses = rows(c, MOVED_IN_STATUSES, &[&old_id.0], |r| {
                Ok((Id(get(r, "old_id")?), Id(get(r, "new_id")?)))
            })
            .await?;
            Ok(Some(MovedIn {
                origin,
                account_id,
                statuses,
            }))
        })
    }

    async fn keep_moved_status(
        &self,
        old_account: Id,
        old_status: Id,
        new_status: Id,
    ) -> StoreResult<Id> {
        pg_write!(self, c, {
            exec(
                c,
                MOVED_IN_STATUS_KEEP,
                &[&old_status.0, &old_account.0, &new_status.0],
            )
            .await
            .map_err(backend)?;
            Ok(scalar::<i64>(c, MOVED_IN_STATUS, &[&old_status.0])
                .await?
                .map_or(new_status, Id))
        })
    }
}
