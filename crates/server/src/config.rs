//! The one typed configuration of a roost process: defaults, then a TOML file, then
//! environment variables, then command-line flags (later wins). Read once at start and
//! passed down; nothing else reads the environment.

use clap::Args;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config file {path}")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("invalid setting {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Whether anyone may sign up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Registrations {
    Open,
    /// Anyone may sign up; a moderator approves each account before it can sign in.
    Approval,
    Closed,
}

/// Where a region's rows live.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// `roost.sqlite` in the data dir: one process serves the region.
    Sqlite,
    /// A PostgreSQL database that any number of nodes of the region share.
    Postgres { url: String, max_connections: usize },
}

impl std::fmt::Debug for Database {
    // The URL may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite => f.write_str("Sqlite"),
            Database::Postgres { .. } => f.write_str("Postgres"),
        }
    }
}

/// Settings as they may appear in the file or on the command line: all optional.
#[derive(Debug, Clone, Default, Deserialize, Args)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, global = true, env = "ROOST_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Folder for the database and keys; created on first start.
    #[arg(long, global = true, env = "ROOST_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The region's PostgreSQL database (`postgres://user@host:port/db`) instead of the
    /// SQLite file in the data dir; every node of a region names the same one.
    #[arg(
        long,
        global = true,
        env = "ROOST_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Connections each node keeps to PostgreSQL at most.
    #[arg(long, global = true, env = "ROOST_DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<usize>,
    /// Short code of this region, e.g. `in`.
    #[arg(long, global = true, env = "ROOST_REGION")]
    pub region: Option<String>,
    /// Number of this region minted into IDs (0-1023).
    #[arg(long, global = true, env = "ROOST_REGION_NUMBER")]
    pub region_number: Option<u16>,
    /// Public host name (defaults to the listen address).
    #[arg(long, global = true, env = "ROOST_DOMAIN")]
    pub domain: Option<String>,
    /// Public base URL (defaults to http://DOMAIN).
    #[arg(long, global = true, env = "ROOST_BASE_URL")]
    pub base_url: Option<String>,
    #[arg(long, global = true, env = "ROOST_REGISTRATIONS", value_enum)]
    pub registrations: Option<Registrations>,
    /// Character limit of a post.
    #[arg(long, global = true, env = "ROOST_MAX_STATUS_CHARS")]
    pub max_status_chars: Option<usize>,
    /// IANA time zone in which "today" of view counts rolls over.
    #[arg(long, global = true, env = "ROOST_TIME_ZONE")]
    pub time_zone: Option<String>,
    #[arg(long, global = true, env = "ROOST_TITLE")]
    pub title: Option<String>,
    #[arg(long, global = true, env = "ROOST_DESCRIPTION")]
    pub description: Option<String>,
    #[arg(long, global = true, env = "ROOST_CONTACT_EMAIL")]
    pub contact_email: Option<String>,
    /// HTML of `/api/v1/instance/extended_description` (the "about" text).
    #[arg(long, global = true, env = "ROOST_EXTENDED_DESCRIPTION")]
    pub extended_description: Option<String>,
    /// HTML of `/api/v1/instance/privacy_policy`.
    #[arg(long, global = true, env = "ROOST_PRIVACY_POLICY")]
    pub privacy_policy: Option<String>,
    /// HTML of `/api/v1/instance/terms_of_service`; without it that path is 404, as
    /// Mastodon's when none are set.
    #[arg(long, global = true, env = "ROOST_TERMS_OF_SERVICE")]
    pub terms_of_service: Option<String>,
    /// Milliseconds between runs of the timed jobs (scheduled posts, ended polls).
    #[arg(long, global = true, env = "ROOST_JOBS_EVERY_MS")]
    pub jobs_every_ms: Option<u64>,
    /// Largest request body in bytes.
    #[arg(long, global = true, env = "ROOST_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// fsync every commit (true, default) or rely on the WAL (false: faster, may lose
    /// the last commits on power loss).
    #[arg(long, global = true, env = "ROOST_SQLITE_SYNC_FULL")]
    pub sqlite_sync_full: Option<bool>,
    /// Seconds between flushes of buffered view counts.
    #[arg(long, global = true, env = "ROOST_VIEW_FLUSH_SECS")]
    pub view_flush_secs: Option<u64>,
    /// Cluster file shared by all regions; with it, `region` picks this region's entry
    /// (number, base URL, time zone and keys come from the file).
    #[arg(long, global = true, env = "ROOST_CLUSTER")]
    pub cluster: Option<PathBuf>,
    /// First outbox retry delay in milliseconds (doubles per attempt, at most 10 min).
    #[arg(long, global = true, env = "ROOST_OUTBOX_RETRY_MS")]
    pub outbox_retry_ms: Option<u64>,
    /// Undelivered outbox items are given up after this many seconds.
    #[arg(long, global = true, env = "ROOST_OUTBOX_GIVE_UP_SECS")]
    pub outbox_give_up_secs: Option<u64>,
    /// How often the retention purge runs.
    #[arg(long, global = true, env = "ROOST_PURGE_EVERY_SECS")]
    pub purge_every_secs: Option<u64>,
    /// How old a begun move must be before the region takes it for one a stopped
    /// process left unfinished, and finishes it.
    #[arg(long, global = true, env = "ROOST_MOVE_RESUME_AFTER_SECS")]
    pub move_resume_after_secs: Option<u64>,
    /// Milliseconds between looks at the other regions' ledger heads, to cosign them.
    #[arg(long, global = true, env = "ROOST_WITNESS_EVERY_MS")]
    pub witness_every_ms: Option<u64>,
    /// How often the search index is checked against the store (and caught up).
    #[arg(long, global = true, env = "ROOST_SEARCH_RECONCILE_SECS")]
    pub search_reconcile_secs: Option<u64>,
    /// How long live-fetched (`transit`) posts stay in the memory cache.
    #[arg(long, global = true, env = "ROOST_TRANSIT_CACHE_MS")]
    pub transit_cache_ms: Option<u64>,
    /// Accepted clock difference on signed inter-region requests.
    #[arg(long, global = true, env = "ROOST_SIGNATURE_SKEW_SECS")]
    pub signature_skew_secs: Option<u64>,
    /// Timeout of one inter-region request in milliseconds.
    #[arg(long, global = true, env = "ROOST_PEER_TIMEOUT_MS")]
    pub peer_timeout_ms: Option<u64>,
    /// Sign-in attempts (password grant, sign-in forms) per client address per minute.
    #[arg(long, global = true, env = "ROOST_SIGN_IN_PER_IP_PER_MIN")]
    pub sign_in_per_ip_per_min: Option<u32>,
    /// Sign-in attempts per login name per minute, whatever the address.
    #[arg(long, global = true, env = "ROOST_SIGN_IN_PER_LOGIN_PER_MIN")]
    pub sign_in_per_login_per_min: Option<u32>,
    /// New accounts per client address per minute.
    #[arg(long, global = true, env = "ROOST_SIGN_UP_PER_IP_PER_MIN")]
    pub sign_up_per_ip_per_min: Option<u32>,
    /// Open client connections at most; further ones wait to be accepted.
    #[arg(long, global = true, env = "ROOST_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Seconds a client has to send a request's headers.
    #[arg(long, global = true, env = "ROOST_HEADER_TIMEOUT_SECS")]
    pub header_timeout_secs: Option<u64>,
    /// Seconds a connection may stay open with nothing read or written.
    #[arg(long, global = true, env = "ROOST_IDLE_TIMEOUT_SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Benchmarks only: serve `GET /health/static?bytes=N`, a fixed body of N bytes, so a
    /// benchmark can compare a page with what this machine serves for as many bytes.
    #[arg(long, global = true, env = "ROOST_BENCH_STATIC_ROUTE", hide = true)]
    pub bench_static_route: Option<bool>,
    /// Benchmarks only: a delay added each way to every inter-region request.
    #[arg(long, global = true, env = "ROOST_INTER_REGION_DELAY_MS", hide = true)]
    pub inter_region_delay_ms: Option<u64>,
    /// Public media (public posts' files, profile pictures) are linked under this base URL
    /// (a CDN in front of `/media`) instead of the region's own.
    #[arg(long, global = true, env = "ROOST_MEDIA_BASE_URL")]
    pub media_base_url: Option<String>,
    /// `POST /api/v2/media` answers 200 with URLs when processing ends within this time,
    /// else 202 with `url: null` (Mastodon's contract); 0 always answers 202.
    #[arg(long, global = true, env = "ROOST_MEDIA_READY_WAIT_MS")]
    pub media_ready_wait_ms: Option<u64>,
    /// Media files in this region's S3-compatible bucket instead of the data dir: the
    /// endpoint URL (with the bucket, region and keys below).
    #[arg(long, global = true, env = "ROOST_MEDIA_S3_ENDPOINT")]
    pub media_s3_endpoint: Option<String>,
    #[arg(long, global = true, env = "ROOST_MEDIA_S3_BUCKET")]
    pub media_s3_bucket: Option<String>,
    #[arg(long, global = true, env = "ROOST_MEDIA_S3_REGION")]
    pub media_s3_region: Option<String>,
    #[arg(long, global = true, env = "ROOST_MEDIA_S3_ACCESS_KEY")]
    pub media_s3_access_key: Option<String>,
    #[arg(
        long,
        global = true,
        env = "ROOST_MEDIA_S3_SECRET_KEY",
        hide_env_values = true
    )]
    pub media_s3_secret_key: Option<String>,
    /// Backups to `s3://BUCKET/PREFIX` places: the S3-compatible endpoint URL, its region
    /// and keys (the bucket is the place's). Left out, the media bucket's endpoint,
    /// region and keys are used; keys left out with an endpoint of its own are empty.
    #[arg(long, global = true, env = "ROOST_BACKUP_S3_ENDPOINT")]
    pub backup_s3_endpoint: Option<String>,
    #[arg(long, global = true, env = "ROOST_BACKUP_S3_REGION")]
    pub backup_s3_region: Option<String>,
    #[arg(long, global = true, env = "ROOST_BACKUP_S3_ACCESS_KEY")]
    pub backup_s3_access_key: Option<String>,
    #[arg(
        long,
        global = true,
        env = "ROOST_BACKUP_S3_SECRET_KEY",
        hide_env_values = true
    )]
    pub backup_s3_secret_key: Option<String>,
    /// Size of the parts a backup is uploaded to a bucket in, in MiB (at least 5).
    #[arg(long, global = true, env = "ROOST_BACKUP_S3_PART_MIB")]
    pub backup_s3_part_mib: Option<usize>,
    /// The key-encryption key that wraps each account's data key: a file of 64 hex digits
    /// (default `keys/kek.key` in the data dir, made on first start). Every node of a
    /// region needs the same one.
    #[arg(long, global = true, env = "ROOST_KEK_FILE")]
    pub kek_file: Option<PathBuf>,
    /// Earlier KEK files, still accepted for unwrapping until `roost admin rewrap-keys`
    /// has re-wrapped every data key under the current one (comma-separated).
    #[arg(
        long,
        global = true,
        env = "ROOST_KEK_PREVIOUS_FILES",
        value_delimiter = ','
    )]
    pub kek_previous_files: Option<Vec<PathBuf>>,
    /// The KEK in a PKCS#11 token instead of a file: the module (`.so`) to load. With
    /// `kek_pkcs11_token`, `kek_pkcs11_key` (the key's label) and `kek_pkcs11_pin`.
    #[arg(long, global = true, env = "ROOST_KEK_PKCS11_MODULE")]
    pub kek_pkcs11_module: Option<PathBuf>,
    #[arg(long, global = true, env = "ROOST_KEK_PKCS11_TOKEN")]
    pub kek_pkcs11_token: Option<String>,
    #[arg(long, global = true, env = "ROOST_KEK_PKCS11_KEY")]
    pub kek_pkcs11_key: Option<String>,
    #[arg(
        long,
        global = true,
        env = "ROOST_KEK_PKCS11_PIN",
        hide_env_values = true
    )]
    pub kek_pkcs11_pin: Option<String>,
}

