//! `NotificationStore`.

use super::{backend, corrupt, exec, get, ms, opt_id, row, scalar, ts, write_err, PgStore};
use super::{pg_read, pg_write, Db};
use crate::sql::{newest_first, shuns, Sql};
pub(crate) use crate::sqlite::notifications::{push_kinds, COLS};
use async_trait::async_trait;
use roost_core::model::{Notification, NotificationFilter, NotificationType, Page};
use roost_core::store::{NotificationStore, StoreResult};
use roost_core::Id;
use tokio_postgres::Row;

fn notification_from_row(row: &Row) -> StoreResult<Notification> {
    let kind: String = get(row, "kind")?;
    Ok(Notification {
        id: Id(get(row, "id")?),
        account_id: Id(get(row, "account_id")?),
        kind: NotificationType::parse(&kind)
            .ok_or_else(|| corrupt(format!("notification type {kind:?}")))?,
        from_account_id: Id(get(row, "from_account_id")?),
        status_id: opt_id(get(row, "status_id")?),
        created_at: ts(get(row, "created_at")?)?,
    })
}

/// Inserts notifications; duplicates are skipped, and so are notifications about a
/// status deleted in the meantime.
pub(crate) async fn notifications_into(c: &impl Db, items: &[Notification]) -> StoreResult<()> {
    for n in items {
        exec(
            c,
            "INSERT INTO notifications (id, account_id, kind, from_account_id, status_id, status_key, created_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7 \
             WHERE $5 IS NULL OR EXISTS (SELECT 1 FROM statuses WHERE id = $5) \
             ON CONFLICT DO NOTHING",
            &[
                &n.id.0,
                &n.account_id.0,
                &n.kind.as_str(),
                &n.from_account_id.0,
                &n.status_id.map(|i| i.0),
                &n.status_id.map_or(0, |i| i.0),
                &ms(n.created_at),
            ],
        ).await
        .map_err(|e| write_err(e, "notification", "account"))?;
    }
    Ok(())
}

#[async_trait]
impl NotificationStore for PgStore {
    async fn create_notifications(&self, items: &[Notification]) -> StoreResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        let items = items.to_vec();
        pg_write!(self, c, notifications_into(c, &items).await)
    }

    async fn notifications(
        &self,
        account: Id,
        filter: &NotificationFilter,
        page: Page,
    ) -> StoreResult<Vec<Notification>> {
        let mut q = Sql::new(&format!(
            "SELECT {COLS} FROM notifications n WHERE n.account_id = "
        ));
        q.push_arg(account);
        // Notifications from accounts the user blocks, is blocked by, mutes (with their
        // notifications) or whose region the user hides are not shown.
        let now = q.arg(super::safety::now_ms());
        q.push(" AND NOT ")
            .push(&shuns("n.account_id", "n.from_account_id", &now, true));
        if !filter.types.is_empty() {
            q.push(" AND n.kind IN (");
            push_kinds(&mut q, &filter.types);
            q.push(")");
        }
        if !filter.exclude_types.is_empty() {
            q.push(" AND n.kind NOT IN (");
            push_kinds(&mut q, &filter.exclude_types);
            q.push(")");
        }
        let asc = q.push_page("n.id", &page);
        let items = pg_read!(self, c, q.fetch(c, notification_from_row).await)?;
        Ok(newest_first(items, asc))
    }

    async fn notification(&self, account: Id, id: Id) -> StoreResult<Option<Notification>> {
        let sql =
            format!("SELECT {COLS} FROM notifications n WHERE n.account_id = $1 AND n.id = $2");
        pg_read!(
            self,
            c,
            row(c, &sql, &[&account.0, &id.0], notification_from_row).await
        )
    }

    async fn dismiss_notification(&self, account: Id, id: Id) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(
                c,
                "DELETE FROM notifications WHERE account_id = $1 AND id = $2",
                &[&account.0, &id.0],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn clear_notifications(&self, account: Id) -> StoreResult<()> {
        pg_write!(self, c, {
            exec(
                c,
                "DELETE FROM notifications WHERE account_id = $1",
                &[&account.0],
            )
            .await
            .map_err(backend)?;
            Ok(())
        })
    }

    async fn count_notifications(&self, account: Id, after: Option<Id>) -> StoreResult<i64> {
        let after = after.map_or(i64::MIN, |i| i.0);
        pg_read!(self, c, {
            let mut q = Sql::new(
                    "SELECT COUNT(*) FROM notifications n WHERE n.account_id = $1 AND n.id > $2 AND NOT ",
                );
            q.push(&shuns("n.account_id", "n.from_account_id", "$3", true));
            scalar::<i64>(c, &q.text, &[&account.0, &after, &super::safety::now_ms()])
                .await
                .map(|n| n.unwrap_or(0))
        })
    }

    async fn remove_notifications(
        &self,
        account: Id,
        from: Id,
        kind: NotificationType,
        status: Option<Id>,
    ) -> StoreResult<()> {
        pg_write!(self, c, {
            exec(
                    c,
                    "DELETE FROM notifications WHERE account_id = $1 AND from_account_id = $2 AND kind = $3 \
                     AND ($4 IS NULL OR status_id = $4)",
                    &[&account.0, &from.0, &kind.as_str(), &status.map(|s| s.0)],
                ).await
                .map_err(backend)?;
            Ok(())
        })
    }
}
