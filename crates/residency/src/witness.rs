//! Witnessed ledgers: each region cosigns the other regions' ledger heads, as Certificate
//! Transparency witnesses do, so that a region cannot drop or rewrite entries others have
//! seen without leaving a trace signed by itself. A witness cosigns a head only if the
//! region signed it and it extends the last head the witness cosigned for that region (by
//! the region's consistency proof); a head that does not is kept as [`Evidence`]. The
//! audit checks each region's served head against every cosignature of it.
//!
//! Pure logic: fetching heads and proofs, and keeping what a witness holds, are the
//! federation's and the store's.

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::audit::{Violation, ViolationKind};
use crate::cluster::{Cluster, PublicKey};
use crate::head::{check_signature, HeadError, SignedTreeHead, TreeHead};
use crate::merkle::{self, Hash};

/// `witness` saw `region`'s ledger at `tree_size` leaves with root `root_hash`, and had
/// checked that it extends every head of `region` it cosigned before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cosignature {
    pub witness: String,
    pub region: String,
    pub tree_size: u64,
    #[serde(with = "hex_root")]
    pub root_hash: Hash,
    /// When the witness cosigned, Unix milliseconds.
    pub timestamp_ms: i64,
    /// `PublicKey::key_id` of the witness's ledger key.
    pub key_id: String,
    /// Standard base64 of the ed25519 signature over `signing_bytes()`.
    pub signature: String,
}

impl Cosignature {
    /// The witness's ledger key also signs its own heads: the first line keeps a
    /// cosignature from ever reading as a tree head, or a tree head as a cosignature.
    /// Region codes hold no newline, so the fields cannot run into each other.
    pub fn signing_bytes(&self) -> Vec<u8> {
        format!(
            "roost-cosignature-v1\n{}\n{}\n{}\n{}\n{}\n",
            self.witness,
            self.region,
            self.tree_size,
            self.timestamp_ms,
            hex::encode(self.root_hash)
        )
        .into_bytes()
    }

    /// `witness` cosigns `head` at `timestamp_ms` with its ledger key.
    pub fn sign(witness: &str, head: &TreeHead, timestamp_ms: i64, key: &SigningKey) -> Self {
        let mut c = Cosignature {
            witness: witness.to_string(),
            region: head.region.clone(),
            tree_size: head.tree_size,
            root_hash: head.root_hash,
            timestamp_ms,
            key_id: PublicKey(key.verifying_key()).key_id(),
            signature: String::new(),
        };
        let sig = key.sign(&c.signing_bytes());
        c.signature = base64_std(&sig.to_bytes());
        c
    }

    /// Checks the signature with the witness's keys (current and older ones).
    pub fn verify(&self, witness_keys: &[PublicKey]) -> Result<(), HeadError> {
        check_signature(
            witness_keys,
            &self.key_id,
            &self.signature,
            &self.signing_bytes(),
        )
    }

    /// Whether this cosigns exactly `head` (region, size and root).
    pub fn covers(&self, head: &TreeHead) -> bool {
        self.region == head.region
            && self.tree_size == head.tree_size
            && self.root_hash == head.root_hash
    }
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A cosignature as the witness keeps and serves it, with the region's own signed head it
/// covers: the region cannot claim the witness made that head up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cosigned {
    pub cosignature: Cosignature,
    pub head: SignedTreeHead,
}

/// How a head conflicts with one cosigned before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// A smaller tree than one cosigned: entries were dropped.
    Truncated,
    /// The same size with another root: history was rewritten.
    Forked,
    /// A larger tree that the region's proof does not show to extend the cosigned one.
    NotExtended,
}

impl std::fmt::Display for ConflictKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConflictKind::Truncated => "truncated",
            ConflictKind::Forked => "forked",
            ConflictKind::NotExtended => "not extended",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {detail}")]
pub struct Conflict {
    pub kind: ConflictKind,
    pub detail: String,
}

/// The tree `new` extends the tree `old` of the same region: same root at the same size,
/// or a larger tree with a consistency `proof` from `old`'s size (RFC 9162 §2.1.4).
pub fn extends(old: &TreeHead, new: &TreeHead, proof: &[Hash]) -> Result<(), Conflict> {
    let (m, n) = (old.tree_size, new.tree_size);
    let conflict = |kind, detail| Err(Conflict { kind, detail });
    if n < m {
        return conflict(
            ConflictKind::Truncated,
            format!("{n} entries, fewer than the {m} entries cosigned"),
        );
    }
    if n == m {
        if new.root_hash == old.root_hash {
            return Ok(());
        }
        return conflict(
            ConflictKind::Forked,
            format!(
                "{n} entries with root {}, but the cosigned head of {m} entries has root {}",
                hex::encode(new.root_hash),
                hex::encode(old.root_hash)
            ),
        );
    }
    merkle::verify_consistency(m, n, &old.root_hash, &new.root_hash, proof).or_else(|e| {
        conflict(
            ConflictKind::NotExtended,
            format!("{n} entries not shown to extend the {m} entries cosigned: {e}"),
        )
    })
}

