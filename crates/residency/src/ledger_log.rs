//! A region's running transfer ledger: append entries, sign heads, serve proofs.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use ed25519_dalek::SigningKey;
use tokio::sync::Mutex;

use crate::cluster::PublicKey;
use crate::head::{SignedTreeHead, TreeHead};
use crate::ledger::{LeafError, LedgerEntry};
use crate::merkle::{self, Frontier, Hash, ProofError};
use crate::witness::Cosignature;

/// Durable storage of ledger leaves (SQLite in roost-store; memory in tests).
#[async_trait]
pub trait LedgerStore: Send + Sync {
    /// Appends leaves at the end, in order, returns the index of the first. Must be durable when
    /// it returns.
    async fn append_leaves(&self, leaves: &[(Vec<u8>, Hash)]) -> Result<u64, LedgerStoreError>;
    /// All leaf hashes in order (called once at start).
    async fn leaf_hashes(&self) -> Result<Vec<Hash>, LedgerStoreError>;
    async fn leaf(&self, index: u64) -> Result<Option<Vec<u8>>, LedgerStoreError>;
    /// Leaves [from, to) as (index, bytes).
    async fn leaves(&self, from: u64, to: u64) -> Result<Vec<(u64, Vec<u8>)>, LedgerStoreError>;

    /// How many leaves are stored: a cheap check of whether another node appended.
    async fn leaf_count(&self) -> Result<u64, LedgerStoreError> {
        Ok(self.leaf_hashes().await?.len() as u64)
    }

    /// Leaf hashes from index `from` to the end, in order.
    async fn leaf_hashes_from(&self, from: u64) -> Result<Vec<Hash>, LedgerStoreError> {
        let all = self.leaf_hashes().await?;
        Ok(usize::try_from(from)
            .ok()
            .and_then(|f| all.get(f..))
            .unwrap_or_default()
            .to_vec())
    }

    /// Appends `leaves` to a ledger whose caller knows the first `known`: returns the
    /// hashes of the leaves others appended since (`known..first`) and the index of the
    /// first new leaf. A store that several processes append to reads and appends under
    /// one lock, so nothing lands in between; this default is for stores one process owns.
    async fn append_leaves_after(
        &self,
        known: u64,
        leaves: &[(Vec<u8>, Hash)],
    ) -> Result<Appended, LedgerStoreError> {
        let missed = self.leaf_hashes_from(known).await?;
        let first = self.append_leaves(leaves).await?;
        Ok(Appended { missed, first })
    }
}

/// What [`LedgerStore::append_leaves_after`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Hashes of the leaves appended by others since the caller's size, in order.
    pub missed: Vec<Hash>,
    /// Index of the first leaf appended now.
    pub first: u64,
}

/// Checks that rows read as (index, hash) from `from` on are contiguous and well formed.
pub fn hashes_in_order(
    from: u64,
    rows: impl IntoIterator<Item = (i64, Vec<u8>)>,
) -> Result<Vec<Hash>, LedgerStoreError> {
    let mut out = Vec::new();
    for (k, (idx, h)) in rows.into_iter().enumerate() {
        let expected = from + k as u64;
        if u64::try_from(idx).ok() != Some(expected) {
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

/// A `LedgerStore` failure.
#[derive(Debug, thiserror::Error)]
pub enum LedgerStoreError {
    #[error("ledger storage failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("ledger storage is inconsistent: {0}")]
    Corrupt(String),
}

impl LedgerStoreError {
    pub fn backend(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        LedgerStoreError::Backend(e.into())
    }
}

/// A `Ledger` failure.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] LedgerStoreError),
    #[error(
        "ledger store put the new leaves at index {got}, but the ledger has {expected} leaves"
    )]
    IndexMismatch { expected: u64, got: u64 },
    #[error("tree size {requested} is larger than the ledger ({size} leaves)")]
    TreeSizeTooLarge { requested: u64, size: u64 },
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error("stored ledger leaf {index} is unreadable: {source}")]
    BadLeaf {
        index: u64,
        #[source]
        source: LeafError,
    },
}

