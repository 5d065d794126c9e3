//! Signed tree heads: a region's signed statement of its ledger's size and root.

use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey};
use serde::{Deserialize, Serialize};

use crate::cluster::PublicKey;
use crate::merkle::Hash;

/// The ledger of `region` had `tree_size` leaves with this root at `timestamp_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TreeHeadWire", into = "TreeHeadWire")]
pub struct TreeHead {
    pub region: String,
    pub tree_size: u64,
    pub root_hash: Hash,
    /// Unix milliseconds.
    pub timestamp_ms: i64,
}

/// A tree head with the signature of one of the region's keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SignedTreeHeadWire", into = "SignedTreeHeadWire")]
pub struct SignedTreeHead {
    pub head: TreeHead,
    /// `PublicKey::key_id` of the signing key.
    pub key_id: String,
    /// Standard base64 of the 64-byte ed25519 signature over `head.signing_bytes()`.
    pub signature: String,
}

/// Why a signed tree head (or a witness's cosignature) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    #[error("signed with key {0}, which is not among the signer's keys")]
    UnknownKey(String),
    #[error("the signature is not 64 bytes of standard base64")]
    BadSignatureEncoding,
    #[error("the signature does not verify")]
    BadSignature,
}

impl TreeHead {
    /// The exact bytes signed. Text, so a person can check it by hand.
    pub fn signing_bytes(&self) -> Vec<u8> {
        format!(
            "roost-tree-head-v1\n{}\n{}\n{}\n{}\n",
            self.region,
            self.tree_size,
            self.timestamp_ms,
            hex::encode(self.root_hash)
        )
        .into_bytes()
    }

    pub fn sign(&self, key: &SigningKey) -> SignedTreeHead {
        let signature = key.sign(&self.signing_bytes());
        SignedTreeHead {
            head: self.clone(),
            key_id: PublicKey(key.verifying_key()).key_id(),
            signature: base64::engine::general_purpose::STANDARD.encode(signature.to_bytes()),
        }
    }
}

impl SignedTreeHead {
    /// Checks the signature with the key named by `key_id` among `keys` (a region's current and
    /// older keys). That `head.region` is the expected region is the caller's check.
    pub fn verify(&self, keys: &[PublicKey]) -> Result<(), HeadError> {
        check_signature(
            keys,
            &self.key_id,
            &self.signature,
            &self.head.signing_bytes(),
        )
    }
}

/// Checks an ed25519 `signature` (standard base64) over `message` with the key named
/// `key_id` among `keys`: tree heads and witnesses' cosignatures are checked alike.
pub(crate) fn check_signature(
    keys: &[PublicKey],
    key_id: &str,
    signature: &str,
    message: &[u8],
) -> Result<(), HeadError> {
    let key = keys
        .iter()
        .find(|k| k.key_id() == key_id)
        .ok_or_else(|| HeadError::UnknownKey(key_id.to_string()))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .map_err(|_| HeadError::BadSignatureEncoding)?;
    let bytes: [u8; 64] = bytes
        .try_into()
        .map_err(|_| HeadError::BadSignatureEncoding)?;
    let signature = Signature::from_bytes(&bytes);
    // Strict: rejects malleable signatures and weak keys.
    key.0
        .verify_strict(message, &signature)
        .map_err(|_| HeadError::BadSignature)
}

// JSON shapes: the root as hex, the signed head flat.
#[derive(Serialize, Deserialize)]
struct TreeHeadWire {
    region: String,
    tree_size: u64,
    root_hash: String,
    timestamp_ms: i64,
}

#[derive(Serialize, Deserialize)]
struct SignedTreeHeadWire {
    region: String,
    tree_size: u64,
    root_hash: String,
    timestamp_ms: i64,
    key_id: String,
    signature: String,
}

pub(crate) fn parse_root(s: &str) -> Result<Hash, String> {
    let bytes = hex::decode(s).map_err(|_| format!("root_hash {s:?} is not hex"))?;
    bytes
        .try_into()
        .map_err(|_| format!("root_hash {s:?} is not 32 bytes"))
}

impl From<TreeHead> for TreeHeadWire {
    fn from(h: TreeHead) -> Self {
        TreeHeadWire {
            region: h.region,
            tree_size: h.tree_size,
            root_hash: hex::encode(h.root_hash),
            timestamp_ms: h.timestamp_ms,
        }
    }
}

impl TryFrom<TreeHeadWire> for TreeHead {
    type Error = String;
    fn try_from(w: TreeHeadWire) -> Result<Self, String> {
        Ok(TreeHead {
            root_hash: parse_root(&w.root_hash)?,
            region: w.region,
            tree_size: w.tree_size,
            timestamp_ms: w.timestamp_ms,
        })
    }
}

