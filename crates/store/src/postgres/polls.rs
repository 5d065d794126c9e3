//! `PollStore` and `ScheduledStore`: polls (part of their status), their votes, and posts
//! waiting for their time.

use super::notifications::notifications_into;
use super::statuses::create_status_in;
use super::{backend, exec, get, ms, opt_id, per_chunk, rows, scalar, ts, write_err, PgStore};
use super::{pg_read, pg_write, Db};
use crate::sql::{newest_first, Sql};
use crate::sqlite::polls::Counts;
pub(crate) use crate::sqlite::polls::{SCHEDULED_COLS, SEP};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::{
    EndedPoll, NewPoll, NewStatus, Notification, Page, Poll, ScheduledPoll, ScheduledStatus,
    Status, Visibility,
};
use roost_core::store::{PollStore, ScheduledStore, StoreError, StoreResult};
use roost_core::Id;
use std::collections::HashMap;
use tokio_postgres::Row;

async fn insert_poll(c: &impl Db, status: Id, poll: &NewPoll) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO polls (status_id, multiple, hide_totals, expires_at, ended) VALUES ($1, $2, $3, $4, 0)",
        &[&status.0, &poll.multiple, &poll.hide_totals, &ms(poll.expires_at)],
    ).await
    .map_err(|e| write_err(e, "poll", "status"))?;
    for (i, title) in poll.options.iter().enumerate() {
        exec(
            c,
            "INSERT INTO poll_options (status_id, idx, title) VALUES ($1, $2, $3)",
            &[&status.0, &(i as i64), title],
        )
        .await
        .map_err(backend)?;
    }
    Ok(())
}

pub(crate) async fn polls_in(
    c: &impl Db,
    ids: &[Id],
    viewer: Option<Id>,
) -> StoreResult<Vec<Poll>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let heads = per_chunk(
        c,
        ids,
        |chunk| {
            let mut q = Sql::new(
                "SELECT p.status_id, p.multiple, p.hide_totals, p.expires_at, \
                 COALESCE(p.voters_tally, p.voters_carried + (SELECT COUNT(DISTINCT v.account_id) FROM poll_votes v WHERE v.status_id = p.status_id)) AS voters \
                 FROM polls p WHERE p.status_id IN (",
            );
            q.push_ids(chunk).push(")");
            q
        },
        |r| {
            Ok(Poll {
                status_id: Id(get(r, "status_id")?),
                options: Vec::new(),
                votes: Vec::new(),
                voters_count: get(r, "voters")?,
                multiple: get(r, "multiple")?,
                hide_totals: get(r, "hide_totals")?,
                expires_at: ts(get(r, "expires_at")?)?,
                own_votes: viewer.map(|_| Vec::new()),
                viewer_is_author: false,
            })
        },
    ).await?;
    if heads.is_empty() {
        return Ok(heads);
    }
    let present: Vec<Id> = heads.iter().map(|p| p.status_id).collect();
    let options = per_chunk(
        c,
        &present,
        |chunk| {
            let mut q = Sql::new(
                "SELECT o.status_id, o.idx, o.title, \
                 COALESCE(o.tally, o.carried + (SELECT COUNT(*) FROM poll_votes v WHERE v.status_id = o.status_id AND v.choice = o.idx)) AS votes \
                 FROM poll_options o WHERE o.status_id IN (",
            );
            q.push_ids(chunk).push(") ORDER BY o.status_id, o.idx");
            q
        },
        |r| {
            Ok((
                Id(get(r, "status_id")?),
                get::<String>(r, "title")?,
                get::<i64>(r, "votes")?,
            ))
        },
    ).await?;
    let mut own: HashMap<Id, Vec<u32>> = HashMap::new();
    if let Some(v) = viewer {
        let mine = per_chunk(
            c,
            &present,
            |chunk| {
                let mut q =
                    Sql::new("SELECT status_id, choice FROM poll_votes WHERE account_id = ");
                q.push_arg(v).push(" AND status_id IN (");
                q.push_ids(chunk).push(") ORDER BY status_id, choice");
                q
            },
            |r| Ok((Id(get(r, "status_id")?), get::<i64>(r, "choice")? as u32)),
        )
        .await?;
        for (s, choice) in mine {
            own.entry(s).or_default().push(choice);
        }
    }
    let mut by_id: HashMap<Id, Poll> = heads.into_iter().map(|p| (p.status_id, p)).collect();
    for (s, title, votes) in options {
        if let Some(p) = by_id.get_mut(&s) {
            p.options.push(title);
            p.votes.push(votes);
        }
    }
    for (s, choices) in own {
        if let Some(p) = by_id.get_mut(&s) {
            p.own_votes = Some(choices);
        }
    }
    Ok(by_id.into_values().collect())
}