impl Settings {
    /// `self` wins over `base` field by field.
    fn over(self, base: Settings) -> Settings {
        macro_rules! pick {
            ($($f:ident),*) => { Settings { $($f: self.$f.or(base.$f)),* } };
        }
        pick!(
            listen,
            data_dir,
            database_url,
            database_max_connections,
            region,
            region_number,
            domain,
            base_url,
            registrations,
            max_status_chars,
            time_zone,
            title,
            description,
            contact_email,
            extended_description,
            privacy_policy,
            terms_of_service,
            jobs_every_ms,
            max_body_bytes,
            sqlite_sync_full,
            view_flush_secs,
            cluster,
            outbox_retry_ms,
            outbox_give_up_secs,
            purge_every_secs,
            move_resume_after_secs,
            witness_every_ms,
            search_reconcile_secs,
            transit_cache_ms,
            signature_skew_secs,
            peer_timeout_ms,
            sign_in_per_ip_per_min,
            sign_in_per_login_per_min,
            sign_up_per_ip_per_min,
            max_connections,
            header_timeout_secs,
            idle_timeout_secs,
            bench_static_route,
            inter_region_delay_ms,
            media_base_url,
            media_ready_wait_ms,
            media_s3_endpoint,
            media_s3_bucket,
            media_s3_region,
            media_s3_access_key,
            media_s3_secret_key,
            backup_s3_endpoint,
            backup_s3_region,
            backup_s3_access_key,
            backup_s3_secret_key,
            backup_s3_part_mib,
            kek_file,
            kek_previous_files,
            kek_pkcs11_module,
            kek_pkcs11_token,
            kek_pkcs11_key,
            kek_pkcs11_pin
        )
    }
}

