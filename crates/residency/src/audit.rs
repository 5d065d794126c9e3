//! Pure checks behind `roost audit`. The command gathers ledgers, heads and stored items from
//! every region; these functions say what is wrong with them.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::class::DataClass;
use crate::cluster::Cluster;
use crate::head::SignedTreeHead;
use crate::ledger::{Direction, LedgerEntry};
use crate::merkle::{self, Hash};

/// The last head the audit accepted for each region, so the next run can demand that each
/// ledger only grew.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedHeads {
    pub heads: BTreeMap<String, SignedTreeHead>,
}

impl SavedHeads {
    /// A missing file is an empty set (first audit).
    pub fn load(path: impl AsRef<Path>) -> io::Result<SavedHeads> {
        let path = path.as_ref();
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(SavedHeads::default()),
            Err(e) => return Err(e),
        };
        serde_json::from_slice(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a saved-heads file: {e}", path.display()),
            )
        })
    }

    /// Writes a temporary file and renames it over `path`, so a crash never leaves half a file.
    pub fn save(&self, path: impl AsRef<Path>) -> io::Result<()> {
        use std::io::Write as _;
        let path = path.as_ref();
        let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(".tmp");
        let tmp = path.with_file_name(tmp_name);
        let json = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&json)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ViolationKind {
    /// A head's signature does not verify with the region's keys (or names another region).
    BadSignature,
    /// A ledger shrank or rewrote history since a head the audit saw before.
    NotAppendOnly,
    /// The entries a region serves do not hash to the root it signed.
    LedgerMismatch,
    /// Foreign data in storage with no `Stored` ledger entry for it.
    UncoveredForeignItem,
    /// Foreign data stored although its home's policy does not allow storing it here.
    PolicyViolation,
    /// Foreign data kept longer than its home's policy allows.
    RetentionExceeded,
    /// Identity data outside its home region: never allowed.
    IdentityAbroad,
    /// A region says it stored something that its home region never recorded sending.
    NoMatchingSend,
    /// A region's ledger does not extend a head another region cosigned as its witness
    /// (entries dropped or rewritten), or a witness holds the region's own conflicting heads.
    WitnessedConflict,
    /// A witness serves a cosignature or evidence that does not verify: the witness's fault.
    BadCosignature,
    /// A backup was written to a place the cluster file does not allow for its region.
    BackupPlace,
    /// A region says it keeps something (its inventory, what "where is my data" lists)
    /// that its tables do not hold.
    OverReported,
    /// A row still names an account its home region erased.
    ErasedButNamed,
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The region at fault.
    pub region: String,
    pub kind: ViolationKind,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.region, self.kind, self.detail)
    }
}

fn violation(region: &str, kind: ViolationKind, detail: String) -> Violation {
    Violation {
        region: region.to_string(),
        kind,
        detail,
    }
}

/// One foreign item found in a region's storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignItem {
    /// Region whose storage holds it.
    pub holder: String,
    /// The data's home region.
    pub home: String,
    pub class: DataClass,
    pub subject: Option<String>,
    /// Same naming as `LedgerEntry::object`, e.g. `status:123`.
    pub object: String,
}

/// The head names `region`, and its signature verifies with the region's keys in the cluster.
pub fn check_head_signature(
    cluster: &Cluster,
    region: &str,
    head: &SignedTreeHead,
) -> Option<Violation> {
    let bad = |detail: String| Some(violation(region, ViolationKind::BadSignature, detail));
    let Some(spec) = cluster.region(region) else {
        return bad(format!("region {region} is not in the cluster file"));
    };
    if head.head.region != region {
        return bad(format!(
            "head served by {region} names region {}",
            head.head.region
        ));
    }
    match head.verify(&spec.public_keys) {
        Ok(()) => None,
        Err(e) => bad(format!(
            "head of size {} signed with key {}: {e}",
            head.head.tree_size, head.key_id
        )),
    }
}

/// The entries a region served are exactly the leaves behind its signed head.
pub fn check_entries_match_head(
    region: &str,
    entries: &[LedgerEntry],
    head: &SignedTreeHead,
) -> Vec<Violation> {
    let hashes: Vec<Hash> = entries.iter().map(LedgerEntry::leaf_hash).collect();
    check_hashes_match_head(region, &hashes, head)
}

