//! The record of backups made of the region (`backups`), on PostgreSQL.

use super::{backend, exec, get, rows, PgStore};
use crate::backup::BackupRecord;
use crate::sqlite::backups::{BACKUPS, BACKUP_INSERT};
use roost_core::store::StoreResult;

impl PgStore {
    pub async fn record_backup(&self, b: &BackupRecord) -> StoreResult<()> {
        let c = self.conn().await?;
        exec(
            &c,
            BACKUP_INSERT,
            &[&b.sha256, &b.made_at_ms, &b.place, &b.file, &b.size],
        )
        .await
        .map_err(backend)?;
        Ok(())
    }

    /// Every backup recorded, oldest first.
    pub async fn backups(&self) -> StoreResult<Vec<BackupRecord>> {
        let c = self.conn().await?;
        rows(&c, BACKUPS, &[], |r| {
            Ok(BackupRecord {
                sha256: get(r, "sha256")?,
                made_at_ms: get(r, "made_at")?,
                place: get(r, "place")?,
                file: get(r, "file")?,
                size: get(r, "size")?,
            })
        })
        .await
    }
}
