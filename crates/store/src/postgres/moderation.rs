//! `ModerationStore`: roles and standing of local users, moderation marks on account rows,
//! reports and the region's domain blocks.
//!
//! Marks live on the `accounts` row, so every account read carries them (this store
//! caches no rows: a suspension is seen by the next read on any node).

use super::accounts::{account_from_row, accounts_in, create_account_in, fold_case, ACCOUNT_COLS};
use super::identity::{token_from_row, TOKEN_COLS, TOKEN_PENDING};
use super::PgStore;
use super::{backend, corrupt, exec, get, ms, opt_id, opt_ts, row, rows, ts, write_err};
use super::{pg_read, pg_write, Db};
use crate::sql::{newest_first, Sql, ID_CHUNK};
pub(crate) use crate::sqlite::moderation::{BLOCK_COLS, REPORT_COLS, USER_MOD_COLS};
use async_trait::async_trait;
use jiff::Timestamp;
use roost_core::model::*;
use roost_core::store::{ModerationStore, StoreResult};
use roost_core::Id;
use tokio_postgres::Row;

fn user_mod_from_row(r: &Row) -> StoreResult<UserModeration> {
    let role: String = get(r, "role")?;
    Ok(UserModeration {
        account_id: Id(get(r, "account_id")?),
        email: get(r, "email")?,
        locale: get(r, "locale")?,
        role: Role::parse(&role).ok_or_else(|| corrupt(format!("role {role}")))?,
        approved: get(r, "approved")?,
        disabled: get(r, "disabled")?,
        sign_up_reason: get(r, "sign_up_reason")?,
        sign_up_ip: get(r, "sign_up_ip")?,
        created_at: ts(get(r, "created_at")?)?,
    })
}

fn report_from_row(r: &Row) -> StoreResult<Report> {
    let category: String = get(r, "category")?;
    let rules: String = get(r, "rule_ids")?;
    Ok(Report {
        id: Id(get(r, "id")?),
        account_id: opt_id(get(r, "account_id")?),
        target_account_id: Id(get(r, "target_account_id")?),
        category: ReportCategory::parse(&category)
            .ok_or_else(|| corrupt(format!("report category {category}")))?,
        comment: get(r, "comment")?,
        rule_ids: rules
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        status_ids: Vec::new(),
        forwarded: get(r, "forwarded")?,
        origin_region: get(r, "origin_region")?,
        assigned_account_id: opt_id(get(r, "assigned_account_id")?),
        action_taken_by: opt_id(get(r, "action_taken_by")?),
        action_taken_at: opt_ts(get(r, "action_taken_at")?)?,
        created_at: ts(get(r, "created_at")?)?,
        updated_at: ts(get(r, "updated_at")?)?,
    })
}

fn block_from_row(r: &Row) -> StoreResult<DomainBlock> {
    let severity: String = get(r, "severity")?;
    Ok(DomainBlock {
        id: Id(get(r, "id")?),
        domain: get(r, "domain")?,
        severity: DomainSeverity::parse(&severity)
            .ok_or_else(|| corrupt(format!("severity {severity}")))?,
        reject_media: get(r, "reject_media")?,
        reject_reports: get(r, "reject_reports")?,
        private_comment: get(r, "private_comment")?,
        public_comment: get(r, "public_comment")?,
        obfuscate: get(r, "obfuscate")?,
        created_at: ts(get(r, "created_at")?)?,
    })
}

/// Fills in each report's statuses.
async fn with_statuses(c: &impl Db, mut reports: Vec<Report>) -> StoreResult<Vec<Report>> {
    for r in &mut reports {
        r.status_ids = rows(
            c,
            "SELECT status_id FROM report_statuses WHERE report_id = $1 ORDER BY status_id",
            &[&r.id.0],
            |row| Ok(Id(get(row, "status_id")?)),
        )
        .await?;
    }
    Ok(reports)
}