impl From<SignedTreeHead> for SignedTreeHeadWire {
    fn from(s: SignedTreeHead) -> Self {
        SignedTreeHeadWire {
            region: s.head.region,
            tree_size: s.head.tree_size,
            root_hash: hex::encode(s.head.root_hash),
            timestamp_ms: s.head.timestamp_ms,
            key_id: s.key_id,
            signature: s.signature,
        }
    }
}

impl TryFrom<SignedTreeHeadWire> for SignedTreeHead {
    type Error = String;
    fn try_from(w: SignedTreeHeadWire) -> Result<Self, String> {
        Ok(SignedTreeHead {
            head: TreeHead {
                root_hash: parse_root(&w.root_hash)?,
                region: w.region,
                tree_size: w.tree_size,
                timestamp_ms: w.timestamp_ms,
            },
            key_id: w.key_id,
            signature: w.signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn head() -> TreeHead {
        TreeHead {
            region: "in".into(),
            tree_size: 42,
            root_hash: [7u8; 32],
            timestamp_ms: 1_700_000_000_000,
        }
    }

    #[test]
    fn signing_bytes_are_the_documented_text() {
        let text = String::from_utf8(head().signing_bytes()).unwrap();
        assert_eq!(
            text,
            format!(
                "roost-tree-head-v1\nin\n42\n1700000000000\n{}\n",
                "07".repeat(32)
            )
        );
    }

    #[test]
    fn sign_and_verify_with_rotated_keys() {
        let (old, new) = (key(1), key(2));
        let keys = [PublicKey::from(&new), PublicKey::from(&old)];
        // A head signed before the rotation still verifies, and so does a new one.
        let by_old = head().sign(&old);
        assert_eq!(by_old.key_id, PublicKey::from(&old).key_id());
        by_old.verify(&keys).unwrap();
        head().sign(&new).verify(&keys).unwrap();
        // Once the old key is dropped from the list, its heads no longer verify.
        assert_eq!(
            by_old.verify(&keys[..1]),
            Err(HeadError::UnknownKey(by_old.key_id.clone()))
        );
        // Another region's key is not ours.
        assert!(matches!(
            head().sign(&key(3)).verify(&keys),
            Err(HeadError::UnknownKey(_))
        ));
    }

    #[test]
    fn tampered_heads_fail() {
        let k = key(1);
        let keys = [PublicKey::from(&k)];
        let good = head().sign(&k);
        let mut t = good.clone();
        t.head.tree_size += 1;
        assert_eq!(t.verify(&keys), Err(HeadError::BadSignature));
        let mut t = good.clone();
        t.head.root_hash[0] ^= 1;
        assert_eq!(t.verify(&keys), Err(HeadError::BadSignature));
        let mut t = good.clone();
        t.head.region = "id".into();
        assert_eq!(t.verify(&keys), Err(HeadError::BadSignature));
        let mut t = good.clone();
        t.head.timestamp_ms += 1;
        assert_eq!(t.verify(&keys), Err(HeadError::BadSignature));
        let mut t = good.clone();
        t.signature = "not base64!".into();
        assert_eq!(t.verify(&keys), Err(HeadError::BadSignatureEncoding));
        let mut t = good;
        t.signature = base64::engine::general_purpose::STANDARD.encode([0u8; 63]);
        assert_eq!(t.verify(&keys), Err(HeadError::BadSignatureEncoding));
    }

    #[test]
    fn json_is_flat_with_hex_root() {
        let sth = head().sign(&key(1));
        let v: serde_json::Value = serde_json::to_value(&sth).unwrap();
        let obj = v.as_object().unwrap();
        let mut names: Vec<&str> = obj.keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "key_id",
                "region",
                "root_hash",
                "signature",
                "timestamp_ms",
                "tree_size"
            ]
        );
        assert_eq!(obj["root_hash"], "07".repeat(32));
        assert_eq!(obj["tree_size"], 42);
        let back: SignedTreeHead = serde_json::from_value(v).unwrap();
        assert_eq!(back, sth);
        back.verify(&[PublicKey::from(&key(1))]).unwrap();

        let plain = serde_json::to_value(head()).unwrap();
        assert_eq!(plain["root_hash"], "07".repeat(32));
        assert_eq!(serde_json::from_value::<TreeHead>(plain).unwrap(), head());
        let bad = serde_json::json!({
            "region": "in", "tree_size": 1, "root_hash": "abcd", "timestamp_ms": 0,
            "key_id": "x", "signature": "y"
        });
        assert!(serde_json::from_value::<SignedTreeHead>(bad).is_err());
    }
}
