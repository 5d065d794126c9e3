//! `MarkerStore` and `ViewStore`: small per-account and per-status counters.

use super::{backend, exec, get, ms, row, rows, ts, write_err, PgStore};
use super::{no_row, pg_read, pg_write, Db};
use crate::sql::{Sql, ID_CHUNK};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::{Marker, ViewCount};
use roost_core::store::{JobLeaseStore, MarkerStore, StoreError, StoreResult, ViewStore};
use roost_core::Id;
use tokio_postgres::Row;

fn marker_from_row(row: &Row) -> StoreResult<Marker> {
    Ok(Marker {
        timeline: get(row, "timeline")?,
        last_read_id: Id(get(row, "last_read_id")?),
        version: get(row, "version")?,
        updated_at: ts(get(row, "updated_at")?)?,
    })
}

#[async_trait]
impl MarkerStore for PgStore {
    async fn markers(&self, account: Id) -> StoreResult<Vec<Marker>> {
        pg_read!(self, c, {
            rows(
                    c,
                    "SELECT timeline, last_read_id, version, updated_at FROM markers WHERE account_id = $1 ORDER BY timeline",
                    &[&account.0],
                    marker_from_row,
                ).await
        })
    }

    async fn set_marker(
        &self,
        account: Id,
        timeline: &str,
        last_read_id: Id,
        at: Timestamp,
    ) -> StoreResult<Marker> {
        let timeline = timeline.to_owned();
        pg_write!(self, c, {
            let sql =
                "INSERT INTO markers (account_id, timeline, last_read_id, version, updated_at) \
                     VALUES ($1, $2, $3, 1, $4) \
                     ON CONFLICT (account_id, timeline) DO UPDATE SET \
                       last_read_id = excluded.last_read_id, \
                       version = markers.version + 1, \
                       updated_at = excluded.updated_at \
                     RETURNING timeline, last_read_id, version, updated_at";
            // The statement's failure surfaces as a backend error; map a constraint
            // violation as a write's failure.
            row(
                c,
                sql,
                &[&account.0, &timeline, &last_read_id.0, &ms(at)],
                marker_from_row,
            )
            .await
            .map_err(|e| match e {
                StoreError::Backend(b) => match b.downcast::<tokio_postgres::Error>() {
                    Ok(e) => write_err(*e, "marker", "account"),
                    Err(b) => StoreError::Backend(b),
                },
                e => e,
            })?
            .ok_or_else(no_row)
        })
    }
}

#[async_trait]
impl ViewStore for PgStore {
    async fn add_views(&self, batch: &[(Id, i32, i64)]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut batch = batch.to_vec();
        // Rows locked in one order by every node: two nodes flushing overlapping batches
        // at once wait for each other instead of deadlocking (which fails one flush).
        batch.sort_by_key(|&(status, day, _)| (status, day));
        pg_write!(self, c, {
            for &(status, day, count) in &batch {
                // The stored day only moves forward: a newer day restarts its count, an
                // older one only adds to the total. Views of deleted statuses find no row
                // to join. Sums saturate at i64::MAX (PostgreSQL would fail the
                // statement on overflow).
                exec(
                    c,
                    "INSERT INTO status_views (status_id, total, day, day_count) \
                         SELECT s.id, $2, $3, $2 FROM statuses s WHERE s.id = $1 \
                         ON CONFLICT (status_id) DO UPDATE SET \
                           total = CASE WHEN status_views.total > $4 - excluded.total THEN $4 \
                             ELSE status_views.total + excluded.total END, \
                           day_count = CASE \
                             WHEN excluded.day = status_views.day THEN \
                               CASE WHEN status_views.day_count > $4 - excluded.day_count THEN $4 \
                               ELSE status_views.day_count + excluded.day_count END \
                             WHEN excluded.day > status_views.day THEN excluded.day_count \
                             ELSE status_views.day_count END, \
                           day = CASE WHEN excluded.day > status_views.day THEN excluded.day \
                             ELSE status_views.day END",
                    // Never negative, so `$4 - excluded.total` cannot overflow either.
                    &[&status.0, &count.max(0), &day, &i64::MAX],
                )
                .await
                .map_err(backend)?;
            }
            Ok(())
        })
    }

    async fn views(&self, ids: &[Id], day: i32) -> StoreResult<Vec<(Id, ViewCount)>> {
        let ids = ids.to_vec();
        pg_read!(self, c, views_in(c, &ids, day).await)
    }
}

/// The stored view counts of these statuses as of `day` (statuses never viewed are
/// skipped).
pub(crate) async fn views_in(
    c: &impl Db,
    ids: &[Id],
    day: i32,
) -> StoreResult<Vec<(Id, ViewCount)>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        let mut q = Sql::new("SELECT v.status_id, v.total AS total, CASE WHEN v.day = ");
        q.push_arg(i64::from(day));
        q.push(
            " THEN v.day_count ELSE 0 END AS today \
             FROM status_views v WHERE v.status_id IN (",
        );
        q.push_ids(chunk).push(")");
        out.extend(
            q.fetch(c, |r| {
                Ok((
                    Id(get(r, "status_id")?),
                    ViewCount {
                        total: get(r, "total")?,
                        today: get(r, "today")?,
                    },
                ))
            })
            .await?,
        );
    }
    Ok(out)
}

#[async_trait]
impl JobLeaseStore for PgStore {
    async fn take_lease(
        &self,
        job: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool> {
        let (job, holder) = (job.to_owned(), holder.to_owned());
        // One statement: two nodes inserting at once meet on the key, and the second
        // sees the first's lease in its WHERE.
        pg_write!(self, c, {
            let got = rows(
                c,
                crate::sqlite::misc::TAKE_LEASE,
                &[&job, &holder, &ms(now), &ms(until)],
                |r| get::<String>(r, "holder"),
            )
            .await?;
            Ok(!got.is_empty())
        })
    }

    async fn release_lease(&self, job: &str, holder: &str) -> StoreResult<()> {
        let (job, holder) = (job.to_owned(), holder.to_owned());
        pg_write!(self, c, {
            exec(
                c,
                "DELETE FROM job_leases WHERE job = $1 AND holder = $2",
                &[&job, &holder],
            )
            .await
            .map_err(backend)?;
            Ok(())
        })
    }
}
