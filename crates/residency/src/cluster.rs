//! The cluster file: every region, its keys and its outbound policy, shared by all regions.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::class::DataClass;
use crate::policy::{Action, Decision, Policy};

/// Region numbers are minted into IDs in 10 bits.
pub const MAX_REGION_NUMBER: u16 = 1023;

const KEY_PREFIX: &str = "ed25519:";

/// A region's public signing key; text form `ed25519:<standard base64 of the 32 bytes>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub VerifyingKey);

impl PublicKey {
    /// Short stable name for the key: the first 16 hex characters of SHA-256 of its bytes.
    pub fn key_id(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        hex::encode(&digest[..8])
    }

    pub fn parse(s: &str) -> Result<PublicKey, KeyError> {
        let b64 = s.strip_prefix(KEY_PREFIX).ok_or(KeyError::Prefix)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| KeyError::Base64)?;
        let bytes: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::Length(bytes.len()))?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::NotAPoint)?;
        Ok(PublicKey(key))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b64 = base64::engine::general_purpose::STANDARD.encode(self.0.as_bytes());
        write!(f, "{KEY_PREFIX}{b64}")
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PublicKey::parse(s)
    }
}

impl From<VerifyingKey> for PublicKey {
    fn from(k: VerifyingKey) -> Self {
        PublicKey(k)
    }
}

impl From<&SigningKey> for PublicKey {
    fn from(k: &SigningKey) -> Self {
        PublicKey(k.verifying_key())
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PublicKey::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Why a key text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a public key must start with \"ed25519:\"")]
    Prefix,
    #[error("the key after \"ed25519:\" is not standard base64")]
    Base64,
    #[error("an ed25519 public key is 32 bytes, this one is {0}")]
    Length(usize),
    #[error("the 32 bytes are not a valid ed25519 public key")]
    NotAPoint,
}

/// One region as the cluster file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionSpec {
    /// Short code, `[a-z][a-z0-9-]{0,15}`, e.g. `in`.
    pub code: String,
    pub name: String,
    /// Legal jurisdiction, e.g. `IN`.
    pub jurisdiction: String,
    /// 0..=1023, minted into every ID so an ID names its region.
    pub number: u16,
    /// No trailing slash.
    pub base_url: String,
    /// IANA zone, for "today" in the region's local time.
    pub time_zone: String,
    /// Newest first; older keys stay so heads signed before a rotation still verify.
    pub public_keys: Vec<PublicKey>,
    /// Where the region keeps its data when several run on one machine (demo, audit).
    pub data_dir: Option<String>,
    /// What this region's users' data may do elsewhere.
    pub policy: Policy,
    /// Where this region's backups may be written (`dir:/abs/path` or
    /// `s3://BUCKET/PREFIX`; a place under one of them is allowed too). Empty: nowhere.
    pub backups: Vec<BackupPlace>,
}

/// A place backups are written to: a directory on a machine of the region, or a prefix
/// in an S3-compatible bucket of the region's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum BackupPlace {
    Dir(PathBuf),
    /// `s3://BUCKET/PREFIX`: objects whose keys start with `PREFIX/` (any key of the
    /// bucket without a prefix). The prefix has no leading or trailing `/`.
    S3 {
        bucket: String,
        prefix: Option<String>,
    },
}

impl BackupPlace {
    /// `dir:/abs/path`, an absolute path alone, or `s3://BUCKET/PREFIX` (the prefix may be
    /// left out). Relative paths, `..` and odd names are refused: every reader of the
    /// cluster file (a region, the audit) must mean the same place.
    pub fn parse(text: &str) -> Result<BackupPlace, String> {
        if text.get(..3).is_some_and(|s| s.eq_ignore_ascii_case("s3:")) {
            return parse_s3(text);
        }
        let path = text.strip_prefix("dir:").unwrap_or(text);
        let path = Path::new(path);
        if !path.is_absolute() {
            return Err(format!(
                "backup place {text:?} must be dir: and an absolute path, or s3://BUCKET/PREFIX"
            ));
        }
        let mut clean = PathBuf::new();
        for c in path.components() {
            match c {
                std::path::Component::ParentDir => {
                    return Err(format!("backup place {text:?} must not hold \"..\""))
                }
                std::path::Component::CurDir => {}
                other => clean.push(other),
            }
        }
        Ok(BackupPlace::Dir(clean))
    }

    /// Whether `self` is `allowed` or a place within it (a directory below it, or a
    /// prefix below it in the same bucket, by whole segments). A directory is never
    /// within a bucket, nor a bucket within a directory.
    pub fn within(&self, allowed: &BackupPlace) -> bool {
        match (self, allowed) {
            (BackupPlace::Dir(p), BackupPlace::Dir(a)) => p.starts_with(a),
            (
                BackupPlace::S3 { bucket, prefix },
                BackupPlace::S3 {
                    bucket: a_bucket,
                    prefix: a_prefix,
                },
            ) => {
                bucket == a_bucket
                    && match (prefix, a_prefix) {
                        (_, None) => true,
                        (None, Some(_)) => false,
                        (Some(p), Some(a)) => {
                            p == a
                                || p.strip_prefix(a.as_str())
                                    .is_some_and(|r| r.starts_with('/'))
                        }
                    }
            }
            (BackupPlace::Dir(_), BackupPlace::S3 { .. })
            | (BackupPlace::S3 { .. }, BackupPlace::Dir(_)) => false,
        }
    }