/// Where the region's key-encryption key is held.
#[derive(Debug, Clone)]
pub enum KekSource {
    /// `keys/kek.key` in the data dir, made on first start.
    DataDir,
    File(PathBuf),
    Pkcs11(roost_residency::keys::Pkcs11Config),
}

/// How to reach the buckets backups may be kept in (`s3://BUCKET/PREFIX` places); the
/// bucket is named by the place.
#[derive(Clone)]
pub struct BackupS3 {
    pub endpoint: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// Uploads go in parts of this many bytes (the last may be smaller).
    pub part_bytes: usize,
}

impl std::fmt::Debug for BackupS3 {
    // The secret key stays out of logs and debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupS3")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<hidden>")
            .field("part_bytes", &self.part_bytes)
            .finish()
    }
}

impl BackupS3 {
    /// The settings of `bucket` at this endpoint.
    pub fn bucket(&self, bucket: &str) -> roost_media::S3Settings {
        roost_media::S3Settings {
            endpoint: self.endpoint.clone(),
            bucket: bucket.to_string(),
            region: self.region.clone(),
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
        }
    }
}

/// Backups are uploaded in parts of this many MiB unless configured otherwise.
const BACKUP_PART_MIB: usize = 16;

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Where the region's rows live.
    pub database: Database,
    pub region: String,
    pub region_number: u16,
    /// None: derived from the bound address once listening.
    pub domain: Option<String>,
    pub base_url: Option<String>,
    pub registrations_open: bool,
    /// With `registrations_open`: sign-ups wait for a moderator's approval.
    pub registrations_approval: bool,
    pub max_status_chars: usize,
    pub time_zone: jiff::tz::TimeZone,
    pub title: String,
    pub description: String,
    pub contact_email: String,
    pub extended_description: String,
    pub privacy_policy: String,
    pub terms_of_service: Option<String>,
    /// How often scheduled posts due and ended polls are looked for.
    pub jobs_every: std::time::Duration,
    pub max_body_bytes: usize,
    pub sqlite_sync_full: bool,
    pub view_flush_secs: u64,
    /// All regions and their policies; a lone region gets a cluster of one at start.
    pub cluster: Option<std::sync::Arc<roost_residency::Cluster>>,
    pub outbox_retry: std::time::Duration,
    pub outbox_give_up: std::time::Duration,
    pub purge_every: std::time::Duration,
    /// A move begun longer ago than this whose account is still here was left by a
    /// stopped process; the housekeeping job (at `purge_every`) finishes it. Well past
    /// the longest a move's hand-over can take, so no live node's move is taken.
    pub move_resume_after: std::time::Duration,
    /// How often this region, as a witness, looks at the other regions' heads: a region's
    /// entries are safe from being dropped unseen once a witness has cosigned them.
    pub witness_every: std::time::Duration,
    pub search_reconcile: std::time::Duration,
    pub transit_cache: std::time::Duration,
    pub signature_skew_secs: u64,
    pub peer_timeout: std::time::Duration,
    pub inter_region_delay: Option<std::time::Duration>,
    pub limits: roost_core::limits::LimitsConfig,
    /// Connections served at once; the rest wait in the listen backlog.
    pub max_connections: usize,
    /// Time to send a request's headers (slow-header clients are cut off).
    pub header_timeout: std::time::Duration,
    /// A connection with nothing read or written for this long is closed.
    pub idle_timeout: std::time::Duration,
    /// Benchmarks only: `GET /health/static?bytes=N` is served.
    pub bench_static_route: bool,
    pub media_base_url: Option<String>,
    pub media_ready_wait: std::time::Duration,
    /// The region's bucket for media files; None keeps them under the data dir.
    pub media_s3: Option<roost_media::S3Settings>,
    /// Where `s3://` backup places are; None: no backups to buckets.
    pub backup_s3: Option<BackupS3>,
    /// The current KEK, and earlier KEK files accepted for unwrapping.
    pub kek: KekSource,
    pub kek_previous: Vec<PathBuf>,
}

