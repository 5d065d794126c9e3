//! `LedgerStore`: the transfer ledger's leaves, append-only.

use super::SqliteStore;
use async_trait::async_trait;
use roost_residency::ledger_log::{LedgerStore, LedgerStoreError};
use roost_residency::{Hash, LedgerEntry};

fn err(e: sqlx::Error) -> LedgerStoreError {
    LedgerStoreError::backend(e)
}

#[async_trait]
impl LedgerStore for SqliteStore {
    async fn append_leaves(&self, leaves: &[(Vec<u8>, Hash)]) -> Result<u64, LedgerStoreError> {
        let mut tx = self.w.begin().await.map_err(err)?;
        let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_leaves")
            .fetch_one(&mut *tx)
            .await
            .map_err(err)?;
        for (i, (leaf, hash)) in leaves.iter().enumerate() {
            // The subject is copied out for "where is my data" lookups.
            let subject: Option<i64> = LedgerEntry::from_leaf_bytes(leaf)
                .ok()
                .and_then(|e| e.subject)
                .and_then(|s| s.parse().ok());
            sqlx::query(
                "INSERT INTO ledger_leaves (idx, leaf, hash, subject) VALUES ($1, $2, $3, $4)",
            )
            .bind(first + i as i64)
            .bind(leaf.as_slice())
            .bind(hash.as_slice())
            .bind(subject)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        }
        tx.commit().await.map_err(err)?;
        Ok(first as u64)
    }

    async fn leaf_hashes(&self) -> Result<Vec<Hash>, LedgerStoreError> {
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT idx, hash FROM ledger_leaves ORDER BY idx")
                .fetch_all(&self.w)
                .await
                .map_err(err)?;
        let mut out = Vec::with_capacity(rows.len());
        for (expected, (idx, h)) in rows.into_iter().enumerate() {
            if idx != expected as i64 {
                return Err(LedgerStoreError::Corrupt(format!(
                    "leaf index {idx} where {expected} was expected"
                )));
            }
            let h: Hash = h
                .try_into()
                .map_err(|_| LedgerStoreError::Corrupt(format!("leaf {idx} hash length")))?;
            out.push(h);
        }
        Ok(out)
    }

    async fn leaf(&self, index: u64) -> Result<Option<Vec<u8>>, LedgerStoreError> {
        sqlx::query_scalar("SELECT leaf FROM ledger_leaves WHERE idx = $1")
            .bind(index as i64)
            .fetch_optional(&self.r)
            .await
            .map_err(err)
    }

    async fn leaves(&self, from: u64, to: u64) -> Result<Vec<(u64, Vec<u8>)>, LedgerStoreError> {
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT idx, leaf FROM ledger_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx",
        )
        // Clamped, not wrapped: `to = u64::MAX` means "to the end", not an empty range.
        .bind(i64::try_from(from).unwrap_or(i64::MAX))
        .bind(i64::try_from(to).unwrap_or(i64::MAX))
        .fetch_all(&self.r)
        .await
        .map_err(err)?;
        Ok(rows.into_iter().map(|(i, l)| (i as u64, l)).collect())
    }
}