    /// The place a file at `self` is in and the file's name: `s3://b/p/NAME` is
    /// `s3://b/p` and `NAME`. None for a bucket without a prefix (no file is named).
    pub fn split_file(&self) -> Option<(BackupPlace, String)> {
        match self {
            BackupPlace::Dir(p) => {
                let name = p.file_name()?.to_str()?.to_string();
                Some((BackupPlace::Dir(p.parent()?.to_path_buf()), name))
            }
            BackupPlace::S3 { bucket, prefix } => {
                let prefix = prefix.as_deref()?;
                let (rest, name) = match prefix.rsplit_once('/') {
                    Some((rest, name)) => (Some(rest.to_string()), name),
                    None => (None, prefix),
                };
                Some((
                    BackupPlace::S3 {
                        bucket: bucket.clone(),
                        prefix: rest,
                    },
                    name.to_string(),
                ))
            }
        }
    }
}

/// Bucket names as S3 allows them everywhere: 3-63 lower-case letters, digits, `-` and
/// `.`, starting and ending with a letter or digit, no `..`.
fn valid_bucket(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'.')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
}

/// One segment of a prefix: letters, digits, `-`, `_`, `.`, and not `.` or `..`.
fn plain_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
}

fn parse_s3(text: &str) -> Result<BackupPlace, String> {
    let rest = text
        .strip_prefix("s3://")
        .ok_or_else(|| format!("backup place {text:?}: a bucket is written s3://BUCKET/PREFIX"))?;
    let (bucket, prefix) = match rest.split_once('/') {
        Some((b, p)) => (b, p.strip_suffix('/').unwrap_or(p)),
        None => (rest, ""),
    };
    if bucket.is_empty() {
        return Err(format!("backup place {text:?} names no bucket"));
    }
    if !valid_bucket(bucket) {
        return Err(format!(
            "backup place {text:?}: bucket {bucket:?} is not a valid bucket name \
             (3-63 lower-case letters, digits, '-' and '.')"
        ));
    }
    if prefix.is_empty() {
        return Ok(BackupPlace::S3 {
            bucket: bucket.to_string(),
            prefix: None,
        });
    }
    for seg in prefix.split('/') {
        if seg == ".." || seg == "." {
            return Err(format!("backup place {text:?} must not hold {seg:?}"));
        }
        if seg.is_empty() {
            return Err(format!(
                "backup place {text:?} holds an empty segment (\"//\")"
            ));
        }
        if !plain_segment(seg) {
            return Err(format!(
                "backup place {text:?}: prefix segment {seg:?} may hold only letters, digits, \
                 '-', '_' and '.'"
            ));
        }
    }
    if prefix.len() > 512 {
        return Err(format!("backup place {text:?}: the prefix is too long"));
    }
    Ok(BackupPlace::S3 {
        bucket: bucket.to_string(),
        prefix: Some(prefix.to_string()),
    })
}

impl fmt::Display for BackupPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackupPlace::Dir(p) => write!(f, "dir:{}", p.display()),
            BackupPlace::S3 {
                bucket,
                prefix: None,
            } => write!(f, "s3://{bucket}"),
            BackupPlace::S3 {
                bucket,
                prefix: Some(p),
            } => write!(f, "s3://{bucket}/{p}"),
        }
    }
}

impl RegionSpec {
    /// `host[:port]` of `base_url`, lower-cased: the name other servers know the region by.
    pub fn domain(&self) -> String {
        domain_of(&self.base_url).unwrap_or_default()
    }

    /// Whether the cluster file lets this region keep a backup at `place`.
    pub fn allows_backup(&self, place: &BackupPlace) -> bool {
        self.backups.iter().any(|a| place.within(a))
    }

    /// The key new heads are signed with.
    pub fn current_key(&self) -> Option<&PublicKey> {
        self.public_keys.first()
    }

    /// Finds one of this region's keys by its `key_id`.
    pub fn key_by_id(&self, key_id: &str) -> Option<&PublicKey> {
        self.public_keys.iter().find(|k| k.key_id() == key_id)
    }
}

/// `host[:port]` of an http(s) URL, or `None` if it is not one.
fn domain_of(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // Drop user info; it is not part of the name.
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() {
        None
    } else {
        Some(host.to_ascii_lowercase())
    }
}

/// All regions. Every region loads the same file, so all agree on policy and keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    pub regions: BTreeMap<String, RegionSpec>,
}

