//! Residency: what may leave a region and what must be proven about it. Data classes, the
//! cluster file with each region's policy, the gate's decision logic, the RFC 6962 Merkle
//! transfer ledger with signed tree heads, the witnesses' cosigning rule, and the audit's
//! checks. No web dependencies: the HTTP side (sending, serving proofs) lives in
//! `roost-federation` and `roost-api`.

pub mod audit;
pub mod class;
pub mod cluster;
pub mod head;
pub mod keys;
pub mod ledger;
pub mod ledger_log;
pub mod merkle;
pub mod policy;
pub mod sealed_file;
pub mod witness;

pub use class::DataClass;
pub use cluster::{BackupPlace, Cluster, ClusterError, PublicKey, RegionSpec};
pub use head::{SignedTreeHead, TreeHead};
pub use keys::{KeyError, Keyring};
pub use ledger::{Direction, LedgerEntry};
pub use ledger_log::{Ledger, LedgerError, LedgerStore, LedgerStoreError};
pub use merkle::Hash;
pub use policy::{Action, Decision, Policy};