struct State {
    hashes: Vec<Hash>,
    frontier: Frontier,
    /// Last signed head, reused while the size is unchanged so heads are stable.
    head: Option<SignedTreeHead>,
}

impl State {
    fn extend(&mut self, hashes: &[Hash]) {
        for h in hashes {
            self.hashes.push(*h);
            self.frontier.push(*h);
        }
    }
}

/// The region's ledger. Leaf hashes live in memory so proofs for any past size are cheap.
pub struct Ledger {
    region: String,
    key: SigningKey,
    store: Arc<dyn LedgerStore>,
    state: Mutex<State>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Ledger {
    pub async fn open(
        region: String,
        key: SigningKey,
        store: Arc<dyn LedgerStore>,
    ) -> Result<Ledger, LedgerError> {
        let hashes = store.leaf_hashes().await?;
        let frontier = Frontier::from_leaves(&hashes);
        Ok(Ledger {
            region,
            key,
            store,
            state: Mutex::new(State {
                hashes,
                frontier,
                head: None,
            }),
        })
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Appends entries durably; returns the index of the first (the current size if empty).
    pub async fn append(&self, entries: &[LedgerEntry]) -> Result<u64, LedgerError> {
        let leaves: Vec<(Vec<u8>, Hash)> = entries
            .iter()
            .map(|e| {
                let bytes = e.leaf_bytes();
                let hash = merkle::leaf_hash(&bytes);
                (bytes, hash)
            })
            .collect();
        // Held across the write so concurrent appends get the indices the store gives them.
        let mut st = self.state.lock().await;
        if leaves.is_empty() {
            self.catch_up(&mut st).await?;
            return Ok(st.hashes.len() as u64);
        }
        // Other nodes of the region append to the same store: their leaves come back
        // with ours, read under the store's append lock, and go in first.
        let known = st.hashes.len() as u64;
        let Appended { missed, first } = self.store.append_leaves_after(known, &leaves).await?;
        let expected = known + missed.len() as u64;
        if first != expected {
            // Memory and store disagree: refuse rather than serve wrong proofs.
            return Err(LedgerError::IndexMismatch {
                expected,
                got: first,
            });
        }
        st.extend(&missed);
        let hashes: Vec<Hash> = leaves.iter().map(|(_, h)| *h).collect();
        st.extend(&hashes);
        Ok(first)
    }

    /// Brings the in-memory tree up to what the store holds (leaves other nodes
    /// appended); one count query when nothing is new.
    async fn catch_up(&self, st: &mut State) -> Result<(), LedgerError> {
        let known = st.hashes.len() as u64;
        if self.store.leaf_count().await? <= known {
            return Ok(());
        }
        let new = self.store.leaf_hashes_from(known).await?;
        st.extend(&new);
        Ok(())
    }

    /// Catches up, or on a store failure keeps what memory holds: a smaller tree is still
    /// a true prefix of the ledger, only not the newest.
    async fn caught_up(&self) -> tokio::sync::MutexGuard<'_, State> {
        let mut st = self.state.lock().await;
        if let Err(e) = self.catch_up(&mut st).await {
            tracing::warn!(error = %e, size = st.hashes.len(), "ledger not caught up with its store; answering from memory");
        }
        st
    }

    pub async fn size(&self) -> u64 {
        self.caught_up().await.hashes.len() as u64
    }

    /// A head signed over the current size; the same head is returned until the size changes.
    pub async fn head(&self) -> SignedTreeHead {
        let mut st = self.caught_up().await;
        let size = st.hashes.len() as u64;
        if let Some(h) = &st.head {
            if h.head.tree_size == size {
                return h.clone();
            }
        }
        let head = TreeHead {
            region: self.region.clone(),
            tree_size: size,
            root_hash: st.frontier.root(),
            timestamp_ms: now_ms(),
        }
        .sign(&self.key);
        st.head = Some(head.clone());
        head
    }

    pub async fn entry(&self, index: u64) -> Result<Option<LedgerEntry>, LedgerError> {
        match self.store.leaf(index).await? {
            None => Ok(None),
            Some(bytes) => LedgerEntry::from_leaf_bytes(&bytes)
                .map(Some)
                .map_err(|source| LedgerError::BadLeaf { index, source }),
        }
    }

    /// Raw leaves [from, to), as stored (the audit hashes exactly these bytes).
    pub async fn leaves(&self, from: u64, to: u64) -> Result<Vec<(u64, Vec<u8>)>, LedgerError> {
        Ok(self.store.leaves(from, to).await?)
    }

    /// Entries [from, to).
    pub async fn entries(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<(u64, LedgerEntry)>, LedgerError> {
        self.store
            .leaves(from, to)
            .await?
            .into_iter()
            .map(|(index, bytes)| {
                LedgerEntry::from_leaf_bytes(&bytes)
                    .map(|e| (index, e))
                    .map_err(|source| LedgerError::BadLeaf { index, source })
            })
            .collect()
    }

    /// Copies the first `tree_size` hashes so proofs are computed without holding the lock.
    async fn prefix(&self, tree_size: u64) -> Result<Vec<Hash>, LedgerError> {
        let mut st = self.state.lock().await;
        if tree_size > st.hashes.len() as u64 {
            // A size another node's head named.
            self.catch_up(&mut st).await?;
        }
        let size = st.hashes.len() as u64;
        if tree_size > size {
            return Err(LedgerError::TreeSizeTooLarge {
                requested: tree_size,
                size,
            });
        }
        Ok(st.hashes[..tree_size as usize].to_vec())
    }

    /// Inclusion proof of leaf `index` in the tree of the first `tree_size` leaves.
    pub async fn inclusion(&self, index: u64, tree_size: u64) -> Result<Vec<Hash>, LedgerError> {
        let hashes = self.prefix(tree_size).await?;
        Ok(merkle::inclusion_proof(&hashes, index)?)
    }

    /// Consistency proof from the tree of `first` leaves to the tree of `second` leaves.
    pub async fn consistency(&self, first: u64, second: u64) -> Result<Vec<Hash>, LedgerError> {
        let hashes = self.prefix(second).await?;
        Ok(merkle::consistency_proof(&hashes, first)?)
    }

    /// Root of the tree of the first `tree_size` leaves.
    pub async fn root_at(&self, tree_size: u64) -> Result<Hash, LedgerError> {
        Ok(merkle::root(&self.prefix(tree_size).await?))
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.key.verifying_key())
    }

    /// This region, as a witness, cosigns another region's head with its ledger key. The
    /// caller has checked the head first (`witness::check_new_head`).
    pub fn cosign(&self, head: &TreeHead) -> Cosignature {
        Cosignature::sign(&self.region, head, now_ms(), &self.key)
    }
}

/// A `LedgerStore` in memory: for tests, and for a region run without a data directory.
#[derive(Default)]
pub struct MemoryLedgerStore {
    leaves: std::sync::Mutex<Vec<(Vec<u8>, Hash)>>,
}

impl MemoryLedgerStore {
    pub fn new() -> MemoryLedgerStore {
        MemoryLedgerStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Vec<u8>, Hash)>> {
        // A panic elsewhere cannot leave the Vec half-updated: keep serving it.
        self.leaves.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl LedgerStore for MemoryLedgerStore {
    async fn append_leaves(&self, leaves: &[(Vec<u8>, Hash)]) -> Result<u64, LedgerStoreError> {
        let mut v = self.lock();
        let first = v.len() as u64;
        v.extend_from_slice(leaves);
        Ok(first)
    }

    async fn leaf_hashes(&self) -> Result<Vec<Hash>, LedgerStoreError> {
        Ok(self.lock().iter().map(|(_, h)| *h).collect())
    }

    async fn leaf(&self, index: u64) -> Result<Option<Vec<u8>>, LedgerStoreError> {
        let v = self.lock();
        Ok(usize::try_from(index)
            .ok()
            .and_then(|i| v.get(i))
            .map(|(b, _)| b.clone()))
    }

    async fn leaves(&self, from: u64, to: u64) -> Result<Vec<(u64, Vec<u8>)>, LedgerStoreError> {
        let v = self.lock();
        let to = to.min(v.len() as u64);
        Ok((from..to).map(|i| (i, v[i as usize].0.clone())).collect())
    }

    async fn leaf_count(&self) -> Result<u64, LedgerStoreError> {
        Ok(self.lock().len() as u64)
    }

    async fn append_leaves_after(
        &self,
        known: u64,
        leaves: &[(Vec<u8>, Hash)],
    ) -> Result<Appended, LedgerStoreError> {
        let mut v = self.lock();
        let from = usize::try_from(known).unwrap_or(usize::MAX).min(v.len());
        let missed = v[from..].iter().map(|(_, h)| *h).collect();
        let first = v.len() as u64;
        v.extend_from_slice(leaves);
        Ok(Appended { missed, first })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::class::DataClass;
    use crate::ledger::{sha256_hex, Direction};
    use crate::merkle::{verify_consistency, verify_inclusion};

    fn entry(i: u64) -> LedgerEntry {
        LedgerEntry {
            time_ms: 1_700_000_000_000 + i as i64,
            direction: Direction::Sent,
            class: DataClass::PublicContent,
            subject: Some("45".into()),
            object: format!("status:{i}"),
            counterpart: "id".into(),
            purpose: "deliver Create".into(),
            payload_sha256: sha256_hex(&i.to_be_bytes()),
            decision: "store".into(),
        }
    }

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[9; 32])
    }

    async fn open(store: Arc<MemoryLedgerStore>) -> Ledger {
        Ledger::open("in".into(), key(), store).await.unwrap()
    }

    #[tokio::test]
    async fn append_head_and_proofs() {
        let store = Arc::new(MemoryLedgerStore::new());
        let ledger = open(store.clone()).await;
        assert_eq!(ledger.size().await, 0);
        let empty = ledger.head().await;
        assert_eq!(empty.head.tree_size, 0);
        assert_eq!(empty.head.root_hash, merkle::empty_root());
        assert_eq!(ledger.append(&[]).await.unwrap(), 0);

        let mut heads = vec![empty];
        let mut all = Vec::new();
        for batch in 0..6u64 {
            let entries: Vec<LedgerEntry> = (0..=batch).map(|j| entry(batch * 10 + j)).collect();
            let first = ledger.append(&entries).await.unwrap();
            assert_eq!(first, all.len() as u64);
            all.extend(entries);
            let head = ledger.head().await;
            assert_eq!(head.head.tree_size, all.len() as u64);
            assert_eq!(head.head.region, "in");
            head.verify(&[ledger.public_key()]).unwrap();
            heads.push(head);
        }
        let leaf_hashes: Vec<Hash> = all.iter().map(|e| e.leaf_hash()).collect();
        for h in &heads {
            let n = h.head.tree_size as usize;
            assert_eq!(h.head.root_hash, merkle::root(&leaf_hashes[..n]));
            assert_eq!(ledger.root_at(n as u64).await.unwrap(), h.head.root_hash);
        }
        // Inclusion of every entry in every historical head that contains it.
        for h in &heads {
            let size = h.head.tree_size;
            for i in 0..size {
                let proof = ledger.inclusion(i, size).await.unwrap();
                let leaf = ledger.entry(i).await.unwrap().unwrap();
                assert_eq!(leaf, all[i as usize]);
                verify_inclusion(&leaf.leaf_hash(), i, size, &proof, &h.head.root_hash).unwrap();
            }
        }
        // Consistency between every pair of heads.
        for a in &heads {
            for b in &heads {
                let (m, n) = (a.head.tree_size, b.head.tree_size);
                if m > n {
                    assert!(ledger.consistency(m, n).await.is_err());
                    continue;
                }
                let proof = ledger.consistency(m, n).await.unwrap();
                verify_consistency(m, n, &a.head.root_hash, &b.head.root_hash, &proof).unwrap();
            }
        }
        let size = ledger.size().await;
        assert!(matches!(
            ledger.inclusion(0, size + 1).await,
            Err(LedgerError::TreeSizeTooLarge { .. })
        ));
        assert!(matches!(
            ledger.inclusion(size, size).await,
            Err(LedgerError::Proof(ProofError::IndexOutOfRange { .. }))
        ));
        assert!(ledger.entry(size).await.unwrap().is_none());
        let some = ledger.entries(2, 5).await.unwrap();
        assert_eq!(some.len(), 3);
        assert_eq!(some[0], (2, all[2].clone()));
        assert_eq!(ledger.leaves(size - 1, size + 5).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn head_is_cached_until_size_changes() {
        let ledger = open(Arc::new(MemoryLedgerStore::new())).await;
        ledger.append(&[entry(1)]).await.unwrap();
        let a = ledger.head().await;
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        assert_eq!(ledger.head().await, a);
        ledger.append(&[entry(2)]).await.unwrap();
        let b = ledger.head().await;
        assert_eq!(b.head.tree_size, 2);
        assert_ne!(a.head.root_hash, b.head.root_hash);
    }

    #[tokio::test]
    async fn reopen_restores_the_tree() {
        let store = Arc::new(MemoryLedgerStore::new());
        let root = {
            let ledger = open(store.clone()).await;
            ledger
                .append(&[entry(1), entry(2), entry(3)])
                .await
                .unwrap();
            ledger.head().await.head.root_hash
        };
        let again = open(store).await;
        assert_eq!(again.size().await, 3);
        assert_eq!(again.head().await.head.root_hash, root);
        assert_eq!(again.append(&[entry(4)]).await.unwrap(), 3);
    }

    #[tokio::test]
    async fn concurrent_appends_keep_indices() {
        let ledger = Arc::new(open(Arc::new(MemoryLedgerStore::new())).await);
        let mut tasks = Vec::new();
        for t in 0..8u64 {
            let l = ledger.clone();
            tasks.push(tokio::spawn(async move {
                let mut firsts = Vec::new();
                for i in 0..10 {
                    let e = entry(t * 100 + i);
                    firsts.push((l.append(std::slice::from_ref(&e)).await.unwrap(), e));
                }
                firsts
            }));
        }
        let mut seen = Vec::new();
        for t in tasks {
            seen.extend(t.await.unwrap());
        }
        assert_eq!(ledger.size().await, 80);
        for (index, e) in seen {
            assert_eq!(ledger.entry(index).await.unwrap().unwrap(), e);
        }
    }

    /// A store that lost track: the ledger must refuse instead of diverging.
    struct Skewed(MemoryLedgerStore);

    #[async_trait]
    impl LedgerStore for Skewed {
        async fn append_leaves(&self, leaves: &[(Vec<u8>, Hash)]) -> Result<u64, LedgerStoreError> {
            Ok(self.0.append_leaves(leaves).await? + 1)
        }
        async fn leaf_hashes(&self) -> Result<Vec<Hash>, LedgerStoreError> {
            self.0.leaf_hashes().await
        }
        async fn leaf(&self, index: u64) -> Result<Option<Vec<u8>>, LedgerStoreError> {
            self.0.leaf(index).await
        }
        async fn leaves(
            &self,
            from: u64,
            to: u64,
        ) -> Result<Vec<(u64, Vec<u8>)>, LedgerStoreError> {
            self.0.leaves(from, to).await
        }
    }

    #[tokio::test]
    async fn index_mismatch_is_an_error() {
        let ledger = Ledger::open(
            "in".into(),
            key(),
            Arc::new(Skewed(MemoryLedgerStore::new())),
        )
        .await
        .unwrap();
        assert!(matches!(
            ledger.append(&[entry(1)]).await,
            Err(LedgerError::IndexMismatch {
                expected: 0,
                got: 1
            })
        ));
        // The refused append added nothing to memory; the tree then follows what the
        // store holds (the leaf it did keep), as it follows other nodes' appends.
        assert_eq!(ledger.size().await, 1);
    }

    #[tokio::test]
    async fn unreadable_leaf_is_reported() {
        let store = Arc::new(MemoryLedgerStore::new());
        let bytes = b"garbage".to_vec();
        let hash = merkle::leaf_hash(&bytes);
        store.append_leaves(&[(bytes, hash)]).await.unwrap();
        let ledger = open(store).await;
        assert!(matches!(
            ledger.entry(0).await,
            Err(LedgerError::BadLeaf { index: 0, .. })
        ));
    }
}
