//! The record of backups made of the region (`backups`), on SQLite.

use super::{backend, exec, rows, SqliteStore};
use crate::backup::BackupRecord;
use roost_core::store::StoreResult;

pub(crate) const BACKUP_INSERT: &str =
    "INSERT INTO backups (sha256, made_at, place, file, size) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const BACKUPS: &str =
    "SELECT sha256, made_at, place, file, size FROM backups ORDER BY made_at, sha256";

impl SqliteStore {
    pub async fn record_backup(&self, b: &BackupRecord) -> StoreResult<()> {
        let b = b.clone();
        self.db
            .write(move |c| {
                exec(
                    c,
                    BACKUP_INSERT,
                    &[&b.sha256, &b.made_at_ms, &b.place, &b.file, &b.size],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    /// Every backup recorded, oldest first.
    pub async fn backups(&self) -> StoreResult<Vec<BackupRecord>> {
        self.db
            .read(|c| {
                rows(c, BACKUPS, &[], |r| {
                    Ok(BackupRecord {
                        sha256: super::get(r, "sha256")?,
                        made_at_ms: super::get(r, "made_at")?,
                        place: super::get(r, "place")?,
                        file: super::get(r, "file")?,
                        size: super::get(r, "size")?,
                    })
                })
            })
            .await
    }
}