/// A head the region signed that conflicts with one the witness had cosigned. Both heads
/// carry the region's own signature, so the evidence stands without trusting the witness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub witness: String,
    pub region: String,
    pub kind: ConflictKind,
    pub detail: String,
    /// The last head the witness cosigned, as the region signed it.
    pub cosigned: SignedTreeHead,
    /// The head the region served later, which does not extend it.
    pub conflicting: SignedTreeHead,
    /// When the witness saw it, Unix milliseconds.
    pub seen_ms: i64,
}

/// Why a witness does not cosign a head.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not the region's statement, so nothing to hold against it (it may have been forged
    /// on the way): the witness only logs it.
    #[error("head is not signed by {region}: {why}")]
    NotSigned { region: String, why: String },
    /// The region signed a head that conflicts with the last one cosigned: evidence.
    #[error(transparent)]
    Conflict(Conflict),
}

/// `head` names `region` and verifies with `keys`, the region's keys in the cluster file.
pub fn verify_head(keys: &[PublicKey], region: &str, head: &SignedTreeHead) -> Result<(), Refusal> {
    let not_signed = |why: String| Refusal::NotSigned {
        region: region.to_string(),
        why,
    };
    if head.head.region != region {
        return Err(not_signed(format!("it names region {}", head.head.region)));
    }
    head.verify(keys).map_err(|e| not_signed(e.to_string()))
}

/// The rule a witness applies before cosigning `new`, a head of `region`: the region signed
/// it, and it extends `last`, the last head cosigned for the region (`proof` is the
/// region's consistency proof from `last`'s size to `new`'s). The first head seen is taken
/// as it is: there is nothing before it to hold it to.
pub fn check_new_head(
    keys: &[PublicKey],
    region: &str,
    last: Option<&SignedTreeHead>,
    new: &SignedTreeHead,
    proof: &[Hash],
) -> Result<(), Refusal> {
    verify_head(keys, region, new)?;
    match last {
        None => Ok(()),
        Some(last) => extends(&last.head, &new.head, proof).map_err(Refusal::Conflict),
    }
}

// --- The audit's checks of what witnesses hold ----------------------------------------

fn violation(region: &str, kind: ViolationKind, detail: String) -> Violation {
    Violation {
        region: region.to_string(),
        kind,
        detail,
    }
}

fn keys_of<'a>(cluster: &'a Cluster, code: &str) -> &'a [PublicKey] {
    cluster
        .region(code)
        .map(|r| r.public_keys.as_slice())
        .unwrap_or_default()
}

fn short(h: &Hash) -> String {
    hex::encode(&h[..8])
}

/// A cosignature `witness` serves for `region`: by the witness's key, of a head `region`
/// signed. A bad one is the witness's fault.
pub fn check_cosigned(
    cluster: &Cluster,
    witness: &str,
    region: &str,
    c: &Cosigned,
) -> Option<Violation> {
    let bad = |detail: String| {
        Some(violation(
            witness,
            ViolationKind::BadCosignature,
            format!("cosignature of {region}'s ledger: {detail}"),
        ))
    };
    let cs = &c.cosignature;
    if cs.witness != witness || cs.region != region {
        return bad(format!(
            "it names witness {} and region {}",
            cs.witness, cs.region
        ));
    }
    if let Err(e) = cs.verify(keys_of(cluster, witness)) {
        return bad(format!("key {}: {e}", cs.key_id));
    }
    if let Err(e) = verify_head(keys_of(cluster, region), region, &c.head) {
        return bad(e.to_string());
    }
    if !cs.covers(&c.head.head) {
        return bad(format!(
            "it cosigns {} entries but comes with a head of {}",
            cs.tree_size, c.head.head.tree_size
        ));
    }
    None
}

