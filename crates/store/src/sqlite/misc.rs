//! `MarkerStore` and `ViewStore`: small per-account and per-status counters.

use super::{backend, exec, get, ms, row, rows, ts, write_err, SqliteStore};
use crate::sql::{Sql, ID_CHUNK};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::{Marker, ViewCount};
use roost_core::store::{JobLeaseStore, MarkerStore, StoreError, StoreResult, ViewStore};
use roost_core::Id;
use rusqlite::Connection;

fn marker_from_row(row: &rusqlite::Row<'_>) -> StoreResult<Marker> {
    Ok(Marker {
        timeline: get(row, "timeline")?,
        last_read_id: Id(get(row, "last_read_id")?),
        version: get(row, "version")?,
        updated_at: ts(get(row, "updated_at")?)?,
    })
}

#[async_trait]
impl MarkerStore for SqliteStore {
    async fn markers(&self, account: Id) -> StoreResult<Vec<Marker>> {
        self.db
            .read(move |c| {
                rows(
                    c,
                    "SELECT timeline, last_read_id, version, updated_at FROM markers WHERE account_id = $1 ORDER BY timeline",
                    &[&account.0],
                    marker_from_row,
                )
            })
            .await
    }

    async fn set_marker(
        &self,
        account: Id,
        timeline: &str,
        last_read_id: Id,
        at: Timestamp,
    ) -> StoreResult<Marker> {
        let timeline = timeline.to_owned();
        self.db
            .write(move |c| {
                let sql = "INSERT INTO markers (account_id, timeline, last_read_id, version, updated_at) \
                     VALUES ($1, $2, $3, 1, $4) \
                     ON CONFLICT (account_id, timeline) DO UPDATE SET \
                       last_read_id = excluded.last_read_id, \
                       version = markers.version + 1, \
                       updated_at = excluded.updated_at \
                     RETURNING timeline, last_read_id, version, updated_at";
                // The statement's failure surfaces as a backend error from stepping the
                // row; map a constraint violation as a write's failure.
                row(
                    c,
                    sql,
                    &[&account.0, &timeline, &last_read_id.0, &ms(at)],
                    marker_from_row,
                )
                .map_err(|e| match e {
                    StoreError::Backend(b) => match b.downcast::<rusqlite::Error>() {
                        Ok(e) => write_err(*e, "marker", "account"),
                        Err(b) => StoreError::Backend(b),
                    },
                    e => e,
                })?
                    .ok_or_else(|| backend(rusqlite::Error::QueryReturnedNoRows))
            })
            .await
    }
}

#[async_trait]
impl ViewStore for SqliteStore {
    async fn add_views(&self, batch: &[(Id, i32, i64)]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let batch = batch.to_vec();
        self.db
            .write(move |c| {
                for &(status, day, count) in &batch {
                    // The stored day only moves forward: a newer day restarts its count, an
                    // older one only adds to the total. Views of deleted statuses find no row
                    // to join. Sums saturate at i64::MAX: SQLite would turn an overflowing
                    // sum into a REAL that no longer reads back as a count.
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
                    .map_err(backend)?;
                }
                Ok(())
            })
            .await
    }

    async fn views(&self, ids: &[Id], day: i32) -> StoreResult<Vec<(Id, ViewCount)>> {
        let ids = ids.to_vec();
        self.db.read(move |c| views_in(c, &ids, day)).await
    }
}

/// The stored view counts of these statuses as of `day` (statuses never viewed are
/// skipped).
pub(crate) fn views_in(c: &Connection, ids: &[Id], day: i32) -> StoreResult<Vec<(Id, ViewCount)>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        // CAST: a count an older version let overflow into a REAL reads back as the
        // largest integer instead of failing every page that shows it.
        let mut q =
            Sql::new("SELECT v.status_id, CAST(v.total AS INTEGER) AS total, CASE WHEN v.day = ");
        q.push_arg(i64::from(day));
        q.push(
            " THEN CAST(v.day_count AS INTEGER) ELSE 0 END AS today \
             FROM status_views v WHERE v.status_id IN (",
        );
        q.push_ids(chunk).push(")");
        out.extend(q.rows(c, |r| {
            Ok((
                Id(get(r, "status_id")?),
                ViewCount {
                    total: get(r, "total")?,
                    today: get(r, "today")?,
                },
            ))
        })?);
    }
    Ok(out)
}

/// Taken when free, expired or already the holder's; nothing is returned when another
/// holder's lease is still running.
pub(crate) const TAKE_LEASE: &str =
    "INSERT INTO job_leases (job, holder, held_until) VALUES ($1, $2, $4) \
     ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until \
     WHERE job_leases.held_until <= $3 OR job_leases.holder = excluded.holder \
     RETURNING holder";

#[async_trait]
impl JobLeaseStore for SqliteStore {
    async fn take_lease(
        &self,
        job: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool> {
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.db
            .write(move |c| {
                let got = rows(c, TAKE_LEASE, &[&job, &holder, &ms(now), &ms(until)], |r| {
                    get::<String>(r, "holder")
                })?;
                Ok(!got.is_empty())
            })
            .await
    }

    async fn release_lease(&self, job: &str, holder: &str) -> StoreResult<()> {
        let (job, holder) = (job.to_owned(), holder.to_owned());
        self.db
            .write(move |c| {
                exec(
                    c,
                    "DELETE FROM job_leases WHERE job = $1 AND holder = $2",
                    &[&job, &holder],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roost_core::model::{NewAccount, NewStatus, Visibility};
    use roost_core::store::{AccountStore, StatusStore};

    #[tokio::test]
    async fn view_sums_saturate_and_real_counts_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("roost.db"), Default::default())
            .await
            .unwrap();
        let ids = roost_core::IdGen::new(1);
        let now = Timestamp::now();
        let author = ids.next().unwrap();
        let new = NewAccount {
            id: author,
            username: "a".into(),
            home_region: "in".into(),
            display_name: "a".into(),
            created_at: now,
        };
        s.create_account(&new, None).await.unwrap();
        let st = ids.next().unwrap();
        let post = NewStatus {
            id: st,
            account_id: author,
            text: "x".into(),
            content_html: "<p>x</p>".into(),
            spoiler_text: String::new(),
            visibility: Visibility::Public,
            sensitive: false,
            language: None,
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of_id: None,
            quote_of_id: None,
            created_at: now,
            mentions: vec![],
            tags: vec![],
            idempotency_key: None,
        };
        s.create_status(&post).await.unwrap();
        let max = ViewCount {
            total: i64::MAX,
            today: i64::MAX,
        };
        s.add_views(&[(st, 100, i64::MAX)]).await.unwrap();
        s.add_views(&[(st, 100, i64::MAX), (st, 100, 1), (st, 100, -7)])
            .await
            .unwrap();
        assert_eq!(s.views(&[st], 100).await.unwrap(), vec![(st, max)]);
        // A row an older version let overflow into a REAL still reads as a count.
        s.db.write(|c| {
            exec(
                c,
                "UPDATE status_views SET total = 1e30, day_count = 1e30",
                &[],
            )
            .map_err(backend)
        })
        .await
        .unwrap();
        assert_eq!(s.views(&[st], 100).await.unwrap(), vec![(st, max)]);
    }
}
