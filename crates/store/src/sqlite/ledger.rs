//! `LedgerStore`: the transfer ledger's leaves, append-only.

use super::{backend, exec, get, rows, scalar, SqliteStore};
use async_trait::async_trait;
use roost_core::store::StoreError;
use roost_residency::ledger_log::{hashes_in_order, Appended, LedgerStore, LedgerStoreError};
use roost_residency::{Hash, LedgerEntry};

pub(crate) fn err(e: StoreError) -> LedgerStoreError {
    LedgerStoreError::backend(e)
}

fn hashes_from(
    c: &rusqlite::Connection,
    from: u64,
) -> roost_core::store::StoreResult<Vec<(i64, Vec<u8>)>> {
    let from = i64::try_from(from).unwrap_or(i64::MAX);
    rows(
        c,
        "SELECT idx, hash FROM ledger_leaves WHERE idx >= $1 ORDER BY idx",
        &[&from],
        |r| Ok((get(r, "idx")?, get(r, "hash")?)),
    )
}

#[async_trait]
impl LedgerStore for SqliteStore {
    async fn append_leaves(&self, leaves: &[(Vec<u8>, Hash)]) -> Result<u64, LedgerStoreError> {
        Ok(self.append_leaves_after(u64::MAX, leaves).await?.first)
    }

    async fn append_leaves_after(
        &self,
        known: u64,
        leaves: &[(Vec<u8>, Hash)],
    ) -> Result<Appended, LedgerStoreError> {
        let leaves = leaves.to_vec();
        // One writer job: no other append (of any `Ledger` on this store) lands between
        // the read and the insert.
        let (missed, first) = self
            .db
            .write(move |c| {
                let first: i64 =
                    scalar(c, crate::sql::LEDGER_SIZE, &[])?
                        .unwrap_or(0);
                let missed = if known < first as u64 {
                    hashes_from(c, known)?
                } else {
                    Vec::new()
                };
                for (i, (leaf, hash)) in leaves.iter().enumerate() {
                    // The subject is copied out for "where is my data" lookups.
                    let subject: Option<i64> = LedgerEntry::from_leaf_bytes(leaf)
                        .ok()
                        .and_then(|e| e.subject)
                        .and_then(|s| s.parse().ok());
                    exec(
                        c,
                        "INSERT INTO ledger_leaves (idx, leaf, hash, subject) VALUES ($1, $2, $3, $4)",
                        &[&(first + i as i64), &leaf.as_slice(), &hash.as_slice(), &subject],
                    )
                    .map_err(backend)?;
                }
                Ok((missed, first))
            })
            .await
            .map_err(err)?;
        Ok(Appended {
            missed: hashes_in_order(known.min(first as u64), missed)?,
            first: first as u64,
        })
    }

    async fn leaf_count(&self) -> Result<u64, LedgerStoreError> {
        let n: i64 = self
            .db
            .read(|c| scalar(c, crate::sql::LEDGER_SIZE, &[]))
            .await
            .map_err(err)?
            .unwrap_or(0);
        Ok(n as u64)
    }

    async fn leaf_hashes_from(&self, from: u64) -> Result<Vec<Hash>, LedgerStoreError> {
        let rows = self
            .db
            .read(move |c| hashes_from(c, from))
            .await
            .map_err(err)?;
        hashes_in_order(from, rows)
    }

    async fn leaf_hashes(&self) -> Result<Vec<Hash>, LedgerStoreError> {
        // On the writer, as before: ordered after every write queued ahead of it.
        let rows: Vec<(i64, Vec<u8>)> = self
            .db
            .write(|c| {
                rows(
                    c,
                    "SELECT idx, hash FROM ledger_leaves ORDER BY idx",
                    &[],
                    |r| Ok((get(r, "idx")?, get(r, "hash")?)),
                )
            })
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
        self.db
            .read(move |c| {
                scalar(
                    c,
                    "SELECT leaf FROM ledger_leaves WHERE idx = $1",
                    &[&(index as i64)],
                )
            })
            .await
            .map_err(err)
    }

    async fn leaves(&self, from: u64, to: u64) -> Result<Vec<(u64, Vec<u8>)>, LedgerStoreError> {
        // Clamped, not wrapped: `to = u64::MAX` means "to the end", not an empty range.
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let to = i64::try_from(to).unwrap_or(i64::MAX);
        let rows: Vec<(i64, Vec<u8>)> = self
            .db
            .read(move |c| {
                rows(
                    c,
                    "SELECT idx, leaf FROM ledger_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                    &[&from, &to],
                    |r| Ok((get(r, "idx")?, get(r, "leaf")?)),
                )
            })
            .await
            .map_err(err)?;
        Ok(rows.into_iter().map(|(i, l)| (i as u64, l)).collect())
    }
}