/// Same as `check_entries_match_head`, on the raw leaf bytes as served.
pub fn check_leaves_match_head(
    region: &str,
    leaves: &[Vec<u8>],
    head: &SignedTreeHead,
) -> Vec<Violation> {
    let hashes: Vec<Hash> = leaves.iter().map(|l| merkle::leaf_hash(l)).collect();
    check_hashes_match_head(region, &hashes, head)
}

fn check_hashes_match_head(region: &str, hashes: &[Hash], head: &SignedTreeHead) -> Vec<Violation> {
    let mismatch = |detail: String| vec![violation(region, ViolationKind::LedgerMismatch, detail)];
    if head.head.region != region {
        return mismatch(format!(
            "head for region {} checked as {region}",
            head.head.region
        ));
    }
    if hashes.len() as u64 != head.head.tree_size {
        return mismatch(format!(
            "signed head has {} entries but the ledger served {}",
            head.head.tree_size,
            hashes.len()
        ));
    }
    let root = merkle::root(hashes);
    if root != head.head.root_hash {
        return mismatch(format!(
            "the {} entries hash to root {} but the signed head says {}",
            hashes.len(),
            hex::encode(root),
            hex::encode(head.head.root_hash)
        ));
    }
    Vec::new()
}

/// Every foreign item `holder` stores must be recorded as stored in its ledger, be allowed
/// storage by its home's current policy, and be within the retention limit.
pub fn check_stored_items(
    cluster: &Cluster,
    holder: &str,
    items: &[ForeignItem],
    holder_entries: &[LedgerEntry],
    now_ms: i64,
) -> Vec<Violation> {
    let mut out = Vec::new();
    for item in items {
        if item.home == holder {
            // At home: not foreign, nothing to prove.
            continue;
        }
        let what = format!(
            "{} ({}) from {}{}",
            item.object,
            item.class,
            item.home,
            item.subject
                .as_deref()
                .map(|s| format!(", account {s}"))
                .unwrap_or_default()
        );
        if item.class == DataClass::Identity {
            out.push(violation(
                holder,
                ViolationKind::IdentityAbroad,
                format!("stores identity data {what}"),
            ));
            continue;
        }
        // The last word on the object: a `dropped` entry after the `stored` one says it
        // is not kept, so a row of it is not covered.
        let last = holder_entries.iter().rev().find(|e| {
            matches!(e.direction, Direction::Stored | Direction::Dropped)
                && e.object == item.object
                && e.counterpart == item.home
        });
        if last.is_some_and(|e| e.direction == Direction::Dropped) {
            out.push(violation(
                holder,
                ViolationKind::UncoveredForeignItem,
                format!("stores {what}, which its ledger says was dropped"),
            ));
            continue;
        }
        let newest = last.map(|e| e.time_ms);
        let Some(newest) = newest else {
            out.push(violation(
                holder,
                ViolationKind::UncoveredForeignItem,
                format!("stores {what} with no stored entry in its ledger"),
            ));
            continue;
        };
        let decision = cluster.decide(&item.home, holder, item.class);
        if !decision.persist() {
            out.push(violation(
                holder,
                ViolationKind::PolicyViolation,
                format!("stores {what}, but the policy is {}", decision.rule()),
            ));
            continue;
        }
        if let Some(max) = decision.action.max_secs() {
            let limit =
                newest.saturating_add(i64::try_from(max.saturating_mul(1000)).unwrap_or(i64::MAX));
            if limit < now_ms {
                out.push(violation(
                    holder,
                    ViolationKind::RetentionExceeded,
                    format!(
                        "stores {what} since {newest} ms, past the limit of {}",
                        decision.rule()
                    ),
                ));
            }
        }
    }
    out
}

/// Kinds of object (`status:ID`...) the storage scan finds whole, so a claim of one can be
/// checked against the tables. Profiles and pictures are not: an account kept as an
/// address only is not foreign content, and a picture's row is its account's.
pub const CHECKED_CLAIMS: [&str; 6] = ["status", "media", "follow", "favourite", "block", "vote"];