impl PgStore {
    async fn set_counts(
        &self,
        status: Id,
        votes: &[i64],
        voters: i64,
        which: Counts,
    ) -> StoreResult<bool> {
        let (voters_col, option_col) = which.columns();
        let votes = votes.to_vec();
        pg_write!(self, c, {
            let n = exec(
                c,
                &format!("UPDATE polls SET {voters_col} = $2 WHERE status_id = $1"),
                &[&status.0, &voters],
            )
            .await
            .map_err(backend)?;
            if n == 0 {
                return Ok(false);
            }
            for (i, v) in votes.iter().enumerate() {
                exec(
                    c,
                    &format!(
                        "UPDATE poll_options SET {option_col} = $3 WHERE status_id = $1 AND idx = $2"
                    ),
                    &[&status.0, &(i as i64), v],
                )
                .await
                .map_err(backend)?;
            }
            Ok(true)
        })
    }
}

#[async_trait]
impl PollStore for PgStore {
    async fn create_status_with_poll(
        &self,
        new: &NewStatus,
        poll: &NewPoll,
    ) -> StoreResult<Status> {
        let (new, poll) = (new.clone(), poll.clone());
        pg_write!(self, c, {
            let status = create_status_in(c, &new).await?;
            insert_poll(c, status.id, &poll).await?;
            Ok(status)
        })
    }

    async fn polls(&self, statuses: &[Id], viewer: Option<Id>) -> StoreResult<Vec<Poll>> {
        let ids = statuses.to_vec();
        pg_read!(self, c, polls_in(c, &ids, viewer).await)
    }

    async fn set_poll(
        &self,
        status: Id,
        poll: Option<&NewPoll>,
        keep_votes: bool,
    ) -> StoreResult<()> {
        let poll = poll.cloned();
        pg_write!(self, c, {
            let exists: Option<i64> =
                scalar(c, "SELECT id FROM statuses WHERE id = $1", &[&status.0]).await?;
            if exists.is_none() {
                return Err(StoreError::Missing("status"));
            }
            match (&poll, keep_votes) {
                (Some(p), true) => {
                    exec(
                            c,
                            "UPDATE polls SET multiple = $2, hide_totals = $3, expires_at = $4 WHERE status_id = $1",
                            &[&status.0, &p.multiple, &p.hide_totals, &ms(p.expires_at)],
                        ).await
                        .map_err(backend)?;
                }
                _ => {
                    // Options, votes and the announced mark go with the old poll.
                    exec(c, "DELETE FROM polls WHERE status_id = $1", &[&status.0])
                        .await
                        .map_err(backend)?;
                    if let Some(p) = &poll {
                        insert_poll(c, status, p).await?;
                    }
                }
            }
            Ok(())
        })
    }