/// The head `current` the region serves now extends the head `witness` cosigned (`proof`
/// from the region, from the cosigned size to the current one; none for a smaller or
/// equal size). A region whose head does not has dropped or rewritten what was seen.
pub fn check_extends_cosigned(
    witness: &str,
    c: &Cosigned,
    current: &SignedTreeHead,
    proof: &[Hash],
) -> Option<Violation> {
    let cs = &c.cosignature;
    let e = extends(&c.head.head, &current.head, proof).err()?;
    Some(violation(
        &current.head.region,
        ViolationKind::WitnessedConflict,
        format!(
            "ledger {}: its head of {} entries (root {}) does not extend the head of {} entries (root {}) that {witness} cosigned at {} ms: {}",
            e.kind,
            current.head.tree_size,
            short(&current.head.root_hash),
            cs.tree_size,
            short(&cs.root_hash),
            cs.timestamp_ms,
            e.detail
        ),
    ))
}

/// Evidence `witness` holds against `region`. Both heads must be the region's own; then a
/// truncation or fork is shown by the heads alone, and a larger head not shown to extend
/// stands unless `proof` (the region's consistency proof between the two heads, if it
/// still gives one) shows it does: then the evidence is refuted and `None` comes back.
/// Evidence the region did not sign is the witness's fault.
pub fn check_evidence(
    cluster: &Cluster,
    witness: &str,
    region: &str,
    e: &Evidence,
    proof: &[Hash],
) -> Option<Violation> {
    let forged = |detail: String| {
        Some(violation(
            witness,
            ViolationKind::BadCosignature,
            format!("evidence against {region}: {detail}"),
        ))
    };
    if e.witness != witness || e.region != region {
        return forged(format!(
            "it names witness {} and region {}",
            e.witness, e.region
        ));
    }
    let keys = keys_of(cluster, region);
    for h in [&e.cosigned, &e.conflicting] {
        if let Err(r) = verify_head(keys, region, h) {
            return forged(r.to_string());
        }
    }
    let conflict = extends(&e.cosigned.head, &e.conflicting.head, proof).err()?;
    Some(violation(
        region,
        ViolationKind::WitnessedConflict,
        format!(
            "{witness} holds evidence that the ledger was {}: {region} signed a head of {} entries (root {}) at {} ms after {witness} had cosigned its head of {} entries (root {}): {}",
            conflict.kind,
            e.conflicting.head.tree_size,
            short(&e.conflicting.head.root_hash),
            e.conflicting.head.timestamp_ms,
            e.cosigned.head.tree_size,
            short(&e.cosigned.head.root_hash),
            conflict.detail
        ),
    ))
}

/// Roots as hex in JSON, as in signed heads.
mod hex_root {
    use super::*;