impl Config {
    /// Merges flags/env (`cli`, already merged by clap) over the optional file over defaults.
    pub fn load(file: Option<&Path>, cli: Settings) -> Result<Config, ConfigError> {
        let from_file = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.into(),
                    source,
                })?;
                toml::from_str::<Settings>(&text).map_err(|source| ConfigError::Parse {
                    path: path.into(),
                    source,
                })?
            }
            None => Settings::default(),
        };
        Config::resolve(cli.over(from_file))
    }

    pub fn resolve(s: Settings) -> Result<Config, ConfigError> {
        let cluster = match &s.cluster {
            Some(path) => Some(std::sync::Arc::new(
                roost_residency::Cluster::load(path).map_err(|e| ConfigError::Invalid {
                    name: "cluster",
                    reason: e.to_string(),
                })?,
            )),
            None => None,
        };
        Config::resolve_in(s, cluster)
    }

    /// Like [`Config::resolve`] with the cluster already loaded (or none).
    fn resolve_in(
        s: Settings,
        cluster: Option<std::sync::Arc<roost_residency::Cluster>>,
    ) -> Result<Config, ConfigError> {
        let mut s = s;
        if let Some(c) = &cluster {
            // In a cluster, the region's entry is the truth for what others must agree on.
            let code = s.region.clone().ok_or(ConfigError::Invalid {
                name: "region",
                reason: "with --cluster, name this region with --region".into(),
            })?;
            let spec = c.region(&code).ok_or_else(|| ConfigError::Invalid {
                name: "region",
                reason: format!("{code} is not in the cluster file"),
            })?;
            s.region_number = Some(spec.number);
            s.base_url = Some(spec.base_url.clone());
            s.domain = Some(spec.domain());
            s.time_zone = Some(spec.time_zone.clone());
            if s.listen.is_none() {
                s.listen = spec.domain().parse().ok();
            }
            if s.data_dir.is_none() {
                s.data_dir = spec.data_dir.as_ref().map(PathBuf::from);
            }
        }
        let region = s.region.unwrap_or_else(|| "local".into());
        if region.is_empty()
            || region.len() > 16
            || !region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(ConfigError::Invalid {
                name: "region",
                reason: "use 1-16 lower-case letters, digits or '-'".into(),
            });
        }
        let region_number = s.region_number.unwrap_or(0);
        if region_number > roost_core::id::MAX_REGION_NUMBER {
            return Err(ConfigError::Invalid {
                name: "region_number",
                reason: "must be 0-1023".into(),
            });
        }
        let tz_name = s.time_zone.unwrap_or_else(|| "UTC".into());
        let time_zone = jiff::tz::TimeZone::get(&tz_name).map_err(|e| ConfigError::Invalid {
            name: "time_zone",
            reason: e.to_string(),
        })?;
        let max_status_chars = s.max_status_chars.unwrap_or(5000);
        if max_status_chars == 0 {
            return Err(ConfigError::Invalid {
                name: "max_status_chars",
                reason: "must be positive".into(),
            });
        }
        let base_url = s.base_url.map(|u| u.trim_end_matches('/').to_string());
        if let Some(u) = &base_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(ConfigError::Invalid {
                    name: "base_url",
                    reason: "must start with http:// or https://".into(),
                });
            }
        }
        let database = match s.database_url.filter(|u| !u.trim().is_empty()) {
            None => Database::Sqlite,
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres {
                    url,
                    max_connections: s.database_max_connections.unwrap_or(16).max(1),
                }
            }
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "database_url",
                    reason: "must start with postgres:// (leave it out for SQLite in the data dir)"
                        .into(),
                })
            }
        };
        let kek = match (
            s.kek_pkcs11_module,
            s.kek_pkcs11_token,
            s.kek_pkcs11_key,
            s.kek_pkcs11_pin,
        ) {
            (None, None, None, None) => match s.kek_file.clone() {
                Some(f) => KekSource::File(f),
                None => KekSource::DataDir,
            },
            (Some(module), Some(token), Some(key_label), Some(pin)) => {
                if s.kek_file.is_some() {
                    return Err(ConfigError::Invalid {
                        name: "kek_file",
                        reason: "give either kek_file or the kek_pkcs11_* settings".into(),
                    });
                }
                KekSource::Pkcs11(roost_residency::keys::Pkcs11Config {
                    module,
                    token,
                    pin: pin.into(),
                    key_label,
                })
            }
            _ => {
                return Err(ConfigError::Invalid {
                    name: "kek_pkcs11_module",
                    reason: "kek_pkcs11_module, kek_pkcs11_token, kek_pkcs11_key and \
                             kek_pkcs11_pin go together"
                        .into(),
                })
            }
        };
        let media_s3 = match (s.media_s3_endpoint, s.media_s3_bucket) {
            (Some(endpoint), Some(bucket)) => Some(roost_media::S3Settings {
                endpoint,
                bucket,
                region: s.media_s3_region.unwrap_or_else(|| "us-east-1".into()),
                access_key: s.media_s3_access_key.unwrap_or_default(),
                secret_key: s.media_s3_secret_key.unwrap_or_default(),
            }),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "media_s3_bucket",
                    reason: "media_s3_endpoint and media_s3_bucket go together".into(),
                })
            }
        };
        let backup_s3 = backup_s3(
            media_s3.as_ref(),
            s.backup_s3_endpoint,
            s.backup_s3_region,
            s.backup_s3_access_key,
            s.backup_s3_secret_key,
            s.backup_s3_part_mib,
        )?;
        Ok(Config {
            backup_s3,
            kek,
            kek_previous: s.kek_previous_files.clone().unwrap_or_default(),
            listen: s
                .listen
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            data_dir: s.data_dir.unwrap_or_else(|| PathBuf::from("roost-data")),
            database,
            region,
            region_number,
            domain: s.domain,
            base_url,
            registrations_open: s.registrations.unwrap_or(Registrations::Open)
                != Registrations::Closed,
            registrations_approval: s.registrations == Some(Registrations::Approval),
            max_status_chars,
            time_zone,
            title: s.title.unwrap_or_else(|| "roost".into()),
            description: s
                .description
                .unwrap_or_else(|| "A microblog that keeps your data in your home region.".into()),
            contact_email: s.contact_email.unwrap_or_default(),
            extended_description: s.extended_description.unwrap_or_default(),
            privacy_policy: s.privacy_policy.unwrap_or_else(|| {
                "<p>Everything about you is kept in your home region and leaves it only as \
                 its residency policy allows; every crossing is written to a public, \
                 verifiable ledger.</p>"
                    .into()
            }),
            terms_of_service: s.terms_of_service.filter(|t| !t.trim().is_empty()),
            jobs_every: ms(s.jobs_every_ms.unwrap_or(5000).max(10)),
            max_body_bytes: s.max_body_bytes.unwrap_or(1 << 20),
            sqlite_sync_full: s.sqlite_sync_full.unwrap_or(true),
            view_flush_secs: s.view_flush_secs.unwrap_or(2).max(1),
            cluster,
            outbox_retry: ms(s.outbox_retry_ms.unwrap_or(2000).max(10)),
            outbox_give_up: secs(s.outbox_give_up_secs.unwrap_or(2 * 24 * 3600).max(1)),
            purge_every: secs(s.purge_every_secs.unwrap_or(60).max(1)),
            move_resume_after: secs(s.move_resume_after_secs.unwrap_or(600).max(60)),
            witness_every: ms(s.witness_every_ms.unwrap_or(30_000).max(10)),
            search_reconcile: secs(s.search_reconcile_secs.unwrap_or(600).max(1)),
            transit_cache: ms(s.transit_cache_ms.unwrap_or(5000)),
            signature_skew_secs: s.signature_skew_secs.unwrap_or(300).max(1),
            peer_timeout: ms(s.peer_timeout_ms.unwrap_or(10_000).max(100)),
            inter_region_delay: s.inter_region_delay_ms.filter(|d| *d > 0).map(ms),
            limits: {
                let d = roost_core::limits::LimitsConfig::default();
                roost_core::limits::LimitsConfig {
                    sign_in_per_ip: s.sign_in_per_ip_per_min.unwrap_or(d.sign_in_per_ip).max(1),
                    sign_in_per_login: s
                        .sign_in_per_login_per_min
                        .unwrap_or(d.sign_in_per_login)
                        .max(1),
                    sign_up_per_ip: s.sign_up_per_ip_per_min.unwrap_or(d.sign_up_per_ip).max(1),
                }
            },
            max_connections: s.max_connections.unwrap_or(4096).max(1),
            header_timeout: secs(s.header_timeout_secs.unwrap_or(10).max(1)),
            idle_timeout: secs(s.idle_timeout_secs.unwrap_or(60).max(1)),
            bench_static_route: s.bench_static_route.unwrap_or(false),
            media_base_url: s
                .media_base_url
                .map(|u| u.trim_end_matches('/').to_string()),
            media_ready_wait: ms(s.media_ready_wait_ms.unwrap_or(1500)),
            media_s3,
        })
    }

    /// A config for tests and tools: defaults with this data dir on a free port.
    pub fn for_data_dir(data_dir: &Path) -> Config {
        let mut c = Config::resolve(Settings::default()).expect("defaults are valid");
        c.data_dir = data_dir.to_path_buf();
        c.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        c
    }

    /// One region of a cluster, as its entry in the cluster file says (tests and `demo`,
    /// which build the cluster in memory).
    pub fn for_region(
        cluster: std::sync::Arc<roost_residency::Cluster>,
        region: &str,
        data_dir: &Path,
    ) -> Result<Config, ConfigError> {
        let settings = Settings {
            region: Some(region.to_string()),
            data_dir: Some(data_dir.to_path_buf()),
            ..Settings::default()
        };
        Config::resolve_in(settings, Some(cluster))
    }
}

