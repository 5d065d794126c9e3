//! A user takes their data with them: the archive of their account (Mastodon's
//! "Request your archive", with roost's residency report and ledger proofs). Read a
//! page at a time and handed to an [`ArchiveWriter`], which writes it where it likes
//! (the federation's writes a ZIP to a temporary file): memory holds one page of
//! statuses, likes or bookmarks and one file, whatever the account's size.

use super::profile_pictures::hash_and_ext;
use super::Roost;
use crate::export::{ArchiveWriter, ArchivedPicture, ArchivedStatus};
use crate::model::{Account, AccountStatusFilter, Page};
use crate::{CoreError, CoreResult, Id};
use std::collections::HashMap;

/// Statuses, likes or bookmarks read at once.
const PAGE: u32 = 40;

impl Roost {
    /// Writes the archive of a local account through `out`.
    pub async fn export_account(
        &self,
        account: &Account,
        out: &mut dyn ArchiveWriter,
    ) -> CoreResult<()> {
        // The stored row, not the caller's copy: the archive shows what is kept.
        let account = self
            .store
            .account(account.id)
            .await?
            .filter(|a| self.is_local(a))
            .ok_or(CoreError::NotFound("account"))?;
        let avatar = self.picture(account.avatar.as_deref()).await?;
        let header = self.picture(account.header.as_deref()).await?;
        out.actor(&account, avatar, header).await?;

        let all = AccountStatusFilter::default();
        let mut max_id = None;
        loop {
            let ids = self.own_statuses(&account, &all, max_id).await?;
            max_id = ids.last().copied();
            let page = self.archived(&ids).await?;
            out.statuses(&account, page).await?;
            if ids.len() < PAGE as usize {
                break;
            }
        }

        // A second pass for the files, so that no list of them is held meanwhile.
        let with_media = AccountStatusFilter {
            exclude_reblogs: true,
            ..Default::default()
        };
        let mut max_id = None;
        loop {
            let ids = self.own_statuses(&account, &with_media, max_id).await?;
            max_id = ids.last().copied();
            for m in self.store.status_media(&ids).await? {
                let Some(file) = &m.file else { continue };
                if let Some(bytes) = self.blob(&file.hash).await? {
                    out.media_file(&m, bytes).await?;
                }
            }
            if ids.len() < PAGE as usize {
                break;
            }
        }

        let mut max_id = None;
        loop {
            let rows = self.store.favourites_of(account.id, page(max_id)).await?;
            max_id = rows.last().map(|r| r.cursor);
            let ids: Vec<Id> = rows.iter().map(|r| r.item).collect();
            out.likes(&ids).await?;
            if rows.len() < PAGE as usize {
                break;
            }
        }
        let mut max_id = None;
        loop {
            let rows = self.store.bookmarks_of(account.id, page(max_id)).await?;
            max_id = rows.last().map(|r| r.cursor);
            let ids: Vec<Id> = rows.iter().map(|r| r.item).collect();
            out.bookmarks(&ids).await?;
            if rows.len() < PAGE as usize {
                break;
            }
        }

        out.residency(&account).await
    }

    async fn own_statuses(
        &self,
        account: &Account,
        filter: &AccountStatusFilter,
        max_id: Option<Id>,
    ) -> CoreResult<Vec<Id>> {
        Ok(self
            .store
            .account_statuses(account.id, Some(account.id), filter, page(max_id))
            .await?)
    }

    /// The statuses with their mentions, tags, files and polls, in the order of `ids`.
    async fn archived(&self, ids: &[Id]) -> CoreResult<Vec<ArchivedStatus>> {
        let mut statuses: HashMap<Id, _> = self
            .store
            .statuses(ids)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let mentions = self.store.mentions(ids).await?;
        let mentioned: Vec<Id> = mentions.iter().map(|(_, a)| *a).collect();
        let accounts: HashMap<Id, Account> = self
            .store
            .accounts(&mentioned)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let tags = self.store.tags(ids).await?;
        let media = self.store.status_media(ids).await?;
        let mut polls: HashMap<Id, _> = self
            .store
            .polls(ids, None)
            .await?
            .into_iter()
            .map(|p| (p.status_id, p))
            .collect();
        Ok(ids
            .iter()
            .filter_map(|id| {
                let status = statuses.remove(id)?;
                Some(ArchivedStatus {
                    mentions: mentions
                        .iter()
                        .filter(|(s, _)| s == id)
                        .filter_map(|(_, a)| accounts.get(a).cloned())
                        .collect(),
                    tags: tags
                        .iter()
                        .filter(|(s, _)| s == id)
                        .map(|(_, t)| t.clone())
                        .collect(),
                    media: media
                        .iter()
                        .filter(|m| m.status_id == Some(*id))
                        .cloned()
                        .collect(),
                    poll: polls.remove(id),
                    status,
                })
            })
            .collect())
    }

    async fn picture(&self, file: Option<&str>) -> CoreResult<Option<ArchivedPicture>> {
        let Some((hash, _)) = file.and_then(hash_and_ext) else {
            return Ok(None);
        };
        Ok(self.blob(hash).await?.map(|bytes| ArchivedPicture {
            file: file.unwrap_or_default().to_string(),
            bytes,
        }))
    }

    /// A stored file; None where media is not set up or the file is gone.
    pub(crate) async fn blob(&self, hash: &str) -> CoreResult<Option<Vec<u8>>> {
        let Some(ports) = &self.media else {
            return Ok(None);
        };
        ports
            .blobs
            .get(hash)
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))
    }
}

fn page(max_id: Option<Id>) -> Page {
    Page {
        max_id,
        limit: PAGE,
        ..Page::default()
    }
}