#[async_trait]
impl ModerationStore for PgStore {
    async fn findable_account_by_username(&self, username: &str) -> StoreResult<Option<Account>> {
        let key = fold_case(username);
        pg_read!(self, c, {
            let sql = format!(
                "SELECT {ACCOUNT_COLS} FROM accounts a WHERE a.username_key = $1 \
                     AND NOT EXISTS (SELECT 1 FROM users u \
                                     WHERE u.account_id = a.id AND u.approved = 0)"
            );
            super::keys::opened(c, row(c, &sql, &[&key], account_from_row).await?).await
        })
    }

    async fn set_role(&self, account: Id, role: Role) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(
                c,
                "UPDATE users SET role = $2 WHERE account_id = $1",
                &[&account.0, &role.as_str()],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn user_moderation(&self, account: Id) -> StoreResult<Option<UserModeration>> {
        pg_read!(self, c, {
            let sql = format!("SELECT {USER_MOD_COLS} FROM users u WHERE u.account_id = $1");
            row(c, &sql, &[&account.0], user_mod_from_row).await
        })
    }

    async fn set_account_flag(
        &self,
        account: Id,
        flag: AccountFlag,
        at: Option<Timestamp>,
    ) -> StoreResult<bool> {
        let col = match flag {
            AccountFlag::Suspended => "suspended_at",
            AccountFlag::Silenced => "silenced_at",
            AccountFlag::Sensitized => "sensitized_at",
        };
        pg_write!(self, c, {
            // Keeps the first time a mark was set when it is set again.
            let sql = format!(
                "UPDATE accounts SET {col} = CASE WHEN $2 IS NULL THEN NULL \
                     ELSE COALESCE({col}, $2) END WHERE id = $1"
            );
            let n = exec(c, &sql, &[&account.0, &at.map(ms)])
                .await
                .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn set_user_standing(
        &self,
        account: Id,
        approved: Option<bool>,
        disabled: Option<bool>,
    ) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(
                c,
                "UPDATE users SET approved = COALESCE($2, approved), \
                       disabled = COALESCE($3, disabled) WHERE account_id = $1",
                &[&account.0, &approved, &disabled],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn set_sign_up_reason(&self, account: Id, reason: &str) -> StoreResult<()> {
        let reason = reason.to_owned();
        pg_write!(self, c, {
            exec(
                c,
                "UPDATE users SET sign_up_reason = $2 WHERE account_id = $1",
                &[&account.0, &reason],
            )
            .await
            .map_err(backend)?;
            Ok(())
        })
    }

    async fn create_pending_account(
        &self,
        account: &NewAccount,
        user: &User,
        reason: &str,
    ) -> StoreResult<Account> {
        let (account, user, reason) = (account.clone(), user.clone(), reason.to_owned());
        pg_write!(self, c, {
            let created = create_account_in(c, &account, Some(&user)).await?;
            exec(
                c,
                "UPDATE users SET approved = 0, sign_up_reason = $2 WHERE account_id = $1",
                &[&account.id.0, &reason],
            )
            .await
            .map_err(backend)?;
            Ok(created)
        })
    }

    async fn delete_account(&self, account: Id) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(c, "DELETE FROM accounts WHERE id = $1", &[&account.0])
                .await
                .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn admin_accounts(
        &self,
        filter: &AdminAccountFilter,
        page: Page,
    ) -> StoreResult<Vec<Id>> {
        let f = filter.clone();
        let mut q = Sql::new(
            "SELECT a.id FROM accounts a LEFT JOIN users u ON u.account_id = a.id WHERE 1 = 1",
        );
        match f.origin {
            Some(AccountOrigin::Local) => {
                q.push(" AND a.home_region = ")
                    .push_arg(f.local_region.clone());
            }
            Some(AccountOrigin::Remote) => {
                q.push(" AND a.home_region <> ")
                    .push_arg(f.local_region.clone());
            }
            None => {}
        }
        match f.standing {
            Some(AccountStanding::Active) => {
                q.push(
                    " AND a.suspended_at IS NULL AND (u.account_id IS NULL \
                     OR (u.approved = 1 AND u.disabled = 0))",
                );
            }
            Some(AccountStanding::Pending) => {
                q.push(" AND u.approved = 0");
            }
            Some(AccountStanding::Disabled) => {
                q.push(" AND u.disabled = 1");
            }
            Some(AccountStanding::Silenced) => {
                q.push(" AND a.silenced_at IS NOT NULL");
            }
            Some(AccountStanding::Suspended) => {
                q.push(" AND a.suspended_at IS NOT NULL");
            }
            None => {}
        }
        if let Some(name) = f.username.as_deref().filter(|n| !n.is_empty()) {
            // A prefix match; LIKE's own wildcards (`_` is common in usernames) are
            // escaped so they match themselves.
            let prefix: String = fold_case(name)
                .chars()
                .flat_map(|c| match c {
                    '%' | '_' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            q.push(" AND a.username_key LIKE ")
                .push_arg(format!("{prefix}%"))
                .push(" ESCAPE '\\'");
        }
        if f.staff {
            q.push(" AND u.role <> 'user'");
        }
        let asc = q.push_page("a.id", &page);
        let ids = pg_read!(self, c, q.fetch(c, |r| Ok(Id(get(r, "id")?))).await)?;
        Ok(newest_first(ids, asc))
    }

    async fn admin_account_rows(&self, ids: &[Id]) -> StoreResult<Vec<AdminAccountRow>> {
        let ids = ids.to_vec();
        pg_read!(self, c, {
            let accounts = accounts_in(c, &ids).await?;
            let mut out = Vec::with_capacity(accounts.len());
            let mut users = Vec::new();
            let mut sensitized = Vec::new();
            for chunk in ids.chunks(ID_CHUNK) {
                let mut q = Sql::new(&format!(
                    "SELECT {USER_MOD_COLS} FROM users u WHERE u.account_id IN ("
                ));
                q.push_ids(chunk).push(")");
                users.extend(q.fetch(c, user_mod_from_row).await?);
                let mut q =
                    Sql::new("SELECT id FROM accounts WHERE sensitized_at IS NOT NULL AND id IN (");
                q.push_ids(chunk).push(")");
                sensitized.extend(q.fetch(c, |r| Ok(Id(get(r, "id")?))).await?);
            }
            for a in accounts {
                let user = users.iter().find(|u| u.account_id == a.id).cloned();
                out.push(AdminAccountRow {
                    sensitized: sensitized.contains(&a.id),
                    account: a,
                    user,
                });
            }
            Ok(out)
        })
    }

    async fn staff(&self, role: Role) -> StoreResult<Vec<Id>> {
        let wanted: Vec<&'static str> = Role::ALL
            .into_iter()
            .filter(|r| *r >= role)
            .map(Role::as_str)
            .collect();
        pg_read!(self, c, {
            let mut q = Sql::new("SELECT account_id FROM users WHERE role IN (");
            for (i, r) in wanted.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.push_arg(*r);
            }
            q.push(") ORDER BY account_id");
            q.fetch(c, |r| Ok(Id(get(r, "account_id")?))).await
        })
    }

    async fn tokens_of(&self, account: Id) -> StoreResult<Vec<Token>> {
        pg_read!(self, c, {
            let sql = format!(
                    "SELECT {TOKEN_COLS}, {TOKEN_PENDING} FROM tokens WHERE account_id = $1 AND revoked = 0"
                );
            rows(c, &sql, &[&account.0], token_from_row).await
        })
    }

    async fn create_report(&self, report: &Report) -> StoreResult<()> {
        let r = report.clone();
        pg_write!(self, c, {
            exec(
                c,
                &format!(
                    "INSERT INTO reports ({REPORT_COLS}) VALUES \
                         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                ),
                &[
                    &r.id.0,
                    &r.account_id.map(|i| i.0),
                    &r.target_account_id.0,
                    &r.category.as_str(),
                    &r.comment,
                    &r.rule_ids.join(","),
                    &r.forwarded,
                    &r.origin_region,
                    &r.assigned_account_id.map(|i| i.0),
                    &r.action_taken_by.map(|i| i.0),
                    &r.action_taken_at.map(ms),
                    &ms(r.created_at),
                    &ms(r.updated_at),
                ],
            )
            .await
            .map_err(|e| write_err(e, "report", "account"))?;
            for s in &r.status_ids {
                exec(
                    c,
                    "INSERT INTO report_statuses (report_id, status_id) VALUES ($1, $2) \
                         ON CONFLICT DO NOTHING",
                    &[&r.id.0, &s.0],
                )
                .await
                .map_err(backend)?;
            }
            Ok(())
        })
    }

    async fn report(&self, id: Id) -> StoreResult<Option<Report>> {
        pg_read!(self, c, {
            let sql = format!("SELECT {REPORT_COLS} FROM reports WHERE id = $1");
            let found = row(c, &sql, &[&id.0], report_from_row).await?;
            Ok(with_statuses(c, found.into_iter().collect()).await?.pop())
        })
    }

    async fn reports(&self, filter: &ReportFilter, page: Page) -> StoreResult<Vec<Report>> {
        let mut q = Sql::new(&format!("SELECT {REPORT_COLS} FROM reports WHERE 1 = 1"));
        match filter.resolved {
            Some(true) => {
                q.push(" AND action_taken_at IS NOT NULL");
            }
            Some(false) => {
                q.push(" AND action_taken_at IS NULL");
            }
            None => {}
        }
        if let Some(a) = filter.account_id {
            q.push(" AND account_id = ").push_arg(a);
        }
        if let Some(a) = filter.target_account_id {
            q.push(" AND target_account_id = ").push_arg(a);
        }
        let asc = q.push_page("id", &page);
        let found = pg_read!(self, c, {
            let found = q.fetch(c, report_from_row).await?;
            with_statuses(c, found).await
        })?;
        Ok(newest_first(found, asc))
    }

    async fn update_report(&self, report: &Report) -> StoreResult<bool> {
        let r = report.clone();
        pg_write!(self, c, {
            let n = exec(
                c,
                "UPDATE reports SET assigned_account_id = $2, action_taken_by = $3, \
                       action_taken_at = $4, updated_at = $5, forwarded = $6 WHERE id = $1",
                &[
                    &r.id.0,
                    &r.assigned_account_id.map(|i| i.0),
                    &r.action_taken_by.map(|i| i.0),
                    &r.action_taken_at.map(ms),
                    &ms(r.updated_at),
                    &r.forwarded,
                ],
            )
            .await
            .map_err(backend)?;
            Ok(n > 0)
        })
    }

    async fn create_domain_block(&self, block: &DomainBlock) -> StoreResult<()> {
        let b = block.clone();
        pg_write!(self, c, {
            exec(
                c,
                &format!(
                    "INSERT INTO admin_domain_blocks ({BLOCK_COLS}) VALUES \
                         ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                ),
                &[
                    &b.id.0,
                    &b.domain.to_lowercase(),
                    &b.severity.as_str(),
                    &b.reject_media,
                    &b.reject_reports,
                    &b.private_comment,
                    &b.public_comment,
                    &b.obfuscate,
                    &ms(b.created_at),
                ],
            )
            .await
            .map_err(|e| write_err(e, "domain", "domain"))?;
            Ok(())
        })
    }

    async fn domain_blocks(&self) -> StoreResult<Vec<DomainBlock>> {
        pg_read!(self, c, {
            let sql = format!("SELECT {BLOCK_COLS} FROM admin_domain_blocks ORDER BY id DESC");
            rows(c, &sql, &[], block_from_row).await
        })
    }

    async fn delete_domain_block(&self, id: Id) -> StoreResult<bool> {
        pg_write!(self, c, {
            let n = exec(c, "DELETE FROM admin_domain_blocks WHERE id = $1", &[&id.0])
                .await
                .map_err(backend)?;
            Ok(n > 0)
        })
    }
}