/// The backup buckets' endpoint: its own settings, else the media bucket's (its keys too,
/// unless keys of its own are given; never the media keys for another endpoint).
fn backup_s3(
    media: Option<&roost_media::S3Settings>,
    endpoint: Option<String>,
    region: Option<String>,
    access_key: Option<String>,
    secret_key: Option<String>,
    part_mib: Option<usize>,
) -> Result<Option<BackupS3>, ConfigError> {
    if access_key.is_some() != secret_key.is_some() {
        return Err(ConfigError::Invalid {
            name: "backup_s3_access_key",
            reason: "backup_s3_access_key and backup_s3_secret_key go together".into(),
        });
    }
    let part_mib = part_mib.unwrap_or(BACKUP_PART_MIB);
    let min = roost_media::s3::MIN_PART_BYTES >> 20;
    if !(min..=4096).contains(&part_mib) {
        return Err(ConfigError::Invalid {
            name: "backup_s3_part_mib",
            reason: format!("must be {min}-4096 (S3 refuses smaller parts)"),
        });
    }
    let endpoint = endpoint.filter(|e| !e.trim().is_empty());
    let same = match (&endpoint, media) {
        (None, Some(_)) => media,
        (Some(e), Some(m)) if *e == m.endpoint => media,
        _ => None,
    };
    let Some(endpoint) = endpoint.or_else(|| media.map(|m| m.endpoint.clone())) else {
        if region.is_some() || access_key.is_some() {
            return Err(ConfigError::Invalid {
                name: "backup_s3_endpoint",
                reason: "the backup bucket settings need backup_s3_endpoint (or the media_s3_* \
                         settings)"
                    .into(),
            });
        }
        return Ok(None);
    };
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        return Err(ConfigError::Invalid {
            name: "backup_s3_endpoint",
            reason: "must start with http:// or https://".into(),
        });
    }
    let (access_key, secret_key) = match (access_key, secret_key, same) {
        (Some(a), Some(s), _) => (a, s),
        (_, _, Some(m)) => (m.access_key.clone(), m.secret_key.clone()),
        _ => (String::new(), String::new()),
    };
    Ok(Some(BackupS3 {
        endpoint,
        region: region
            .or_else(|| same.map(|m| m.region.clone()))
            .unwrap_or_else(|| "us-east-1".into()),
        access_key,
        secret_key,
        part_bytes: part_mib << 20,
    }))
}

