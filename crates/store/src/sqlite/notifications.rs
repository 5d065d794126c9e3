//! `NotificationStore`.

use super::{backend, corrupt, get, ms, opt_id, ts, write_err, SqliteStore};
use crate::sql::{newest_first, Sql};
use async_trait::async_trait;
use roost_core::model::{Notification, NotificationFilter, NotificationType, Page};
use roost_core::store::{NotificationStore, StoreResult};
use roost_core::Id;
use sqlx::sqlite::SqliteRow;

const COLS: &str = "n.id, n.account_id, n.kind, n.from_account_id, n.status_id, n.created_at";

fn notification_from_row(row: &SqliteRow) -> StoreResult<Notification> {
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

fn push_kinds(q: &mut Sql, kinds: &[NotificationType]) {
    for (i, k) in kinds.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push_arg(k.as_str());
    }
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn create_notifications(&self, items: &[Notification]) -> StoreResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut tx = self.w.begin().await.map_err(backend)?;
        for n in items {
            // Duplicates are skipped, and so are notifications about a status deleted
            // in the meantime.
            sqlx::query(
                "INSERT INTO notifications (id, account_id, kind, from_account_id, status_id, status_key, created_at) \
                 SELECT $1, $2, $3, $4, $5, $6, $7 \
                 WHERE $5 IS NULL OR EXISTS (SELECT 1 FROM statuses WHERE id = $5) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(n.id.0)
            .bind(n.account_id.0)
            .bind(n.kind.as_str())
            .bind(n.from_account_id.0)
            .bind(n.status_id.map(|i| i.0))
            .bind(n.status_id.map_or(0, |i| i.0))
            .bind(ms(n.created_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| write_err(e, "notification", "account"))?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(())
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
        let rows = q.fetch_all(&self.r).await.map_err(backend)?;
        let items = rows
            .iter()
            .map(notification_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(newest_first(items, asc))
    }

    async fn notification(&self, account: Id, id: Id) -> StoreResult<Option<Notification>> {
        let sql =
            format!("SELECT {COLS} FROM notifications n WHERE n.account_id = $1 AND n.id = $2");
        let row = sqlx::query(&sql)
            .bind(account.0)
            .bind(id.0)
            .fetch_optional(&self.r)
            .await
            .map_err(backend)?;
        row.as_ref().map(notification_from_row).transpose()
    }

    async fn dismiss_notification(&self, account: Id, id: Id) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM notifications WHERE account_id = $1 AND id = $2")
            .bind(account.0)
            .bind(id.0)
            .execute(&self.w)
            .await
            .map_err(backend)?
            .rows_affected();
        Ok(n > 0)
    }

    async fn clear_notifications(&self, account: Id) -> StoreResult<()> {
        sqlx::query("DELETE FROM notifications WHERE account_id = $1")
            .bind(account.0)
            .execute(&self.w)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn count_notifications(&self, account: Id, after: Option<Id>) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE account_id = $1 AND id > $2")
            .bind(account.0)
            .bind(after.map_or(i64::MIN, |i| i.0))
            .fetch_one(&self.r)
            .await
            .map_err(backend)
    }

    async fn remove_notifications(
        &self,
        account: Id,
        from: Id,
        kind: NotificationType,
        status: Option<Id>,
    ) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM notifications WHERE account_id = $1 AND from_account_id = $2 AND kind = $3 \
             AND ($4 IS NULL OR status_id = $4)",
        )
            .bind(account.0)
            .bind(from.0)
            .bind(kind.as_str())
            .bind(status.map(|s| s.0))
            .execute(&self.w)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