/// Why the cluster file was rejected. Messages name the region and the field.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot read cluster file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cluster file is not valid: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("cluster file names no regions (expected [regions.<code>] tables)")]
    NoRegions,
    #[error("region code {code:?} is not valid: use a lower-case letter then up to 15 of a-z, 0-9 and -")]
    BadRegionCode { code: String },
    #[error("region {region}: {field} must not be empty")]
    EmptyField { region: String, field: &'static str },
    #[error("region {region}: number {number} is out of range 0..=1023")]
    NumberOutOfRange { region: String, number: i64 },
    #[error("regions {first} and {second} both have number {number}; numbers must be unique")]
    DuplicateNumber {
        number: u16,
        first: String,
        second: String,
    },
    #[error("region {region}: base_url {url:?} must be an http:// or https:// URL with a host")]
    BadBaseUrl { region: String, url: String },
    #[error("regions {first} and {second} have the same base_url {url:?}")]
    DuplicateBaseUrl {
        url: String,
        first: String,
        second: String,
    },
    #[error("region {region}: public_keys is empty; list at least the current key")]
    NoPublicKeys { region: String },
    #[error("region {region}: public_keys[{index}] {text:?}: {source}")]
    BadKey {
        region: String,
        index: usize,
        text: String,
        #[source]
        source: KeyError,
    },
    #[error("region {region}: {field}: {source}")]
    BadAction {
        region: String,
        field: String,
        #[source]
        source: crate::policy::ActionParseError,
    },
    #[error("region {region}: {field} is {value:?}, but identity data never leaves its home region; only \"deny\" is allowed")]
    IdentityNotDeny {
        region: String,
        field: String,
        value: String,
    },
    #[error("region {region}: {field}: unknown data class {name:?} (expected identity, public_content, private_content, engagement, social_graph or aggregate)")]
    UnknownClass {
        region: String,
        field: String,
        name: String,
    },
    #[error("region {region}: policy.to.{destination} names a region that is not in the cluster")]
    UnknownDestination { region: String, destination: String },
    #[error(
        "region {region}: policy.to.{region} is its own region; data at home is always stored"
    )]
    SelfDestination { region: String },
    #[error("region {region}: backups: {reason}")]
    BadBackupPlace { region: String, reason: String },
}

// The file's shape; validated into the typed structs above.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    #[serde(default)]
    regions: BTreeMap<String, RawRegion>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegion {
    name: String,
    jurisdiction: String,
    // Wider than u16 so an out-of-range number gets our message, not serde's.
    number: i64,
    base_url: String,
    time_zone: String,
    public_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    backups: Vec<String>,
    #[serde(default, skip_serializing_if = "RawPolicy::is_empty")]
    policy: RawPolicy,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    default: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    to: BTreeMap<String, BTreeMap<String, String>>,
}

impl RawPolicy {
    fn is_empty(&self) -> bool {
        self.default.is_empty() && self.to.is_empty()
    }
}

fn valid_code(code: &str) -> bool {
    let mut bytes = code.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_lowercase() => {}
        _ => return false,
    }
    code.len() <= 16 && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn parse_rules(
    region: &str,
    prefix: &str,
    raw: &BTreeMap<String, String>,
) -> Result<BTreeMap<DataClass, Action>, ClusterError> {
    let mut out = BTreeMap::new();
    for (name, value) in raw {
        let field = format!("{prefix}.{name}");
        let class = DataClass::parse(name).ok_or_else(|| ClusterError::UnknownClass {
            region: region.to_string(),
            field: prefix.to_string(),
            name: name.clone(),
        })?;
        let action = Action::parse(value).map_err(|source| ClusterError::BadAction {
            region: region.to_string(),
            field: field.clone(),
            source,
        })?;
        if class == DataClass::Identity && action != Action::Deny {
            return Err(ClusterError::IdentityNotDeny {
                region: region.to_string(),
                field,
                value: value.clone(),
            });
        }
        out.insert(class, action);
    }
    Ok(out)
}

fn rules_to_raw(rules: &BTreeMap<DataClass, Action>) -> BTreeMap<String, String> {
    rules
        .iter()
        .map(|(c, a)| (c.as_str().to_string(), a.to_string()))
        .collect()
}

impl Cluster {
    /// Parses and validates the cluster file's text.
    pub fn from_toml(text: &str) -> Result<Cluster, ClusterError> {
        let raw: RawCluster = toml::from_str(text)?;
        if raw.regions.is_empty() {
            return Err(ClusterError::NoRegions);
        }
        let mut regions = BTreeMap::new();
        for (code, r) in &raw.regions {
            let spec = Self::region_from_raw(code, r)?;
            regions.insert(code.clone(), spec);
        }
        let cluster = Cluster { regions };
        cluster.validate()?;
        Ok(cluster)
    }

