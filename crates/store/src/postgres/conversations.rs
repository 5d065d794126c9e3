//! `ConversationStore`: direct threads per local participant, and the conversation part
//! of the fan-out of a direct status.

use super::{backend, corrupt, exec, get, per_chunk, PgStore};
use super::{pg_read, pg_write, Db};
use crate::sql::{newest_first, Sql};
use crate::sqlite::conversations::COLS;
use async_trait::async_trait;
use roost_core::model::{Conversation, NewStatus, Page, Visibility};
use roost_core::store::{ConversationStore, StoreResult};
use roost_core::Id;
use tokio_postgres::Row;

fn conversation_of(r: &Row) -> StoreResult<Conversation> {
    let participants: String = get(r, "participants")?;
    Ok(Conversation {
        id: Id(get(r, "id")?),
        account_id: Id(get(r, "account_id")?),
        root_id: Id(get(r, "root_id")?),
        last_id: Id(get(r, "last_id")?),
        last_status_id: get::<Option<i64>>(r, "last_status_id")?.map(Id),
        participants: participants
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse()
                    .map(Id)
                    .map_err(|_| corrupt(format!("participant {p:?}")))
            })
            .collect::<StoreResult<_>>()?,
        unread: get(r, "unread")?,
    })
}

/// A direct status opens or moves up the thread's conversation of each local
/// participant: read for its author, unread for the others.
pub(crate) async fn fan_out_in(c: &impl Db, new: &NewStatus) -> StoreResult<()> {
    if new.visibility != Visibility::Direct || new.reblog_of_id.is_some() {
        return Ok(());
    }
    let root = super::safety::root_in(c, new.id).await?;
    let mut everyone = vec![new.account_id];
    everyone.extend(
        new.mentions
            .iter()
            .copied()
            .filter(|m| *m != new.account_id),
    );
    let local: Vec<Id> = per_chunk(
        c,
        &everyone,
        |chunk| {
            let mut q = Sql::new("SELECT account_id AS id FROM users WHERE account_id IN (");
            q.push_ids(chunk).push(")");
            q
        },
        super::id_of,
    )
    .await?;
    for p in local {
        let others: Vec<String> = everyone
            .iter()
            .filter(|a| **a != p)
            .map(|a| a.0.to_string())
            .collect();
        exec(
            c,
            "INSERT INTO conversations (account_id, id, root_id, last_id, last_status_id, participants, unread) \
             VALUES ($1, $2, $3, $2, $2, $4, $5) \
             ON CONFLICT (account_id, root_id) DO UPDATE SET \
               last_id = CASE WHEN excluded.last_id > conversations.last_id THEN excluded.last_id ELSE conversations.last_id END, \
               last_status_id = CASE WHEN excluded.last_id > conversations.last_id THEN excluded.last_status_id ELSE conversations.last_status_id END, \
               participants = excluded.participants, unread = excluded.unread",
            &[&p.0, &new.id.0, &root.0, &others.join(","), &(p != new.account_id)],
        ).await
        .map_err(backend)?;
    }
    Ok(())
}

/// Before a status is deleted: its conversations fall back to their thread's newest other
/// direct message, or go (the SQLite store's `before_delete_in`, same SQL).
pub(crate) async fn before_delete_in(c: &impl Db, status: Id) -> StoreResult<()> {
    use crate::sqlite::conversations::{DROP_EMPTY, MOVE_BACK, NEWEST_LEFT, POINTING_AT};
    let pointing = super::rows(c, POINTING_AT, &[&status.0], |r| {
        Ok((get::<i64>(r, "account_id")?, get::<i64>(r, "root_id")?))
    })
    .await?;
    for (account, root) in pointing {
        let newest = super::scalar::<Option<i64>>(c, NEWEST_LEFT, &[&account, &root, &status.0])
            .await?
            .flatten();
        match newest {
            Some(last) => exec(c, MOVE_BACK, &[&account, &root, &last]).await,
            None => exec(c, DROP_EMPTY, &[&account, &root]).await,
        }
        .map_err(backend)?;
    }
    Ok(())
}

#[async_trait]
impl ConversationStore for PgStore {
    async fn conversations(&self, account: Id, page: Page) -> StoreResult<Vec<Conversation>> {
        pg_read!(self, c, {
            let mut q = Sql::new(&format!(
                "SELECT {COLS} FROM conversations c WHERE c.account_id = "
            ));
            q.push_arg(account);
            let asc = q.push_page("c.last_id", &page);
            Ok(newest_first(q.fetch(c, conversation_of).await?, asc))
        })
    }

    async fn conversation(&self, account: Id, id: Id) -> StoreResult<Option<Conversation>> {
        pg_read!(self, c, {
            let sql =
                format!("SELECT {COLS} FROM conversations c WHERE c.account_id = $1 AND c.id = $2");
            super::row(c, &sql, &[&account.0, &id.0], conversation_of).await
        })
    }

    async fn mark_conversation_read(&self, account: Id, id: Id) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(
                c,
                "UPDATE conversations SET unread = 0 WHERE account_id = $1 AND id = $2",
                &[&account.0, &id.0],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn delete_conversation(&self, account: Id, id: Id) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(
                c,
                "DELETE FROM conversations WHERE account_id = $1 AND id = $2",
                &[&account.0, &id.0],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn conversations_of_status(
        &self,
        status: Id,
        accounts: &[Id],
    ) -> StoreResult<Vec<Conversation>> {
        let accounts = accounts.to_vec();
        pg_read!(self, c, {
            per_chunk(
                c,
                &accounts,
                |chunk| {
                    let mut q = Sql::new(&format!(
                        "SELECT {COLS} FROM conversations c WHERE c.last_status_id = "
                    ));
                    q.push_arg(status).push(" AND c.account_id IN (");
                    q.push_ids(chunk).push(")");
                    q
                },
                conversation_of,
            )
            .await
        })
    }
}