    async fn vote(
        &self,
        status: Id,
        account: Id,
        choices: &[u32],
        at: Timestamp,
    ) -> StoreResult<()> {
        let choices = choices.to_vec();
        pg_write!(self, c, {
            let exists: Option<i64> = scalar(
                c,
                "SELECT status_id FROM polls WHERE status_id = $1",
                &[&status.0],
            )
            .await?;
            if exists.is_none() {
                return Err(StoreError::Missing("poll"));
            }
            let voted: Option<i64> = scalar(
                c,
                "SELECT 1 FROM poll_votes WHERE status_id = $1 AND account_id = $2",
                &[&status.0, &account.0],
            )
            .await?;
            if voted.is_some() {
                return Err(StoreError::Conflict("vote"));
            }
            for choice in choices {
                exec(
                        c,
                        "INSERT INTO poll_votes (status_id, account_id, choice, created_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT DO NOTHING",
                        &[&status.0, &account.0, &i64::from(choice), &ms(at)],
                    ).await
                    .map_err(|e| write_err(e, "vote", "account"))?;
            }
            Ok(())
        })
    }

    async fn set_poll_tally(&self, status: Id, votes: &[i64], voters: i64) -> StoreResult<bool> {
        self.set_counts(status, votes, voters, Counts::Tally).await
    }

    async fn carry_poll_votes(&self, status: Id, votes: &[i64], voters: i64) -> StoreResult<bool> {
        self.set_counts(status, votes, voters, Counts::Carried)
            .await
    }

    async fn ended_polls(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<EndedPoll>> {
        pg_read!(self, c, {
            let heads = rows(
                    c,
                    "SELECT p.status_id, s.account_id FROM polls p JOIN statuses s ON s.id = p.status_id \
                     WHERE p.ended = 0 AND p.expires_at <= $1 ORDER BY p.expires_at LIMIT $2",
                    &[&ms(now), &i64::from(limit)],
                    |r| Ok((Id(get(r, "status_id")?), Id(get(r, "account_id")?))),
                ).await?;
            let mut out = Vec::with_capacity(heads.len());
            for (status_id, author) in heads {
                let voters = rows(
                        c,
                        "SELECT DISTINCT account_id FROM poll_votes WHERE status_id = $1 ORDER BY account_id",
                        &[&status_id.0],
                        |r| Ok(Id(get(r, "account_id")?)),
                    ).await?;
                out.push(EndedPoll {
                    status_id,
                    author,
                    voters,
                });
            }
            Ok(out)
        })
    }

    async fn finish_poll(&self, status: Id, notifications: &[Notification]) -> StoreResult<bool> {
        let items = notifications.to_vec();
        pg_write!(self, c, {
            let n = exec(
                c,
                "UPDATE polls SET ended = 1 WHERE status_id = $1 AND ended = 0",
                &[&status.0],
            )
            .await
            .map_err(backend)?;
            if n == 0 {
                return Ok(false);
            }
            notifications_into(c, &items).await?;
            Ok(true)
        })
    }
}

fn scheduled_from_row(r: &Row) -> StoreResult<ScheduledStatus> {
    let visibility: Option<String> = get(r, "visibility")?;
    let options: Option<String> = get(r, "poll_options")?;
    let poll = match options {
        Some(o) => Some(ScheduledPoll {
            options: o.split(SEP).map(String::from).collect(),
            expires_in: get::<Option<i64>>(r, "poll_expires_in")?.unwrap_or(0),
            multiple: get(r, "poll_multiple")?,
            hide_totals: get(r, "poll_hide_totals")?,
        }),
        None => None,
    };
    Ok(ScheduledStatus {
        id: Id(get(r, "id")?),
        account_id: Id(get(r, "account_id")?),
        scheduled_at: ts(get(r, "scheduled_at")?)?,
        text: get(r, "text")?,
        visibility: match visibility {
            Some(v) => Some(
                Visibility::parse(&v).ok_or_else(|| super::corrupt(format!("visibility {v}")))?,
            ),
            None => None,
        },
        spoiler_text: get(r, "spoiler_text")?,
        sensitive: get(r, "sensitive")?,
        language: get(r, "language")?,
        in_reply_to_id: opt_id(get(r, "in_reply_to_id")?),
        quoted_status_id: opt_id(get(r, "quoted_status_id")?),
        poll,
        idempotency_key: get(r, "idempotency_key")?,
        created_at: ts(get(r, "created_at")?)?,
    })
}

#[async_trait]
impl ScheduledStore for PgStore {
    async fn schedule_status(&self, s: &ScheduledStatus) -> StoreResult<()> {
        let s = s.clone();
        pg_write!(self, c, {
            let options = s.poll.as_ref().map(|p| {
                p.options
                    .iter()
                    .map(|o| o.replace(SEP, ""))
                    .collect::<Vec<_>>()
                    .join(&SEP.to_string())
            });
            exec(
                    c,
                    "INSERT INTO scheduled_statuses (id, account_id, scheduled_at, text, visibility, spoiler_text, \
                     sensitive, language, in_reply_to_id, quoted_status_id, poll_options, poll_expires_in, \
                     poll_multiple, poll_hide_totals, idempotency_key, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                    &[
                        &s.id.0,
                        &s.account_id.0,
                        &ms(s.scheduled_at),
                        &s.text,
                        &s.visibility.map(|v| v.as_str()),
                        &s.spoiler_text,
                        &s.sensitive,
                        &s.language,
                        &s.in_reply_to_id.map(|i| i.0),
                        &s.quoted_status_id.map(|i| i.0),
                        &options,
                        &s.poll.as_ref().map(|p| p.expires_in),
                        &s.poll.as_ref().is_some_and(|p| p.multiple),
                        &s.poll.as_ref().is_some_and(|p| p.hide_totals),
                        &s.idempotency_key,
                        &ms(s.created_at),
                    ],
                ).await
                .map_err(|e| write_err(e, "scheduled_status", "account"))?;
            Ok(())
        })
    }