    fn region_from_raw(code: &str, r: &RawRegion) -> Result<RegionSpec, ClusterError> {
        if !valid_code(code) {
            return Err(ClusterError::BadRegionCode {
                code: code.to_string(),
            });
        }
        let region = || code.to_string();
        for (field, value) in [
            ("name", &r.name),
            ("jurisdiction", &r.jurisdiction),
            ("time_zone", &r.time_zone),
        ] {
            if value.trim().is_empty() {
                return Err(ClusterError::EmptyField {
                    region: region(),
                    field,
                });
            }
        }
        let number = u16::try_from(r.number)
            .ok()
            .filter(|n| *n <= MAX_REGION_NUMBER)
            .ok_or(ClusterError::NumberOutOfRange {
                region: region(),
                number: r.number,
            })?;
        let base_url = r.base_url.trim_end_matches('/').to_string();
        if domain_of(&base_url).is_none() {
            return Err(ClusterError::BadBaseUrl {
                region: region(),
                url: r.base_url.clone(),
            });
        }
        if r.public_keys.is_empty() {
            return Err(ClusterError::NoPublicKeys { region: region() });
        }
        let public_keys = r
            .public_keys
            .iter()
            .enumerate()
            .map(|(index, text)| {
                PublicKey::parse(text).map_err(|source| ClusterError::BadKey {
                    region: region(),
                    index,
                    text: text.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let default = parse_rules(code, "policy.default", &r.policy.default)?;
        let mut to = BTreeMap::new();
        for (dest, rules) in &r.policy.to {
            to.insert(
                dest.clone(),
                parse_rules(code, &format!("policy.to.{dest}"), rules)?,
            );
        }
        let backups = r
            .backups
            .iter()
            .map(|p| {
                BackupPlace::parse(p).map_err(|reason| ClusterError::BadBackupPlace {
                    region: region(),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RegionSpec {
            backups,
            code: code.to_string(),
            name: r.name.clone(),
            jurisdiction: r.jurisdiction.clone(),
            number,
            base_url,
            time_zone: r.time_zone.clone(),
            public_keys,
            data_dir: r.data_dir.clone(),
            policy: Policy { default, to },
        })
    }

    // Checks across regions.
    fn validate(&self) -> Result<(), ClusterError> {
        let mut numbers: BTreeMap<u16, &str> = BTreeMap::new();
        let mut urls: BTreeMap<String, &str> = BTreeMap::new();
        for (code, r) in &self.regions {
            if let Some(first) = numbers.insert(r.number, code) {
                return Err(ClusterError::DuplicateNumber {
                    number: r.number,
                    first: first.to_string(),
                    second: code.clone(),
                });
            }
            if let Some(first) = urls.insert(r.base_url.to_ascii_lowercase(), code) {
                return Err(ClusterError::DuplicateBaseUrl {
                    url: r.base_url.clone(),
                    first: first.to_string(),
                    second: code.clone(),
                });
            }
            for dest in r.policy.to.keys() {
                if dest == code {
                    return Err(ClusterError::SelfDestination {
                        region: code.clone(),
                    });
                }
                if !self.regions.contains_key(dest) {
                    return Err(ClusterError::UnknownDestination {
                        region: code.clone(),
                        destination: dest.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Reads and validates the cluster file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Cluster, ClusterError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ClusterError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Cluster::from_toml(&text)
    }

    /// The file form; `from_toml(to_toml(c)) == c`.
    pub fn to_toml(&self) -> String {
        let raw = RawCluster {
            regions: self
                .regions
                .iter()
                .map(|(code, r)| {
                    let raw = RawRegion {
                        name: r.name.clone(),
                        jurisdiction: r.jurisdiction.clone(),
                        number: i64::from(r.number),
                        base_url: r.base_url.clone(),
                        time_zone: r.time_zone.clone(),
                        public_keys: r.public_keys.iter().map(|k| k.to_string()).collect(),
                        data_dir: r.data_dir.clone(),
                        backups: r.backups.iter().map(|p| p.to_string()).collect(),
                        policy: RawPolicy {
                            default: rules_to_raw(&r.policy.default),
                            to: r
                                .policy
                                .to
                                .iter()
                                .map(|(d, rules)| (d.clone(), rules_to_raw(rules)))
                                .collect(),
                        },
                    };
                    (code.clone(), raw)
                })
                .collect(),
        };
        // Plain strings and maps always serialise; a failure here is a bug.
        let body = toml::to_string(&raw).expect("cluster serialises to TOML");
        format!("# roost cluster file\n{body}")
    }

    /// A cluster of one region with no outbound policy (roost run without a cluster file).
    pub fn single(
        code: impl Into<String>,
        number: u16,
        base_url: impl Into<String>,
        time_zone: impl Into<String>,
        key: impl Into<PublicKey>,
    ) -> Cluster {
        let code = code.into();
        let spec = RegionSpec {
            name: code.clone(),
            jurisdiction: code.to_ascii_uppercase(),
            number,
            base_url: base_url.into().trim_end_matches('/').to_string(),
            time_zone: time_zone.into(),
            public_keys: vec![key.into()],
            data_dir: None,
            policy: Policy::default(),
            backups: Vec::new(),
            code: code.clone(),
        };
        let mut regions = BTreeMap::new();
        regions.insert(code, spec);
        Cluster { regions }
    }

    pub fn region(&self, code: &str) -> Option<&RegionSpec> {
        self.regions.get(code)
    }

    pub fn region_by_number(&self, number: u16) -> Option<&RegionSpec> {
        self.regions.values().find(|r| r.number == number)
    }

    /// Ignores a trailing slash and the case of the scheme and host.
    pub fn region_by_base_url(&self, url: &str) -> Option<&RegionSpec> {
        let url = url.trim_end_matches('/');
        self.regions
            .values()
            .find(|r| r.base_url.eq_ignore_ascii_case(url))
    }

    /// `domain` is `host[:port]`, as in `RegionSpec::domain`.
    pub fn region_by_domain(&self, domain: &str) -> Option<&RegionSpec> {
        self.regions
            .values()
            .find(|r| r.domain().eq_ignore_ascii_case(domain))
    }

    /// The gate's decision for data of `class` whose home is `home`, going to `destination`.
    /// Identity is always denied (even at home: it is never sent anywhere); an unknown region
    /// is denied; data staying at home is stored; otherwise the home region's policy rules.
    pub fn decide(&self, home: &str, destination: &str, class: DataClass) -> Decision {
        let action = if class == DataClass::Identity {
            Action::Deny
        } else {
            match (
                self.regions.get(home),
                self.regions.contains_key(destination),
            ) {
                (Some(_), true) if home == destination => Action::Store { max_secs: None },
                (Some(spec), true) => spec.policy.action(destination, class),
                _ => Action::Deny,
            }
        };
        Decision {
            action,
            home: home.to_string(),
            destination: destination.to_string(),
            class,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> PublicKey {
        PublicKey::from(&SigningKey::from_bytes(&[seed; 32]))
    }

    fn sample_text() -> String {
        format!(
            r#"
# roost cluster file
[regions.in]
name = "India"
jurisdiction = "IN"
number = 1
base_url = "http://127.0.0.1:8081/"
time_zone = "Asia/Kolkata"
public_keys = ["{k1}", "{k2}"]
data_dir = "demo/in"
backups = ["dir:/var/backups/roost-in", "/mnt/in-vault/./roost"]

[regions.in.policy.default]
public_content = "store"
engagement = "store:30d"
aggregate = "store"
identity = "deny"

[regions.in.policy.to.cn]
public_content = "transit"
private_content = "deny"

[regions.id]
name = "Indonesia"
jurisdiction = "ID"
number = 2
base_url = "https://id.example.org"
time_zone = "Asia/Jakarta"
public_keys = ["{k3}"]

[regions.id.policy.default]
public_content = "store:12h"

[regions.cn]
name = "China"
jurisdiction = "CN"
number = 3
base_url = "http://127.0.0.1:8083"
time_zone = "Asia/Shanghai"
public_keys = ["{k4}"]
"#,
            k1 = key(1),
            k2 = key(2),
            k3 = key(3),
            k4 = key(4)
        )
    }

    fn sample() -> Cluster {
        Cluster::from_toml(&sample_text()).unwrap()
    }

    #[test]
    fn parses_the_documented_shape() {
        let c = sample();
        assert_eq!(c.regions.len(), 3);
        let r = c.region("in").unwrap();
        assert_eq!(r.code, "in");
        assert_eq!(r.name, "India");
        assert_eq!(r.jurisdiction, "IN");
        assert_eq!(r.number, 1);
        // Trailing slash dropped.
        assert_eq!(r.base_url, "http://127.0.0.1:8081");
        assert_eq!(r.time_zone, "Asia/Kolkata");
        assert_eq!(r.public_keys, vec![key(1), key(2)]);
        assert_eq!(r.current_key(), Some(&key(1)));
        assert_eq!(r.data_dir.as_deref(), Some("demo/in"));
        assert_eq!(
            r.policy.default.get(&DataClass::Engagement),
            Some(&Action::Store {
                max_secs: Some(30 * 86_400)
            })
        );
        assert_eq!(
            r.policy.to["cn"].get(&DataClass::PublicContent),
            Some(&Action::Transit)
        );
        assert_eq!(c.region("id").unwrap().data_dir, None);
        assert!(c.region("id").unwrap().backups.is_empty());
    }

    #[test]
    fn backup_places_are_absolute_and_allow_what_is_within_them() {
        let c = sample();
        let r = c.region("in").unwrap();
        assert_eq!(
            r.backups.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            ["dir:/var/backups/roost-in", "dir:/mnt/in-vault/roost"]
        );
        let place = |t: &str| BackupPlace::parse(t).unwrap();
        assert!(r.allows_backup(&place("dir:/var/backups/roost-in")));
        assert!(r.allows_backup(&place("/var/backups/roost-in/2026/")));
        assert!(!r.allows_backup(&place("dir:/var/backups/roost-inx")));
        assert!(!r.allows_backup(&place("dir:/var/backups")));
        assert!(!c
            .region("id")
            .unwrap()
            .allows_backup(&place("/var/backups/roost-in")));
        for bad in ["dir:relative/path", "dir:/a/../etc", "s3://", "s3:/bucket"] {
            assert!(BackupPlace::parse(bad).is_err(), "{bad}");
            let text = sample_text().replace("dir:/var/backups/roost-in", bad);
            let e = Cluster::from_toml(&text).unwrap_err().to_string();
            assert!(e.contains("region in: backups"), "{e}");
        }
        assert!(Cluster::from_toml(&c.to_toml()).unwrap() == c);
    }

    #[test]
    fn bucket_places_allow_their_prefix_by_whole_segments() {
        let place = |t: &str| BackupPlace::parse(t).unwrap();
        assert_eq!(
            place("s3://roost-in-backups/eu/daily"),
            BackupPlace::S3 {
                bucket: "roost-in-backups".into(),
                prefix: Some("eu/daily".into())
            }
        );
        assert_eq!(
            place("s3://roost-in-backups/"),
            BackupPlace::S3 {
                bucket: "roost-in-backups".into(),
                prefix: None
            }
        );
        // Display round-trips (a trailing slash is dropped).
        for t in ["s3://b.example", "s3://bkt/eu", "s3://bkt/eu/daily_1.x"] {
            assert_eq!(place(t).to_string(), t);
            assert_eq!(place(&place(t).to_string()), place(t));
        }
        assert_eq!(place("s3://bkt/eu/").to_string(), "s3://bkt/eu");

        let allowed = place("s3://bkt/eu");
        assert!(place("s3://bkt/eu").within(&allowed));
        assert!(place("s3://bkt/eu/2026/x.backup").within(&allowed));
        assert!(!place("s3://bkt/eu-evil").within(&allowed));
        assert!(!place("s3://bkt/e").within(&allowed));
        assert!(!place("s3://bkt").within(&allowed));
        assert!(!place("s3://other/eu").within(&allowed));
        assert!(!place("s3://bkt-x/eu").within(&allowed));
        assert!(place("s3://bkt/anything/at/all").within(&place("s3://bkt")));
        // A directory and a bucket are never within each other.
        assert!(!place("dir:/bkt/eu").within(&allowed));
        assert!(!place("s3://bkt/eu").within(&place("dir:/")));

        for (bad, says) in [
            ("s3://", "names no bucket"),
            ("s3:///eu", "names no bucket"),
            ("s3://bkt/../x", "\"..\""),
            ("s3://bkt/eu/..", "\"..\""),
            ("s3://bkt/./eu", "\".\""),
            ("s3://bkt/eu//x", "empty segment"),
            ("s3://Bucket/eu", "not a valid bucket name"),
            ("s3://b/eu", "not a valid bucket name"),
            ("s3://-bkt/eu", "not a valid bucket name"),
            ("s3://bk..t/eu", "not a valid bucket name"),
            ("s3://bkt/e u", "may hold only"),
            ("s3://bkt/eu?x=1", "may hold only"),
            ("s3://bkt/eu%2f", "may hold only"),
            ("s3:bkt/eu", "s3://BUCKET/PREFIX"),
            ("S3:/bkt", "s3://BUCKET/PREFIX"),
        ] {
            let e = BackupPlace::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }

        // In the cluster file, beside directories.
        let text = sample_text().replace(
            "\"/mnt/in-vault/./roost\"",
            "\"/mnt/in-vault/./roost\", \"s3://roost-in-backups/daily\"",
        );
        let c = Cluster::from_toml(&text).unwrap();
        let r = c.region("in").unwrap();
        assert!(r.allows_backup(&place("s3://roost-in-backups/daily/x")));
        assert!(!r.allows_backup(&place("s3://roost-in-backups/dailyx")));
        assert!(!r.allows_backup(&place("s3://roost-id-backups/daily")));
        assert!(Cluster::from_toml(&c.to_toml()).unwrap() == c);
        let (at, name) = place("s3://roost-in-backups/daily/x.backup")
            .split_file()
            .unwrap();
        assert_eq!(
            (at.to_string().as_str(), name.as_str()),
            ("s3://roost-in-backups/daily", "x.backup")
        );
        assert!(place("s3://roost-in-backups").split_file().is_none());
    }

    #[test]
    fn toml_round_trip() {
        let c = sample();
        let text = c.to_toml();
        assert!(text.starts_with("# roost cluster file\n"));
        assert!(text.contains("[regions.in.policy.default]"), "{text}");
        assert!(text.contains("[regions.in.policy.to.cn]"), "{text}");
        assert!(text.contains("engagement = \"store:30d\""), "{text}");
        assert_eq!(Cluster::from_toml(&text).unwrap(), c);

        let single = Cluster::single("solo", 7, "http://localhost:9000/", "UTC", key(9));
        assert_eq!(Cluster::from_toml(&single.to_toml()).unwrap(), single);
    }

    #[test]
    fn load_reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cluster.toml");
        std::fs::write(&path, sample_text()).unwrap();
        assert_eq!(Cluster::load(&path).unwrap(), sample());
        let err = Cluster::load(dir.path().join("missing.toml")).unwrap_err();
        assert!(matches!(err, ClusterError::Io { .. }));
        assert!(err.to_string().contains("missing.toml"), "{err}");
    }

    #[test]
    fn lookups() {
        let c = sample();
        assert_eq!(c.region_by_number(2).unwrap().code, "id");
        assert!(c.region_by_number(9).is_none());
        assert_eq!(
            c.region_by_base_url("http://127.0.0.1:8081/").unwrap().code,
            "in"
        );
        assert_eq!(
            c.region_by_base_url("https://id.example.org").unwrap().code,
            "id"
        );
        assert!(c.region_by_base_url("http://127.0.0.1:9999").is_none());
        assert_eq!(c.region("in").unwrap().domain(), "127.0.0.1:8081");
        assert_eq!(c.region("id").unwrap().domain(), "id.example.org");
        assert_eq!(c.region_by_domain("127.0.0.1:8083").unwrap().code, "cn");
        assert_eq!(c.region_by_domain("ID.example.org").unwrap().code, "id");
        assert!(c.region_by_domain("127.0.0.1").is_none());
        let r = c.region("in").unwrap();
        assert_eq!(r.key_by_id(&key(2).key_id()), Some(&key(2)));
        assert!(r.key_by_id(&key(3).key_id()).is_none());
    }

    #[test]
    fn domain_parsing() {
        assert_eq!(domain_of("http://a.b:80/x?y").as_deref(), Some("a.b:80"));
        assert_eq!(
            domain_of("https://u:p@Host.Org").as_deref(),
            Some("host.org")
        );
        assert_eq!(domain_of("ftp://a.b"), None);
        assert_eq!(domain_of("http://"), None);
        assert_eq!(domain_of("a.b"), None);
    }

    #[test]
    fn decisions() {
        let c = sample();
        let store = Action::Store { max_secs: None };
        // Same region: stored, whatever the policy says.
        assert_eq!(
            c.decide("in", "in", DataClass::PrivateContent).action,
            store
        );
        assert_eq!(c.decide("cn", "cn", DataClass::Engagement).action, store);
        // Identity: never, not even to a region whose policy would say store.
        for (h, d) in [("in", "id"), ("in", "cn"), ("in", "in"), ("id", "in")] {
            let dec = c.decide(h, d, DataClass::Identity);
            assert_eq!(dec.action, Action::Deny, "{h} -> {d}");
            assert!(!dec.allowed());
        }
        // Override, default, nothing written.
        let d = c.decide("in", "cn", DataClass::PublicContent);
        assert_eq!(d.action, Action::Transit);
        assert_eq!(d.rule(), "in -> cn public_content: transit");
        assert_eq!(c.decide("in", "id", DataClass::PublicContent).action, store);
        assert_eq!(
            c.decide("in", "cn", DataClass::Engagement).rule(),
            "in -> cn engagement: store:30d"
        );
        assert_eq!(
            c.decide("in", "id", DataClass::SocialGraph).action,
            Action::Deny
        );
        // The home's policy rules, not the destination's.
        assert_eq!(
            c.decide("id", "in", DataClass::PublicContent).action,
            Action::Store {
                max_secs: Some(12 * 3_600)
            }
        );
        assert_eq!(
            c.decide("cn", "in", DataClass::PublicContent).action,
            Action::Deny
        );
        // Unknown regions.
        assert_eq!(
            c.decide("xx", "in", DataClass::Aggregate).action,
            Action::Deny
        );
        assert_eq!(
            c.decide("in", "xx", DataClass::Aggregate).action,
            Action::Deny
        );
        assert_eq!(
            c.decide("xx", "xx", DataClass::Aggregate).action,
            Action::Deny
        );
    }

    #[test]
    fn single_region() {
        let c = Cluster::single("eu", 5, "http://localhost:8080/", "Europe/Paris", key(1));
        let r = c.region("eu").unwrap();
        assert_eq!(r.number, 5);
        assert_eq!(r.base_url, "http://localhost:8080");
        assert_eq!(r.public_keys, vec![key(1)]);
        assert_eq!(
            c.decide("eu", "eu", DataClass::PublicContent).action,
            Action::Store { max_secs: None }
        );
    }

    #[test]
    fn public_key_text() {
        let k = key(7);
        let text = k.to_string();
        assert!(text.starts_with("ed25519:"));
        assert_eq!(PublicKey::parse(&text).unwrap(), k);
        assert_eq!(k.key_id().len(), 16);
        assert!(k.key_id().bytes().all(|b| b.is_ascii_hexdigit()));
        let expected = hex::encode(&Sha256::digest(k.0.as_bytes())[..8]);
        assert_eq!(k.key_id(), expected);
        assert_ne!(k.key_id(), key(8).key_id());
        assert_eq!(PublicKey::parse("ed25519"), Err(KeyError::Prefix));
        assert_eq!(PublicKey::parse("ed25519:***"), Err(KeyError::Base64));
        assert_eq!(PublicKey::parse("ed25519:AAAA"), Err(KeyError::Length(3)));
        let json = serde_json::to_string(&k).unwrap();
        assert_eq!(serde_json::from_str::<PublicKey>(&json).unwrap(), k);
    }

    /// Replaces `from` once in the sample and parses the result.
    fn broken(from: &str, to: &str) -> ClusterError {
        let text = sample_text();
        assert!(text.contains(from), "sample lacks {from:?}");
        Cluster::from_toml(&text.replacen(from, to, 1)).unwrap_err()
    }

    fn msg(e: &ClusterError) -> String {
        e.to_string()
    }

    #[test]
    fn rejects_duplicate_numbers() {
        let e = broken("number = 2", "number = 1");
        assert!(
            matches!(e, ClusterError::DuplicateNumber { number: 1, .. }),
            "{e:?}"
        );
        assert!(msg(&e).contains("number 1"), "{e}");
    }

    #[test]
    fn rejects_number_out_of_range() {
        let e = broken("number = 2", "number = 1024");
        assert!(matches!(
            e,
            ClusterError::NumberOutOfRange { number: 1024, .. }
        ));
        assert!(msg(&e).contains("region id"), "{e}");
        let e = broken("number = 2", "number = -1");
        assert!(matches!(
            e,
            ClusterError::NumberOutOfRange { number: -1, .. }
        ));
        // The top of the range is fine.
        let text = sample_text().replacen("number = 2", "number = 1023", 1);
        assert_eq!(
            Cluster::from_toml(&text)
                .unwrap()
                .region("id")
                .unwrap()
                .number,
            1023
        );
    }

    #[test]
    fn rejects_empty_public_keys() {
        let e = broken(
            &format!("public_keys = [\"{}\"]", key(3)),
            "public_keys = []",
        );
        assert!(matches!(e, ClusterError::NoPublicKeys { ref region } if region == "id"));
        assert!(msg(&e).contains("region id: public_keys"), "{e}");
    }

    #[test]
    fn rejects_bad_key_text() {
        let e = broken(&key(2).to_string(), "ed25519:nope");
        assert!(
            matches!(e, ClusterError::BadKey { ref region, index: 1, .. } if region == "in"),
            "{e:?}"
        );
        assert!(msg(&e).contains("public_keys[1]"), "{e}");
        let e = broken(&key(3).to_string(), "rsa:AAAA");
        assert!(matches!(
            e,
            ClusterError::BadKey {
                source: KeyError::Prefix,
                ..
            }
        ));
    }

    #[test]
    fn rejects_bad_action() {
        let e = broken("\"store:30d\"", "\"store:30y\"");
        assert!(matches!(e, ClusterError::BadAction { .. }), "{e:?}");
        assert!(
            msg(&e).contains("region in: policy.default.engagement"),
            "{e}"
        );
        let e = broken("private_content = \"deny\"", "private_content = \"maybe\"");
        assert!(msg(&e).contains("policy.to.cn.private_content"), "{e}");
    }

    #[test]
    fn rejects_identity_other_than_deny() {
        let e = broken("identity = \"deny\"", "identity = \"transit\"");
        assert!(matches!(e, ClusterError::IdentityNotDeny { .. }), "{e:?}");
        assert!(
            msg(&e).contains("region in: policy.default.identity"),
            "{e}"
        );
        let e = broken(
            "private_content = \"deny\"",
            "private_content = \"deny\"\nidentity = \"store\"",
        );
        assert!(msg(&e).contains("policy.to.cn.identity"), "{e}");
    }

    #[test]
    fn rejects_unknown_class() {
        let e = broken("aggregate = \"store\"", "aggregates = \"store\"");
        assert!(
            matches!(e, ClusterError::UnknownClass { ref name, .. } if name == "aggregates"),
            "{e:?}"
        );
        assert!(msg(&e).contains("region in"), "{e}");
    }

    #[test]
    fn rejects_unknown_destination() {
        let e = broken("[regions.in.policy.to.cn]", "[regions.in.policy.to.us]");
        assert!(
            matches!(e, ClusterError::UnknownDestination { ref destination, .. } if destination == "us"),
            "{e:?}"
        );
        assert!(msg(&e).contains("region in: policy.to.us"), "{e}");
        let e = broken("[regions.in.policy.to.cn]", "[regions.in.policy.to.in]");
        assert!(matches!(e, ClusterError::SelfDestination { .. }), "{e:?}");
    }

    #[test]
    fn rejects_bad_region_code() {
        // Renames region id (its header and its policy tables).
        let renamed = |code: &str| {
            sample_text()
                .replace("[regions.id]", &format!("[regions.{code}]"))
                .replace("[regions.id.", &format!("[regions.{code}."))
        };
        for bad in ["IN", "1in", "in_x", "abcdefghijklmnopq", "\"\""] {
            let e = Cluster::from_toml(&renamed(bad)).unwrap_err();
            assert!(
                matches!(e, ClusterError::BadRegionCode { .. }),
                "{bad}: {e:?}"
            );
        }
        // Sixteen characters with digits and dashes are fine.
        let c = Cluster::from_toml(&renamed("a-1234567890abcd")).unwrap();
        assert!(c.region("a-1234567890abcd").is_some());
    }

    #[test]
    fn rejects_bad_base_url() {
        for bad in ["ftp://x.org", "id.example.org", "https://", "http:///path"] {
            let e = broken("https://id.example.org", bad);
            assert!(matches!(e, ClusterError::BadBaseUrl { .. }), "{bad}: {e:?}");
            assert!(msg(&e).contains("region id: base_url"), "{e}");
        }
        let e = broken("https://id.example.org", "http://127.0.0.1:8081");
        assert!(matches!(e, ClusterError::DuplicateBaseUrl { .. }), "{e:?}");
    }

    #[test]
    fn rejects_other_mistakes() {
        assert!(matches!(
            Cluster::from_toml("# nothing").unwrap_err(),
            ClusterError::NoRegions
        ));
        // A misspelt field is an error, not silently ignored.
        let e = broken(
            "time_zone = \"Asia/Jakarta\"",
            "timezone = \"Asia/Jakarta\"",
        );
        assert!(matches!(e, ClusterError::Toml(_)), "{e:?}");
        let e = broken("name = \"China\"", "name = \" \"");
        assert!(
            matches!(e, ClusterError::EmptyField { field: "name", .. }),
            "{e:?}"
        );
        let e = broken(
            "[regions.in.policy.to.cn]",
            "[regions.in.policy.towards.cn]",
        );
        assert!(matches!(e, ClusterError::Toml(_)), "{e:?}");
    }
}