/// What `holder` says it keeps (`claims`: its inventory's objects, what "where is my data"
/// lists) must be in its tables (`items`, the scan): a claim with no row is an
/// over-report, as a reply dropped for want of its parent but still listed would be.
pub fn check_claims(holder: &str, claims: &[String], items: &[ForeignItem]) -> Vec<Violation> {
    let found: std::collections::HashSet<&str> = items.iter().map(|i| i.object.as_str()).collect();
    claims
        .iter()
        .filter(|c| {
            let kind = c.split(':').next().unwrap_or_default();
            CHECKED_CLAIMS.contains(&kind) && !found.contains(c.as_str())
        })
        .map(|c| {
            violation(
                holder,
                ViolationKind::OverReported,
                format!("its inventory lists {c}, which its tables do not hold"),
            )
        })
        .collect()
}

/// Every `Stored` entry `holder` records from `origin` must match a `Sent` entry in `origin`'s
/// ledger to `holder`, with the same object and payload hash.
pub fn check_sends_match(
    holder: &str,
    holder_entries: &[LedgerEntry],
    origin: &str,
    origin_entries: &[LedgerEntry],
) -> Vec<Violation> {
    holder_entries
        .iter()
        .filter(|e| e.direction == Direction::Stored && e.counterpart == origin)
        .filter(|stored| {
            !origin_entries.iter().any(|sent| {
                sent.direction == Direction::Sent
                    && sent.counterpart == holder
                    && sent.object == stored.object
                    && sent.payload_sha256 == stored.payload_sha256
            })
        })
        .map(|stored| {
            violation(
                holder,
                ViolationKind::NoMatchingSend,
                format!(
                    "stored {} (payload {}) from {origin}, which has no matching send",
                    stored.object, stored.payload_sha256
                ),
            )
        })
        .collect()
}

/// The current head extends the one saved by the last audit (`proof` from the region's
/// consistency endpoint for saved size -> current size).
pub fn check_consistency(
    saved: &SignedTreeHead,
    current: &SignedTreeHead,
    proof: &[Hash],
) -> Option<Violation> {
    let region = &current.head.region;
    let (old, new) = (saved.head.tree_size, current.head.tree_size);
    if new < old {
        return Some(violation(
            region,
            ViolationKind::NotAppendOnly,
            format!("ledger shrank from {old} to {new} entries"),
        ));
    }
    match merkle::verify_consistency(
        old,
        new,
        &saved.head.root_hash,
        &current.head.root_hash,
        proof,
    ) {
        Ok(()) => None,
        Err(e) => Some(violation(
            region,
            ViolationKind::NotAppendOnly,
            format!("ledger of {new} entries does not extend the saved one of {old}: {e}"),
        )),
    }
}

// --- Rows that name foreign data ----------------------------------------------------------

/// A row that names a status or an account of another region: a bookmark, a like, a
/// notification, a timeline entry, a mention, a conversation, a file's row. The row is the
/// holder's own; what it names must be something the holder may keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignReference {
    /// The table and row, for the report, e.g. `bookmarks row of account 12`.
    pub row: String,
    /// What the row names, as ledger objects are named: `status:ID` or `account:ID`.
    pub object: String,
    /// The home region of what it names: the held row's, or (not held) the region the ID
    /// names. `None`: the ID names no region of the cluster.
    pub home: Option<String>,
    /// Whether the holder holds the named row.
    pub held: bool,
    /// The class of the named item when held (a status); `None` for an account, whose
    /// address any region may keep.
    pub class: Option<DataClass>,
}

/// Every row of `holder` that names foreign data must name something the holder holds
/// (a row pointing at a post it does not have says it had it, or was given its ID off
/// the ledger) and that the home's policy lets it keep.
pub fn check_references(
    cluster: &Cluster,
    holder: &str,
    refs: &[ForeignReference],
) -> Vec<Violation> {
    let mut out = Vec::new();
    for r in refs {
        let Some(home) = r.home.as_deref() else {
            out.push(violation(
                holder,
                ViolationKind::UncoveredForeignItem,
                format!(
                    "{} names {}, whose ID names no region of the cluster",
                    r.row, r.object
                ),
            ));
            continue;
        };
        if home == holder {
            continue;
        }
        if !r.held {
            out.push(violation(
                holder,
                ViolationKind::UncoveredForeignItem,
                format!(
                    "{} names {} from {home}, which {holder} does not hold",
                    r.row, r.object
                ),
            ));
            continue;
        }
        if let Some(class) = r.class {
            let decision = cluster.decide(home, holder, class);
            if !decision.persist() {
                out.push(violation(
                    holder,
                    ViolationKind::PolicyViolation,
                    format!(
                        "{} names {} ({class}) from {home}, but the policy is {}",
                        r.row,
                        r.object,
                        decision.rule()
                    ),
                ));
            }
        }
    }
    out
}

