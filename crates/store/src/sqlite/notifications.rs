//! `NotificationStore`.

use super::{backend, corrupt, exec, get, ms, opt_id, row, scalar, ts, write_err, SqliteStore};
use crate::sql::{newest_first, shuns, Sql};
use async_trait::async_trait;
use roost_core::model::{Notification, NotificationFilter, NotificationType, Page};
use roost_core::store::{NotificationStore, StoreResult};
use roost_core::Id;
use rusqlite::Connection;

pub(crate) const COLS: &str =
    "n.id, n.account_id, n.kind, n.from_account_id, n.status_id, n.created_at";

fn notification_from_row(row: &rusqlite::Row<'_>) -> StoreResult<Notification> {
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

pub(crate) fn push_kinds(q: &mut Sql, kinds: &[NotificationType]) {
    for (i, k) in kinds.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push_arg(k.as_str());
    }
}

/// Inserts notifications; duplicates are skipped, and so are notifications about a
/// status deleted in the meantime.
pub(crate) fn notifications_into(c: &Connection, items: &[Notification]) -> StoreResult<()> {
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
        )
        .map_err(|e| write_err(e, "notification", "account"))?;
    }
    Ok(())
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn create_notifications(&self, items: &[Notification]) -> StoreResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        let items = items.to_vec();
        self.db.write(move |c| notifications_into(c, &items)).await
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
        let items = self
            .db
            .read(move |c| q.rows(c, notification_from_row))
            .await?;
        Ok(newest_first(items, asc))
    }

    async fn notification(&self, account: Id, id: Id) -> StoreResult<Option<Notification>> {
        let sql =
            format!("SELECT {COLS} FROM notifications n WHERE n.account_id = $1 AND n.id = $2");
        self.db
            .read(move |c| row(c, &sql, &[&account.0, &id.0], notification_from_row))
            .await
    }

    async fn dismiss_notification(&self, account: Id, id: Id) -> StoreResult<bool> {
        self.db
            .write(move |c| {
                let n = exec(
                    c,
                    "DELETE FROM notifications WHERE account_id = $1 AND id = $2",
                    &[&account.0, &id.0],
                )
                .map_err(backend)?;
                Ok(n > 0)
            })
            .await
    }

    async fn clear_notifications(&self, account: Id) -> StoreResult<()> {
        self.db
            .write(move |c| {
                exec(
                    c,
                    "DELETE FROM notifications WHERE account_id = $1",
                    &[&account.0],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn count_notifications(&self, account: Id, after: Option<Id>) -> StoreResult<i64> {
        let after = after.map_or(i64::MIN, |i| i.0);
        self.db
            .read(move |c| {
                let mut q = Sql::new(
                    "SELECT COUNT(*) FROM notifications n WHERE n.account_id = $1 AND n.id > $2 AND NOT ",
                );
                q.push(&shuns("n.account_id", "n.from_account_id", "$3", true));
                scalar::<i64>(c, &q.text, &[&account.0, &after, &super::safety::now_ms()])
                .map(|n| n.unwrap_or(0))
            })
            .await
    }

    async fn remove_notifications(
        &self,
        account: Id,
        from: Id,
        kind: NotificationType,
        status: Option<Id>,
    ) -> StoreResult<()> {
        self.db
            .write(move |c| {
                exec(
                    c,
                    "DELETE FROM notifications WHERE account_id = $1 AND from_account_id = $2 AND kind = $3 \
                     AND ($4 IS NULL OR status_id = $4)",
                    &[&account.0, &from.0, &kind.as_str(), &status.map(|s| s.0)],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }
}
