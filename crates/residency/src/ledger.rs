//! Transfer ledger entries and their canonical leaf encoding.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::class::DataClass;
use crate::merkle::{self, Hash};

/// Leaf format tag: a later format gets a new tag, and old leaves keep verifying.
pub const LEAF_PREFIX: &[u8] = b"roost-ledger-v1\n";

/// Which side of a transfer this region was on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// This region sent the data to `counterpart`.
    Sent,
    /// This region persisted data whose home is `counterpart`.
    Stored,
    /// This region recorded data of `counterpart`'s as stored, then did not keep it (a
    /// reply to a post it does not hold, a block refusing it...); `purpose` says why. It
    /// ends what the `stored` entry before it for the same object claimed.
    Dropped,
}

/// One line of a region's transfer ledger. Field order is the canonical JSON order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// Unix milliseconds.
    pub time_ms: i64,
    pub direction: Direction,
    pub class: DataClass,
    /// Account ID (decimal) whose data it is; `None` for aggregates.
    pub subject: Option<String>,
    /// What moved, e.g. `status:123`, `account:45`, `follow:45:67`.
    pub object: String,
    /// The other region's code.
    pub counterpart: String,
    /// Why, e.g. `deliver Create`, `serve actor`.
    pub purpose: String,
    /// Hex SHA-256 of the bytes that crossed the border, so both ledgers can be matched.
    pub payload_sha256: String,
    /// The policy action that allowed it, e.g. `store:30d`, `transit`.
    pub decision: String,
}

/// Why bytes are not a v1 ledger leaf.
#[derive(Debug, thiserror::Error)]
pub enum LeafError {
    #[error("ledger leaf does not start with the roost-ledger-v1 tag")]
    UnknownVersion,
    #[error("ledger leaf is not a valid entry: {0}")]
    Json(#[from] serde_json::Error),
    #[error("ledger leaf is not in canonical form")]
    NotCanonical,
}

impl LedgerEntry {
    /// `roost-ledger-v1\n` followed by compact JSON with the fields in declared order.
    pub fn leaf_bytes(&self) -> Vec<u8> {
        let mut out = LEAF_PREFIX.to_vec();
        // A struct of strings and integers always serialises.
        serde_json::to_writer(&mut out, self).expect("ledger entry serialises");
        out
    }

    pub fn leaf_hash(&self) -> Hash {
        merkle::leaf_hash(&self.leaf_bytes())
    }

    /// Strict: only the exact bytes `leaf_bytes` would produce are accepted, so one entry has
    /// one leaf hash.
    pub fn from_leaf_bytes(bytes: &[u8]) -> Result<LedgerEntry, LeafError> {
        let json = bytes
            .strip_prefix(LEAF_PREFIX)
            .ok_or(LeafError::UnknownVersion)?;
        let entry: LedgerEntry = serde_json::from_slice(json)?;
        if entry.leaf_bytes() != bytes {
            return Err(LeafError::NotCanonical);
        }
        Ok(entry)
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> LedgerEntry {
        LedgerEntry {
            time_ms: 1_700_000_000_123,
            direction: Direction::Sent,
            class: DataClass::PublicContent,
            subject: Some("45".into()),
            object: "status:123".into(),
            counterpart: "id".into(),
            purpose: "deliver Create".into(),
            payload_sha256: sha256_hex(b"payload"),
            decision: "store:30d".into(),
        }
    }

    #[test]
    fn canonical_bytes() {
        let e = entry();
        let expected = format!(
            "roost-ledger-v1\n{{\"time_ms\":1700000000123,\"direction\":\"sent\",\
             \"class\":\"public_content\",\"subject\":\"45\",\"object\":\"status:123\",\
             \"counterpart\":\"id\",\"purpose\":\"deliver Create\",\
             \"payload_sha256\":\"{}\",\"decision\":\"store:30d\"}}",
            sha256_hex(b"payload")
        );
        assert_eq!(String::from_utf8(e.leaf_bytes()).unwrap(), expected);
        assert_eq!(e.leaf_hash(), merkle::leaf_hash(expected.as_bytes()));
        let agg = LedgerEntry {
            subject: None,
            direction: Direction::Stored,
            ..e
        };
        let text = String::from_utf8(agg.leaf_bytes()).unwrap();
        assert!(text.contains("\"direction\":\"stored\""));
        let dropped = LedgerEntry {
            direction: Direction::Dropped,
            ..agg.clone()
        };
        let bytes = dropped.leaf_bytes();
        assert!(String::from_utf8_lossy(&bytes).contains("\"direction\":\"dropped\""));
        assert_eq!(LedgerEntry::from_leaf_bytes(&bytes).unwrap(), dropped);
        assert!(text.contains("\"subject\":null"));
    }

    #[test]
    fn leaf_round_trip() {
        let e = entry();
        assert_eq!(LedgerEntry::from_leaf_bytes(&e.leaf_bytes()).unwrap(), e);
        let odd = LedgerEntry {
            purpose: "quote \" and ünïcode \n".into(),
            subject: None,
            ..e
        };
        assert_eq!(
            LedgerEntry::from_leaf_bytes(&odd.leaf_bytes()).unwrap(),
            odd
        );
    }

    #[test]
    fn rejects_foreign_forms() {
        let e = entry();
        let json = serde_json::to_vec(&e).unwrap();
        assert!(matches!(
            LedgerEntry::from_leaf_bytes(&json),
            Err(LeafError::UnknownVersion)
        ));
        let mut v2 = b"roost-ledger-v2\n".to_vec();
        v2.extend(&json);
        assert!(matches!(
            LedgerEntry::from_leaf_bytes(&v2),
            Err(LeafError::UnknownVersion)
        ));
        // Same content, pretty-printed: not canonical.
        let mut pretty = LEAF_PREFIX.to_vec();
        pretty.extend(serde_json::to_vec_pretty(&e).unwrap());
        assert!(matches!(
            LedgerEntry::from_leaf_bytes(&pretty),
            Err(LeafError::NotCanonical)
        ));
        let mut extra = e.leaf_bytes();
        extra.truncate(extra.len() - 1);
        extra.extend(b",\"x\":1}");
        assert!(matches!(
            LedgerEntry::from_leaf_bytes(&extra),
            Err(LeafError::Json(_))
        ));
    }

    #[test]
    fn sha256_hex_known_value() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