/// Every recorded backup (`(place, file)`) of `region` must be in a place the cluster file
/// lets that region keep backups in.
pub fn check_backup_places(
    region: &crate::RegionSpec,
    backups: &[(String, String)],
) -> Vec<Violation> {
    backups
        .iter()
        .filter(|(place, _)| {
            !crate::BackupPlace::parse(place).is_ok_and(|p| region.allows_backup(&p))
        })
        .map(|(place, file)| Violation {
            region: region.code.clone(),
            kind: ViolationKind::BackupPlace,
            detail: format!(
                "backup {file} was written to {place}, which the cluster file does not allow for {}",
                region.code
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::PublicKey;
    use crate::head::TreeHead;
    use crate::ledger::sha256_hex;
    use ed25519_dalek::SigningKey;

    const DAY_MS: i64 = 86_400_000;
    const NOW: i64 = 1_700_000_000_000;

    fn skey(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
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
[regions.in.policy.default]
public_content = "store"
engagement = "store:30d"
[regions.in.policy.to.cn]
public_content = "transit"

[regions.id]
name = "Indonesia"
jurisdiction = "ID"
number = 2
base_url = "http://127.0.0.1:8082"
time_zone = "Asia/Jakarta"
public_keys = ["{k2}"]

[regions.cn]
name = "China"
jurisdiction = "CN"
number = 3
base_url = "http://127.0.0.1:8083"
time_zone = "Asia/Shanghai"
public_keys = ["{k3}"]
"#,
            k1 = PublicKey::from(&skey(1)),
            k2 = PublicKey::from(&skey(2)),
            k3 = PublicKey::from(&skey(3)),
        );
        Cluster::from_toml(&text).unwrap()
    }

    fn e(dir: Direction, object: &str, counterpart: &str, time_ms: i64) -> LedgerEntry {
        LedgerEntry {
            time_ms,
            direction: dir,
            class: DataClass::PublicContent,
            subject: Some("45".into()),
            object: object.into(),
            counterpart: counterpart.into(),
            purpose: "deliver Create".into(),
            payload_sha256: sha256_hex(object.as_bytes()),
            decision: "store".into(),
        }
    }

    fn item(holder: &str, home: &str, class: DataClass, object: &str) -> ForeignItem {
        ForeignItem {
            holder: holder.into(),
            home: home.into(),
            class,
            subject: Some("45".into()),
            object: object.into(),
        }
    }

    fn head_for(region: &str, entries: &[LedgerEntry], key: &SigningKey) -> SignedTreeHead {
        let hashes: Vec<Hash> = entries.iter().map(|e| e.leaf_hash()).collect();
        TreeHead {
            region: region.into(),
            tree_size: entries.len() as u64,
            root_hash: merkle::root(&hashes),
            timestamp_ms: NOW,
        }
        .sign(key)
    }

    fn kinds(v: &[Violation]) -> Vec<ViolationKind> {
        v.iter().map(|v| v.kind).collect()
    }

    #[test]
    fn saved_heads_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("heads.json");
        assert_eq!(SavedHeads::load(&path).unwrap(), SavedHeads::default());
        let mut saved = SavedHeads::default();
        let entries = [e(Direction::Sent, "status:1", "id", NOW)];
        saved
            .heads
            .insert("in".into(), head_for("in", &entries, &skey(1)));
        saved.save(&path).unwrap();
        assert!(!dir.path().join("heads.json.tmp").exists());
        assert_eq!(SavedHeads::load(&path).unwrap(), saved);
        // Overwrite in place.
        saved.heads.clear();
        saved.save(&path).unwrap();
        assert!(SavedHeads::load(&path).unwrap().heads.is_empty());
        std::fs::write(&path, "not json").unwrap();
        let err = SavedHeads::load(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("heads.json"), "{err}");
    }

    #[test]
    fn head_signature() {
        let c = cluster();
        let good = head_for("in", &[], &skey(1));
        assert_eq!(check_head_signature(&c, "in", &good), None);
        // Signed by another region's key.
        let v = check_head_signature(&c, "in", &head_for("in", &[], &skey(2))).unwrap();
        assert_eq!(v.kind, ViolationKind::BadSignature);
        // A valid head of another region served as ours.
        let v = check_head_signature(&c, "in", &head_for("id", &[], &skey(2))).unwrap();
        assert_eq!(v.kind, ViolationKind::BadSignature);
        let mut forged = good;
        forged.head.tree_size = 5;
        let v = check_head_signature(&c, "in", &forged).unwrap();
        assert_eq!(v.kind, ViolationKind::BadSignature);
        assert_eq!(v.region, "in");
        assert!(check_head_signature(&c, "zz", &head_for("zz", &[], &skey(1))).is_some());
    }

    #[test]
    fn entries_against_head() {
        let entries = vec![
            e(Direction::Sent, "status:1", "id", NOW),
            e(Direction::Sent, "status:2", "id", NOW),
            e(Direction::Stored, "status:9", "id", NOW),
        ];
        let head = head_for("in", &entries, &skey(1));
        assert!(check_entries_match_head("in", &entries, &head).is_empty());
        let leaves: Vec<Vec<u8>> = entries.iter().map(|e| e.leaf_bytes()).collect();
        assert!(check_leaves_match_head("in", &leaves, &head).is_empty());
        // An entry quietly edited.
        let mut edited = entries.clone();
        edited[1].counterpart = "cn".into();
        let v = check_entries_match_head("in", &edited, &head);
        assert_eq!(kinds(&v), [ViolationKind::LedgerMismatch]);
        // An entry withheld.
        let v = check_entries_match_head("in", &entries[..2], &head);
        assert_eq!(kinds(&v), [ViolationKind::LedgerMismatch]);
        let v = check_leaves_match_head("in", &leaves[1..], &head);
        assert_eq!(kinds(&v), [ViolationKind::LedgerMismatch]);
        // Reordered.
        let mut swapped = entries.clone();
        swapped.swap(0, 1);
        assert_eq!(
            kinds(&check_entries_match_head("in", &swapped, &head)),
            [ViolationKind::LedgerMismatch]
        );
        assert!(!check_entries_match_head("id", &entries, &head).is_empty());
        // The empty ledger.
        assert!(check_entries_match_head("in", &[], &head_for("in", &[], &skey(1))).is_empty());
    }

    #[test]
    fn stored_items_clean() {
        let c = cluster();
        let ledger = vec![
            e(Direction::Stored, "status:1", "in", NOW - 100 * DAY_MS),
            e(Direction::Stored, "like:7", "in", NOW - 10 * DAY_MS),
        ];
        let items = vec![
            item("id", "in", DataClass::PublicContent, "status:1"),
            item("id", "in", DataClass::Engagement, "like:7"),
            // Its own data is not foreign.
            item("id", "id", DataClass::Identity, "account:3"),
        ];
        assert!(check_stored_items(&c, "id", &items, &ledger, NOW).is_empty());
    }

    #[test]
    fn stored_items_violations() {
        let c = cluster();
        let ledger = vec![
            e(Direction::Stored, "status:1", "in", NOW - DAY_MS),
            // Wrong counterpart for status:2: does not cover an item whose home is in.
            e(Direction::Stored, "status:2", "cn", NOW - DAY_MS),
            // A send is not a record of storing.
            e(Direction::Sent, "status:3", "in", NOW - DAY_MS),
            e(Direction::Stored, "like:7", "in", NOW - 31 * DAY_MS),
            // Stored twice: the newer record keeps it within retention.
            e(Direction::Stored, "like:8", "in", NOW - 40 * DAY_MS),
            e(Direction::Stored, "like:8", "in", NOW - 2 * DAY_MS),
            e(Direction::Stored, "follow:45:67", "in", NOW - DAY_MS),
        ];
        let only = |holder: &str, it: ForeignItem| {
            kinds(&check_stored_items(&c, holder, &[it], &ledger, NOW))
        };
        assert_eq!(
            only("id", item("id", "in", DataClass::Identity, "account:45")),
            [ViolationKind::IdentityAbroad]
        );
        assert_eq!(
            only("id", item("id", "in", DataClass::PublicContent, "status:2")),
            [ViolationKind::UncoveredForeignItem]
        );
        assert_eq!(
            only("id", item("id", "in", DataClass::PublicContent, "status:3")),
            [ViolationKind::UncoveredForeignItem]
        );
        assert_eq!(
            only(
                "id",
                item("id", "in", DataClass::PublicContent, "status:99")
            ),
            [ViolationKind::UncoveredForeignItem]
        );
        // in -> cn public_content is transit: recorded, but storing is not allowed.
        let v = check_stored_items(
            &c,
            "cn",
            &[item("cn", "in", DataClass::PublicContent, "status:1")],
            &[e(Direction::Stored, "status:1", "in", NOW)],
            NOW,
        );
        assert_eq!(kinds(&v), [ViolationKind::PolicyViolation]);
        assert!(
            v[0].detail.contains("in -> cn public_content: transit"),
            "{}",
            v[0].detail
        );
        assert_eq!(v[0].region, "cn");
        // Social graph has no rule: deny.
        assert_eq!(
            only(
                "id",
                item("id", "in", DataClass::SocialGraph, "follow:45:67")
            ),
            [ViolationKind::PolicyViolation]
        );
        assert_eq!(
            only("id", item("id", "in", DataClass::Engagement, "like:7")),
            [ViolationKind::RetentionExceeded]
        );
        assert!(only("id", item("id", "in", DataClass::Engagement, "like:8")).is_empty());
        // Exactly at the limit is still fine.
        let at_limit = [e(Direction::Stored, "like:9", "in", NOW - 30 * DAY_MS)];
        let it = [item("id", "in", DataClass::Engagement, "like:9")];
        assert!(check_stored_items(&c, "id", &it, &at_limit, NOW).is_empty());
        assert_eq!(
            kinds(&check_stored_items(&c, "id", &it, &at_limit, NOW + 1)),
            [ViolationKind::RetentionExceeded]
        );
    }

    #[test]
    fn sends_match() {
        let in_ledger = vec![
            e(Direction::Sent, "status:1", "id", NOW),
            e(Direction::Sent, "status:2", "id", NOW),
            e(Direction::Sent, "status:3", "cn", NOW),
        ];
        let id_ledger = vec![
            e(Direction::Stored, "status:1", "in", NOW),
            e(Direction::Stored, "status:2", "in", NOW),
            // Stored from another origin: not this check's business.
            e(Direction::Stored, "status:5", "cn", NOW),
            e(Direction::Sent, "status:6", "in", NOW),
        ];
        assert!(check_sends_match("id", &id_ledger, "in", &in_ledger).is_empty());

        let mut bad = id_ledger.clone();
        // Never sent.
        bad.push(e(Direction::Stored, "status:4", "in", NOW));
        // Sent, but to cn.
        bad.push(e(Direction::Stored, "status:3", "in", NOW));
        // Sent, but different bytes.
        let mut other = e(Direction::Stored, "status:2", "in", NOW);
        other.payload_sha256 = sha256_hex(b"something else");
        bad.push(other);
        let v = check_sends_match("id", &bad, "in", &in_ledger);
        assert_eq!(kinds(&v), [ViolationKind::NoMatchingSend; 3]);
        assert!(v.iter().all(|v| v.region == "id"));
        assert!(v[0].detail.contains("status:4"));
        // A "stored" record in the origin is not a send.
        let not_sent = vec![e(Direction::Stored, "status:1", "id", NOW)];
        assert_eq!(
            kinds(&check_sends_match("id", &id_ledger[..1], "in", &not_sent)),
            [ViolationKind::NoMatchingSend]
        );
    }

    #[test]
    fn consistency_against_saved_head() {
        let k = skey(1);
        let entries: Vec<LedgerEntry> = (0..7)
            .map(|i| e(Direction::Sent, &format!("status:{i}"), "id", NOW))
            .collect();
        let hashes: Vec<Hash> = entries.iter().map(|e| e.leaf_hash()).collect();
        let saved = head_for("in", &entries[..3], &k);
        let current = head_for("in", &entries, &k);
        let proof = merkle::consistency_proof(&hashes, 3).unwrap();
        assert_eq!(check_consistency(&saved, &current, &proof), None);
        assert_eq!(check_consistency(&saved, &saved, &[]), None);
        let from_empty = head_for("in", &[], &k);
        assert_eq!(check_consistency(&from_empty, &current, &[]), None);

        // Shrank.
        let v = check_consistency(&current, &saved, &proof).unwrap();
        assert_eq!(v.kind, ViolationKind::NotAppendOnly);
        assert_eq!(v.region, "in");
        // History rewritten: entry 1 changed after the saved head.
        let mut rewritten = entries.clone();
        rewritten[1].object = "status:changed".into();
        let rh: Vec<Hash> = rewritten.iter().map(|e| e.leaf_hash()).collect();
        let forged = head_for("in", &rewritten, &k);
        let forged_proof = merkle::consistency_proof(&rh, 3).unwrap();
        assert_eq!(
            check_consistency(&saved, &forged, &forged_proof).map(|v| v.kind),
            Some(ViolationKind::NotAppendOnly)
        );
        // Same size, different root.
        let same_size = head_for("in", &rewritten[..3], &k);
        assert!(check_consistency(&saved, &same_size, &[]).is_some());
        // Missing proof.
        assert!(check_consistency(&saved, &current, &[]).is_some());
    }

    #[test]
    fn violation_text() {
        let v = violation("id", ViolationKind::NoMatchingSend, "x".into());
        assert_eq!(v.to_string(), "id: NoMatchingSend: x");
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            serde_json::json!({"region": "id", "kind": "NoMatchingSend", "detail": "x"})
        );
    }

    #[test]
    fn references_to_foreign_data() {
        let c = cluster();
        let r = |object: &str, home: Option<&str>, held: bool, class: Option<DataClass>| {
            ForeignReference {
                row: "bookmarks row of account 1".into(),
                object: object.into(),
                home: home.map(String::from),
                held,
                class,
            }
        };
        let refs = [
            // Clean: held and storable, an account address, something of the holder's own.
            r("status:1", Some("in"), true, Some(DataClass::PublicContent)),
            r("account:2", Some("in"), true, None),
            r("status:3", Some("id"), false, None),
            // Not held, forbidden by policy (nothing private may leave India), minted
            // nowhere.
            r("status:4", Some("in"), false, None),
            r("account:5", Some("in"), false, None),
            r(
                "status:6",
                Some("in"),
                true,
                Some(DataClass::PrivateContent),
            ),
            r("status:7", None, false, None),
        ];
        let v = check_references(&c, "id", &refs);
        assert_eq!(
            kinds(&v),
            vec![
                ViolationKind::UncoveredForeignItem,
                ViolationKind::UncoveredForeignItem,
                ViolationKind::PolicyViolation,
                ViolationKind::UncoveredForeignItem,
            ],
            "{v:?}"
        );
        assert!(v[0].detail.contains("status:4"));
        assert!(v[2].detail.contains("status:6"));
    }

    #[test]
    fn a_dropped_entry_ends_what_the_stored_one_covered() {
        let c = cluster();
        let items = [item("id", "in", DataClass::PublicContent, "status:1")];
        let stored = e(Direction::Stored, "status:1", "in", NOW);
        let dropped = e(Direction::Dropped, "status:1", "in", NOW);
        assert!(
            check_stored_items(&c, "id", &items, std::slice::from_ref(&stored), NOW).is_empty()
        );
        let v = check_stored_items(&c, "id", &items, &[stored.clone(), dropped.clone()], NOW);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].detail.contains("dropped"), "{v:?}");
        // Stored again after the drop: covered again.
        assert!(
            check_stored_items(&c, "id", &items, &[stored.clone(), dropped, stored], NOW)
                .is_empty()
        );
    }

    #[test]
    fn a_claim_without_its_row_is_an_over_report() {
        let items = [item("id", "in", DataClass::PublicContent, "status:1")];
        let claims = vec![
            "status:1".to_string(),
            "status:2".to_string(),
            "favourite:3:4".to_string(),
            // An address-only account is not in the scan: not judged.
            "account:5".to_string(),
        ];
        let v = check_claims("id", &claims, &items);
        let details: Vec<&str> = v.iter().map(|v| v.detail.as_str()).collect();
        assert_eq!(v.len(), 2, "{details:?}");
        assert!(v.iter().all(|v| v.kind == ViolationKind::OverReported));
        assert!(details.iter().any(|d| d.contains("status:2")));
        assert!(details.iter().any(|d| d.contains("favourite:3:4")));
    }
}