    pub fn serialize<S: Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let s = String::deserialize(d)?;
        crate::head::parse_root(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger_log::{Ledger, MemoryLedgerStore};
    use std::sync::Arc;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn leaf(i: u64) -> Hash {
        merkle::leaf_hash(&i.to_be_bytes())
    }

    /// `in`'s signed head over the leaves `0..n` (`salt` makes another history).
    fn head(n: u64, salt: u64) -> SignedTreeHead {
        let leaves: Vec<Hash> = (0..n).map(|i| leaf(i + salt * 1000)).collect();
        TreeHead {
            region: "in".into(),
            tree_size: n,
            root_hash: merkle::root(&leaves),
            timestamp_ms: 1_700_000_000_000 + n as i64,
        }
        .sign(&key(1))
    }

    fn proof(m: u64, n: u64) -> Vec<Hash> {
        let leaves: Vec<Hash> = (0..n).map(leaf).collect();
        merkle::consistency_proof(&leaves, m).unwrap()
    }

    fn in_keys() -> Vec<PublicKey> {
        vec![PublicKey::from(&key(1))]
    }

    fn cluster() -> Cluster {
        let text = format!(
            r#"
[regions.in]
name = "India"
jurisdiction = "IN"
number = 1
base_url = "http://127.0.0.1:8081"
time_zone = "Asia/Kolkata"
public_keys = ["{k1}"]

[regions.id]
name = "Indonesia"
jurisdiction = "ID"
number = 2
base_url = "http://127.0.0.1:8082"
time_zone = "Asia/Jakarta"
public_keys = ["{k2}"]
"#,
            k1 = PublicKey::from(&key(1)),
            k2 = PublicKey::from(&key(2)),
        );
        Cluster::from_toml(&text).unwrap()
    }

    fn cosigned(h: &SignedTreeHead) -> Cosigned {
        Cosigned {
            cosignature: Cosignature::sign("id", &h.head, 1_700_000_100_000, &key(2)),
            head: h.clone(),
        }
    }

    fn conflict_kind(r: Result<(), Refusal>) -> ConflictKind {
        match r {
            Err(Refusal::Conflict(c)) => c.kind,
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[test]
    fn signing_bytes_are_domain_separated_text() {
        let c = Cosignature::sign("id", &head(3, 0).head, 42, &key(2));
        let text = String::from_utf8(c.signing_bytes()).unwrap();
        assert_eq!(
            text,
            format!(
                "roost-cosignature-v1\nid\nin\n3\n42\n{}\n",
                hex::encode(c.root_hash)
            )
        );
        // The same key's tree-head signature over the same numbers is another message.
        let own = TreeHead {
            region: "in".into(),
            tree_size: 3,
            root_hash: c.root_hash,
            timestamp_ms: 42,
        };
        assert_ne!(own.signing_bytes(), c.signing_bytes());
        let as_head = SignedTreeHead {
            head: own,
            key_id: c.key_id.clone(),
            signature: c.signature.clone(),
        };
        assert_eq!(
            as_head.verify(&[PublicKey::from(&key(2))]),
            Err(HeadError::BadSignature)
        );
    }

    #[test]
    fn cosignatures_verify_with_the_witness_key_only() {
        let h = head(5, 0);
        let c = Cosignature::sign("id", &h.head, 7, &key(2));
        assert!(c.covers(&h.head));
        c.verify(&[PublicKey::from(&key(2))]).unwrap();
        assert!(matches!(
            c.verify(&in_keys()),
            Err(HeadError::UnknownKey(_))
        ));
        for tamper in [
            |c: &mut Cosignature| c.tree_size += 1,
            |c: &mut Cosignature| c.root_hash[0] ^= 1,
            |c: &mut Cosignature| c.region = "cn".into(),
            |c: &mut Cosignature| c.witness = "cn".into(),
            |c: &mut Cosignature| c.timestamp_ms += 1,
        ] {
            let mut t = c.clone();
            tamper(&mut t);
            assert_eq!(
                t.verify(&[PublicKey::from(&key(2))]),
                Err(HeadError::BadSignature)
            );
        }
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["root_hash"], hex::encode(h.head.root_hash));
        assert_eq!(serde_json::from_value::<Cosignature>(json).unwrap(), c);
    }

    #[test]
    fn a_head_that_grows_is_cosigned() {
        let keys = in_keys();
        let first = head(3, 0);
        check_new_head(&keys, "in", None, &first, &[]).unwrap();
        // The same head again, and a larger one with its proof.
        check_new_head(&keys, "in", Some(&first), &first, &[]).unwrap();
        check_new_head(&keys, "in", Some(&first), &head(7, 0), &proof(3, 7)).unwrap();
        // From the empty tree every tree grows, with no proof.
        check_new_head(&keys, "in", Some(&head(0, 0)), &head(4, 0), &[]).unwrap();
    }

    #[test]
    fn a_forked_head_is_refused_as_evidence() {
        let keys = in_keys();
        let last = head(5, 0);
        // Same size, another root.
        let fork = head(5, 1);
        assert_eq!(
            conflict_kind(check_new_head(&keys, "in", Some(&last), &fork, &[])),
            ConflictKind::Forked
        );
        // A larger tree over another history: the honest history's proof does not fit.
        let grown_fork = head(8, 1);
        assert_eq!(
            conflict_kind(check_new_head(
                &keys,
                "in",
                Some(&last),
                &grown_fork,
                &proof(5, 8)
            )),
            ConflictKind::NotExtended
        );
        // Nor does no proof at all.
        assert_eq!(
            conflict_kind(check_new_head(&keys, "in", Some(&last), &head(8, 0), &[])),
            ConflictKind::NotExtended
        );
    }

    #[test]
    fn a_smaller_head_is_refused_as_truncation() {
        let keys = in_keys();
        let last = head(6, 0);
        assert_eq!(
            conflict_kind(check_new_head(&keys, "in", Some(&last), &head(5, 0), &[])),
            ConflictKind::Truncated
        );
        assert_eq!(
            conflict_kind(check_new_head(&keys, "in", Some(&last), &head(0, 0), &[])),
            ConflictKind::Truncated
        );
    }

    #[test]
    fn a_head_the_region_did_not_sign_is_no_evidence() {
        let last = head(5, 0);
        let mut forged = head(4, 0);
        forged.head.tree_size = 3;
        assert!(matches!(
            check_new_head(&in_keys(), "in", Some(&last), &forged, &[]),
            Err(Refusal::NotSigned { .. })
        ));
        let by_other = head(4, 0).head.sign(&key(9));
        assert!(matches!(
            check_new_head(&in_keys(), "in", Some(&last), &by_other, &[]),
            Err(Refusal::NotSigned { .. })
        ));
        // A head of `in` presented as `id`'s.
        assert!(matches!(
            check_new_head(&in_keys(), "id", None, &head(4, 0), &[]),
            Err(Refusal::NotSigned { .. })
        ));
    }

    #[test]
    fn the_audit_checks_cosignatures_and_served_heads() {
        let cl = cluster();
        let seen = head(6, 0);
        let c = cosigned(&seen);
        assert_eq!(check_cosigned(&cl, "id", "in", &c), None);
        // Served as another witness's, or signed by the wrong key: the witness's fault.
        let v = check_cosigned(&cl, "cn", "in", &c).unwrap();
        assert_eq!(
            (v.region.as_str(), v.kind),
            ("cn", ViolationKind::BadCosignature)
        );
        let mut bad = c.clone();
        bad.cosignature = Cosignature::sign("id", &seen.head, 1, &key(1));
        let v = check_cosigned(&cl, "id", "in", &bad).unwrap();
        assert_eq!(
            (v.region.as_str(), v.kind),
            ("id", ViolationKind::BadCosignature)
        );
        let mut other = c.clone();
        other.head = head(7, 0);
        assert!(check_cosigned(&cl, "id", "in", &other).is_some());

        // The region's head now: grown is fine, shrunk or forked is the region's fault.
        assert_eq!(check_extends_cosigned("id", &c, &seen, &[]), None);
        assert_eq!(
            check_extends_cosigned("id", &c, &head(9, 0), &proof(6, 9)),
            None
        );
        for now in [head(5, 0), head(6, 1)] {
            let v = check_extends_cosigned("id", &c, &now, &[]).unwrap();
            assert_eq!(v.region, "in");
            assert_eq!(v.kind, ViolationKind::WitnessedConflict);
            assert!(v.detail.contains("cosigned"), "{}", v.detail);
            assert!(v.detail.contains(" id "), "names the witness: {}", v.detail);
        }
        let v = check_extends_cosigned("id", &c, &head(5, 0), &[]).unwrap();
        assert!(v.detail.starts_with("ledger truncated"), "{}", v.detail);
    }

    #[test]
    fn the_audit_checks_evidence() {
        let cl = cluster();
        let evidence = |cosigned: SignedTreeHead, conflicting: SignedTreeHead, kind| Evidence {
            witness: "id".into(),
            region: "in".into(),
            kind,
            detail: String::new(),
            cosigned,
            conflicting,
            seen_ms: 0,
        };
        let truncated = evidence(head(6, 0), head(5, 0), ConflictKind::Truncated);
        let v = check_evidence(&cl, "id", "in", &truncated, &[]).unwrap();
        assert_eq!(
            (v.region.as_str(), v.kind),
            ("in", ViolationKind::WitnessedConflict)
        );
        assert!(v.detail.contains("truncated"), "{}", v.detail);
        let forked = evidence(head(6, 0), head(6, 1), ConflictKind::Forked);
        assert!(check_evidence(&cl, "id", "in", &forked, &[]).is_some());
        // A larger head that the region can still prove extends: refuted.
        let grown = evidence(head(6, 0), head(9, 0), ConflictKind::NotExtended);
        assert!(check_evidence(&cl, "id", "in", &grown, &[]).is_some());
        assert_eq!(check_evidence(&cl, "id", "in", &grown, &proof(6, 9)), None);
        // Heads the region did not sign: the witness's fault.
        let mut forged = truncated.clone();
        forged.conflicting = head(5, 0).head.sign(&key(2));
        let v = check_evidence(&cl, "id", "in", &forged, &[]).unwrap();
        assert_eq!(
            (v.region.as_str(), v.kind),
            ("id", ViolationKind::BadCosignature)
        );
    }

    #[tokio::test]
    async fn the_ledger_cosigns_with_its_key() {
        let ledger = Ledger::open("id".into(), key(2), Arc::new(MemoryLedgerStore::new()))
            .await
            .unwrap();
        let h = head(4, 0);
        let c = ledger.cosign(&h.head);
        assert_eq!((c.witness.as_str(), c.region.as_str()), ("id", "in"));
        assert!(c.covers(&h.head));
        c.verify(&[ledger.public_key()]).unwrap();
    }
}