    async fn scheduled_status(&self, account: Id, id: Id) -> StoreResult<Option<ScheduledStatus>> {
        pg_read!(self, c, {
            let sql = format!(
                "SELECT {SCHEDULED_COLS} FROM scheduled_statuses WHERE id = $1 AND account_id = $2"
            );
            Ok(rows(c, &sql, &[&id.0, &account.0], scheduled_from_row)
                .await?
                .pop())
        })
    }

    async fn scheduled_statuses(
        &self,
        account: Id,
        page: Page,
    ) -> StoreResult<Vec<ScheduledStatus>> {
        pg_read!(self, c, {
            let mut q = Sql::new(&format!(
                "SELECT {SCHEDULED_COLS} FROM scheduled_statuses WHERE account_id = "
            ));
            q.push_arg(account);
            let asc = q.push_page("id", &page);
            Ok(newest_first(q.fetch(c, scheduled_from_row).await?, asc))
        })
    }

    async fn reschedule(&self, account: Id, id: Id, at: Timestamp) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(
                c,
                "UPDATE scheduled_statuses SET scheduled_at = $3 WHERE id = $1 AND account_id = $2",
                &[&id.0, &account.0, &ms(at)],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn unschedule(&self, account: Id, id: Id) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(
                c,
                "DELETE FROM scheduled_statuses WHERE id = $1 AND account_id = $2",
                &[&id.0, &account.0],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn due_scheduled(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<ScheduledStatus>> {
        pg_read!(self, c, {
            let sql = format!(
                "SELECT {SCHEDULED_COLS} FROM scheduled_statuses WHERE scheduled_at <= $1 \
                     ORDER BY scheduled_at, id LIMIT $2"
            );
            rows(c, &sql, &[&ms(now), &i64::from(limit)], scheduled_from_row).await
        })
    }

    async fn publish_scheduled(
        &self,
        id: Id,
        new: &NewStatus,
        poll: Option<&NewPoll>,
    ) -> StoreResult<Option<Status>> {
        let (new, poll) = (new.clone(), poll.cloned());
        pg_write!(self, c, {
            let n = exec(c, "DELETE FROM scheduled_statuses WHERE id = $1", &[&id.0])
                .await
                .map_err(backend)?;
            if n == 0 {
                return Ok(None);
            }
            let status = create_status_in(c, &new).await?;
            if let Some(p) = &poll {
                insert_poll(c, status.id, p).await?;
            }
            Ok(Some(status))
        })
    }
}
