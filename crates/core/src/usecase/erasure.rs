//! Erasing an account. At home: the user deletes their own (their current password
//! confirms it) or the operator does (`roost admin delete-account`); every row of theirs
//! goes in one write, their files and search entries after it, and every region that
//! holds anything of theirs is told (`Outbound::Erased`). The home keeps an erasure
//! record with no personal data, which each region's signed acknowledgement completes.
//! Abroad: the told region removes all it holds of them and keeps a record of that, with
//! no personal data either (`receive_erasure`).

use super::{now, Roost};
use crate::id::Id;
use crate::model::*;
use crate::remote::Outbound;
use crate::{CoreError, CoreResult};

/// Erasure records an admin listing shows at most.
pub const MAX_ERASURES: u32 = 1000;

impl Roost {
    /// The user deletes their own account; `password` is their current one.
    pub async fn delete_own_account(
        &self,
        account: &Account,
        password: &str,
    ) -> CoreResult<Erasure> {
        self.confirm_password(account, password).await?;
        self.erase_local_account(account).await
    }

    /// The account's current password, asked before it is deleted or moved.
    pub(crate) async fn confirm_password(
        &self,
        account: &Account,
        password: &str,
    ) -> CoreResult<()> {
        if password.is_empty() {
            return Err(CoreError::Validation(
                "Validation failed: Password can't be blank".into(),
            ));
        }
        let user = self
            .store
            .user(account.id)
            .await?
            .ok_or(CoreError::NotFound("account"))?;
        if !crate::password::verify(password.to_string(), Some(user.password_hash)).await {
            return Err(CoreError::Forbidden("Invalid password".into()));
        }
        Ok(())
    }

    /// `roost admin delete-account USERNAME`.
    pub async fn admin_delete_account(&self, username: &str) -> CoreResult<Erasure> {
        let account = self
            .store
            .account_by_username(username)
            .await?
            .filter(|a| self.is_local(a))
            .ok_or(CoreError::NotFound("account"))?;
        self.erase_local_account(&account).await
    }

    async fn erase_local_account(&self, account: &Account) -> CoreResult<Erasure> {
        self.erase_local_account_to(account, None).await
    }

    /// Erases the account; with `moved_to` (its new ID and home) the told regions point
    /// their follows there first.
    pub(crate) async fn erase_local_account_to(
        &self,
        account: &Account,
        moved_to: Option<(Id, String)>,
    ) -> CoreResult<Erasure> {
        // Asked before the rows go: the ledger names every region that got anything.
        let regions = self.remote.erasure_regions(account.id).await?;
        // Through the caches too, so the tokens stop working at once.
        self.revoke_all_tokens(account.id).await?;
        let record = Erasure {
            account_id: account.id,
            erased_at: now(),
            regions: regions
                .iter()
                .map(|r| ErasureRegion {
                    region: r.clone(),
                    acknowledged_at: None,
                    ledger_index: None,
                })
                .collect(),
        };
        let rows = self
            .store
            .erase_account(account.id, Some(&record))
            .await?
            .ok_or(CoreError::NotFound("account"))?;
        self.forget_erased(&rows).await?;
        self.publish(Outbound::Erased {
            account: account.id,
            username: account.username.clone(),
            regions,
            moved_to,
        })
        .await?;
        Ok(record)
    }

    /// Another region's user was erased at `home`: everything of theirs kept here goes,
    /// and the record of it stays (`ForeignErasure`), so that a restore from an older
    /// backup erases them again and what arrives of them late is not applied.
    pub async fn receive_erasure(&self, account: Id, home: &str) -> CoreResult<()> {
        if !self.is_foreign_id(account) {
            return Err(CoreError::Forbidden(
                "a region cannot speak for this region's accounts".into(),
            ));
        }
        let record = ForeignErasure {
            account_id: account,
            home_region: home.to_owned(),
            erased_at: now(),
        };
        if let Some(rows) = self.store.erase_foreign_account(&record).await? {
            self.forget_erased(&rows).await?;
        }
        Ok(())
    }

    /// Whether this region was told that the foreign account `account` was erased.
    pub async fn erased_abroad(&self, account: Id) -> CoreResult<bool> {
        if !self.is_foreign_id(account) {
            return Ok(false);
        }
        Ok(self.store.foreign_erasure(account).await?.is_some())
    }

    /// What lives outside the store: the search index's entries and the files.
    async fn forget_erased(&self, rows: &ErasedRows) -> CoreResult<()> {
        self.search_forget(&rows.statuses);
        if let Some(ports) = &self.media {
            for hash in &rows.blobs {
                if !self.store.blob_in_use(hash).await? {
                    ports
                        .blobs
                        .delete(hash)
                        .await
                        .map_err(super::media::blob_err)?;
                }
            }
        }
        Ok(())
    }

    /// A told region's acknowledgement, recorded in the ledger at `ledger_index`: false
    /// if that region was not told of this erasure or has already answered.
    pub async fn record_erasure_ack(
        &self,
        account: Id,
        region: &str,
        ledger_index: u64,
    ) -> CoreResult<bool> {
        Ok(self
            .store
            .acknowledge_erasure(account, region, now(), ledger_index)
            .await?)
    }

    pub async fn erasure(&self, account: Id) -> CoreResult<Option<Erasure>> {
        Ok(self.store.erasure(account).await?)
    }

    pub async fn erasures(&self, limit: u32) -> CoreResult<Vec<Erasure>> {
        Ok(self.store.erasures(limit.min(MAX_ERASURES)).await?)
    }
}