fn ms(v: u64) -> std::time::Duration {
    std::time::Duration::from_millis(v)
}

fn secs(v: u64) -> std::time::Duration {
    std::time::Duration::from_secs(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_file_sets_the_region_entry_and_rejects_a_missing_region() {
        let dir = tempfile::tempdir().unwrap();
        let plans = vec![crate::cluster_cmd::RegionPlan {
            code: "in".into(),
            name: "India".into(),
            jurisdiction: "IN".into(),
            base_url: "http://127.0.0.1:18081".into(),
            time_zone: "Asia/Kolkata".into(),
        }];
        let c = crate::cluster_cmd::init(dir.path(), &plans, &Default::default()).unwrap();
        let file = dir.path().join("cluster.toml");
        std::fs::write(&file, c.to_toml()).unwrap();
        let cfg = Config::resolve(Settings {
            cluster: Some(file.clone()),
            region: Some("in".into()),
            // The cluster's entry wins over a conflicting flag.
            region_number: Some(9),
            ..Settings::default()
        })
        .unwrap();
        assert_eq!(cfg.region_number, 1);
        assert_eq!(cfg.base_url.as_deref(), Some("http://127.0.0.1:18081"));
        assert_eq!(cfg.listen, "127.0.0.1:18081".parse().unwrap());
        assert_eq!(cfg.data_dir, dir.path().join("in"));
        for (region, needle) in [
            (None, "name this region"),
            (Some("xx"), "not in the cluster"),
        ] {
            let e = Config::resolve(Settings {
                cluster: Some(file.clone()),
                region: region.map(String::from),
                ..Settings::default()
            })
            .unwrap_err();
            assert!(
                e.to_string().contains("region") && format!("{e:?}").contains(needle),
                "{e:?}"
            );
        }
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[regions.in]\nnumber = 5000\n").unwrap();
        let e = Config::resolve(Settings {
            cluster: Some(bad),
            region: Some("in".into()),
            ..Settings::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("cluster"), "{e}");
    }

    #[test]
    fn kek_settings_are_a_file_or_a_whole_pkcs11_set() {
        let c = Config::resolve(Settings::default()).unwrap();
        assert!(matches!(c.kek, KekSource::DataDir));
        let half = Settings {
            kek_pkcs11_module: Some("/lib/p11.so".into()),
            kek_pkcs11_token: Some("t".into()),
            ..Default::default()
        };
        let e = Config::resolve(half).unwrap_err().to_string();
        assert!(e.contains("go together"), "{e}");
        let both = Settings {
            kek_file: Some("k".into()),
            kek_pkcs11_module: Some("/lib/p11.so".into()),
            kek_pkcs11_token: Some("t".into()),
            kek_pkcs11_key: Some("k".into()),
            kek_pkcs11_pin: Some("1".into()),
            ..Default::default()
        };
        let e = Config::resolve(both).unwrap_err().to_string();
        assert!(e.contains("either kek_file or"), "{e}");
        let file = Settings {
            kek_file: Some("/k/kek.key".into()),
            ..Default::default()
        };
        assert!(matches!(
            Config::resolve(file).unwrap().kek,
            KekSource::File(_)
        ));
    }

    #[test]
    fn backup_buckets_use_their_own_settings_or_the_media_bucket_ones() {
        let media = Settings {
            media_s3_endpoint: Some("http://media.example:9000".into()),
            media_s3_bucket: Some("roost-in-media".into()),
            media_s3_region: Some("ap-south-1".into()),
            media_s3_access_key: Some("media-ak".into()),
            media_s3_secret_key: Some("media-sk-shh".into()),
            ..Default::default()
        };
        assert!(Config::resolve(Settings::default())
            .unwrap()
            .backup_s3
            .is_none());
        let b = Config::resolve(media.clone()).unwrap().backup_s3.unwrap();
        assert_eq!(
            (
                b.endpoint.as_str(),
                b.region.as_str(),
                b.access_key.as_str()
            ),
            ("http://media.example:9000", "ap-south-1", "media-ak")
        );
        assert_eq!(b.part_bytes, 16 << 20);
        let s = b.bucket("roost-in-backups");
        assert_eq!(s.bucket, "roost-in-backups");
        // Secrets stay out of debug output.
        let c = Config::resolve(media.clone()).unwrap();
        assert!(!format!("{c:?}").contains("media-sk-shh"), "{c:?}");
        // Keys of its own, on the media endpoint.
        let own_keys = Settings {
            backup_s3_access_key: Some("bk-ak".into()),
            backup_s3_secret_key: Some("bk-sk-shh".into()),
            backup_s3_part_mib: Some(5),
            ..media.clone()
        };
        let c = Config::resolve(own_keys).unwrap();
        let b = c.backup_s3.clone().unwrap();
        assert_eq!(
            (b.access_key.as_str(), b.secret_key.as_str()),
            ("bk-ak", "bk-sk-shh")
        );
        assert_eq!(b.part_bytes, 5 << 20);
        assert!(!format!("{c:?}").contains("bk-sk-shh"), "{c:?}");
        // Another endpoint never gets the media keys.
        let other = Settings {
            backup_s3_endpoint: Some("https://vault.example".into()),
            ..media.clone()
        };
        let b = Config::resolve(other).unwrap().backup_s3.unwrap();
        assert_eq!(
            (
                b.endpoint.as_str(),
                b.region.as_str(),
                b.access_key.as_str()
            ),
            ("https://vault.example", "us-east-1", "")
        );
        for (bad, says) in [
            (
                Settings {
                    backup_s3_part_mib: Some(1),
                    ..media.clone()
                },
                "backup_s3_part_mib",
            ),
            (
                Settings {
                    backup_s3_access_key: Some("a".into()),
                    ..media.clone()
                },
                "go together",
            ),
            (
                Settings {
                    backup_s3_endpoint: Some("ftp://x".into()),
                    ..Default::default()
                },
                "backup_s3_endpoint",
            ),
            (
                Settings {
                    backup_s3_region: Some("eu-west-1".into()),
                    ..Default::default()
                },
                "backup_s3_endpoint",
            ),
        ] {
            let e = Config::resolve(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
    }

    #[test]
    fn flags_beat_file_beat_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("roost.toml");
        std::fs::write(
            &f,
            "region = \"in\"\nmax_status_chars = 300\ntime_zone = \"Asia/Kolkata\"\n",
        )
        .unwrap();
        let cli = Settings {
            max_status_chars: Some(400),
            ..Default::default()
        };
        let c = Config::load(Some(&f), cli).unwrap();
        assert_eq!(c.region, "in");
        assert_eq!(c.max_status_chars, 400);
        assert_eq!(c.listen.port(), 8080);
        assert!(c.registrations_open);
    }

    #[test]
    fn bad_settings_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("roost.toml");
        std::fs::write(&f, "nonsense = 1\n").unwrap();
        assert!(matches!(
            Config::load(Some(&f), Settings::default()),
            Err(ConfigError::Parse { .. })
        ));
        let bad = Settings {
            time_zone: Some("Mars/Olympus".into()),
            ..Default::default()
        };
        let err = Config::resolve(bad).unwrap_err().to_string();
        assert!(err.contains("time_zone"), "{err}");
        let bad = Settings {
            region: Some("IN DIA".into()),
            ..Default::default()
        };
        assert!(Config::resolve(bad).is_err());
    }
}
