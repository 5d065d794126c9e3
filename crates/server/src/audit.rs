//! `roost audit`: checks every region of a cluster from outside. It asks each region for its
//! signed ledger head over HTTP, proves the ledger only grew since the last audit, compares
//! the ledger in the region's storage with the head, scans the storage's real tables for
//! foreign data and checks each item against the ledger and the policy, and matches every
//! `stored` entry with a `sent` entry of the data's home region. It also asks every region
//! for the heads of the others it cosigned as their witness, and proves that each region's
//! head extends every one of them: a ledger cut back after the last audit (or with no
//! saved heads at all) shows against what the witnesses saw. The verdicts come from
//! `roost_residency::audit` and `roost_residency::witness`; this module gathers the
//! evidence.
//!
//! Order matters on a live cluster: all storage scans come first, then all cosignatures,
//! then all heads, then all ledgers. An item found in storage was recorded in the ledger
//! before it was written, so it is covered by a head fetched afterwards; a head cosigned
//! before the region's head is fetched must be extended by it; and a send recorded before
//! a holder's head is in the origin's ledger read afterwards. What no order can settle
//! (an inventory claim is written just before its row; the search index follows the
//! tables by moments) is looked at again: such a finding is reported only when it is
//! still there a few seconds later. Traffic during the audit cannot cause false alarms.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use roost_residency::audit::{self, SavedHeads, Violation, ViolationKind};
use roost_residency::witness::{self, Cosigned, Evidence};
use roost_residency::{Cluster, Hash, LedgerEntry, SignedTreeHead};
use roost_store::{
    ForeignInventory as _, Inventory, PgOptions, PgStore, RegionStore, SqliteOptions, SqliteStore,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Per request; a region slower than this counts as unreachable.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// What to audit and where the evidence is.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    pub cluster: Cluster,
    /// Heads accepted by the last audit (JSON, `SavedHeads`); created if missing.
    pub heads_file: PathBuf,
    /// region code -> data dir (from the cluster file's data_dir unless overridden)
    pub data_dirs: BTreeMap<String, PathBuf>,
    /// region code -> the region's media bucket, for regions that keep media files in
    /// S3-compatible storage rather than under the data dir.
    pub media_s3: BTreeMap<String, roost_media::S3Settings>,
    /// region code -> the region's PostgreSQL database, for regions that keep their rows
    /// there rather than in `roost.sqlite` under the data dir (which still holds the
    /// search index and, without a bucket, the media).
    pub databases: BTreeMap<String, String>,
}

/// The outcome: any violation fails the audit.
#[derive(Debug, Clone, Default)]
pub struct AuditReport {
    pub regions_checked: Vec<String>,
    pub violations: Vec<Violation>,
    /// What was looked at, for the reader; never a verdict.
    pub notes: Vec<String>,
}

impl AuditReport {
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    /// Readable text, one item a line, ending with the `VERDICT: ...` line and a newline.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let regions = if self.regions_checked.is_empty() {
            "none".to_string()
        } else {
            self.regions_checked.join(", ")
        };
        let _ = writeln!(
            out,
            "roost audit of {} region(s): {regions}",
            self.regions_checked.len()
        );
        if !self.notes.is_empty() {
            out.push_str("\nNotes:\n");
            for n in &self.notes {
                let _ = writeln!(out, "  - {n}");
            }
        }
        if self.violations.is_empty() {
            out.push_str("\nViolations: none\n");
        } else {
            let _ = writeln!(out, "\nViolations ({}):", self.violations.len());
            for v in &self.violations {
                let _ = writeln!(out, "  - {v}");
            }
        }
        out.push('\n');
        if self.is_clean() {
            out.push_str("VERDICT: clean\n");
        } else {
            let _ = writeln!(out, "VERDICT: {} violation(s)", self.violations.len());
        }
        out
    }

    fn violation(&mut self, region: &str, kind: ViolationKind, detail: String) {
        self.violations.push(Violation {
            region: region.to_string(),
            kind,
            detail,
        });
    }
}

/// One region's evidence as the audit gathers it.
struct Region {
    code: String,
    store: Option<RegionStore>,
    /// When the storage was scanned: the moment retention is judged at.
    scanned_ms: i64,
    inventory: Option<Inventory>,
    /// The served head, once its signature verified.
    head: Option<SignedTreeHead>,
    /// The head passed the signature and append-only checks: it may become the reference.
    head_accepted: bool,
    /// Entries covered by the verified head (all entries if there is none).
    signed: Option<Vec<LedgerEntry>>,
    /// Every entry in storage, including any appended after the head was served.
    all: Option<Vec<LedgerEntry>>,
}

/// Runs the whole audit. Fails only when the audit itself cannot run (unreadable heads file,
/// empty cluster); everything wrong with a region is a violation in the report.
pub async fn run(opts: &AuditOptions) -> anyhow::Result<AuditReport> {
    anyhow::ensure!(
        !opts.cluster.regions.is_empty(),
        "the cluster names no regions: nothing to audit"
    );
    let mut saved = SavedHeads::load(&opts.heads_file)
        .with_context(|| format!("cannot read the heads file {}", opts.heads_file.display()))?;
    let client = reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .connect_timeout(HTTP_TIMEOUT)
        .user_agent(concat!("roost-audit/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot build the HTTP client")?;

    let mut report = AuditReport::default();
    for code in opts.data_dirs.keys() {
        if opts.cluster.region(code).is_none() {
            report.notes.push(format!(
                "a data dir is given for {code}, which is not in the cluster; ignored"
            ));
        }
    }

    // Phase 1: storage scans (before any head, see the module doc).
    let mut regions = Vec::new();
    for code in opts.cluster.regions.keys() {
        report.regions_checked.push(code.clone());
        regions.push(scan_storage(opts, code, &mut report).await);
    }
    // Phase 2: what the witnesses cosigned, then heads, then the heads against the
    // cosignatures.
    let mut witnessed = Vec::new();
    for r in &regions {
        witnessed.push(fetch_witnessed(opts, &client, &r.code).await);
    }
    for r in &mut regions {
        check_head(opts, &client, saved.heads.get(&r.code), r, &mut report).await;
    }
    for (r, held) in regions.iter_mut().zip(witnessed) {
        check_witnessed(opts, &client, r, held, &mut report).await;
    }
    check_erased(&regions, &mut report).await;
    // Phase 3: ledgers against heads, stored items against ledgers and policy.
    for r in &mut regions {
        read_ledger(r, &mut report).await;
        check_items(&opts.cluster, r, &mut report);
        check_media_hashes(r, &mut report);
        check_references(&opts.cluster, r, &mut report).await;
    }
    // Phase 4: what a region stored, its home must have sent.
    for holder in &regions {
        let Some(holder_entries) = &holder.signed else {
            continue;
        };
        for origin in &regions {
            if origin.code == holder.code {
                continue;
            }
            match &origin.all {
                Some(origin_entries) => report.violations.extend(audit::check_sends_match(
                    &holder.code,
                    holder_entries,
                    &origin.code,
                    origin_entries,
                )),
                None => report.notes.push(format!(
                    "{}: what it stored from {} was not matched with sends: the ledger of {} could not be read",
                    holder.code, origin.code, origin.code
                )),
            }
        }
    }

    for r in &regions {
        if let Some(store) = &r.store {
            store.close().await;
        }
    }

    // Only a head that passed the signature and append-only checks becomes the reference.
    let mut updated = 0;
    for r in regions {
        if let (true, Some(head)) = (r.head_accepted, r.head) {
            saved.heads.insert(r.code, head);
            updated += 1;
        }
    }
    match saved.save(&opts.heads_file) {
        Ok(()) => report.notes.push(format!(
            "saved {updated} head(s) to {} as the reference for the next audit",
            opts.heads_file.display()
        )),
        // The audit itself is done; say so loudly rather than lose its result.
        Err(e) => report.notes.push(format!(
            "WARNING: could not save the heads to {}: {e}; the next audit cannot check that ledgers only grew",
            opts.heads_file.display()
        )),
    }
    Ok(report)
}

/// Opens the region's store and takes its inventory; every identity row abroad is a
/// violation. A store that cannot be read fails the audit for the region.
async fn scan_storage(opts: &AuditOptions, code: &str, report: &mut AuditReport) -> Region {
    let mut region = Region {
        code: code.to_string(),
        store: None,
        scanned_ms: jiff::Timestamp::now().as_millisecond(),
        inventory: None,
        head: None,
        head_accepted: false,
        signed: None,
        all: None,
    };
    let unreadable = |report: &mut AuditReport, why: String| {
        report.violation(
            code,
            ViolationKind::LedgerMismatch,
            format!("storage not audited: {why}"),
        );
    };
    let Some(dir) = opts.data_dirs.get(code) else {
        unreadable(
            report,
            "no data dir is known for it (set data_dir in the cluster file or pass one)".into(),
        );
        return region;
    };
    let (store, place) = match open_region_store(opts, code, dir).await {
        Ok(s) => s,
        Err(why) => {
            unreadable(report, why);
            return region;
        }
    };
    region.scanned_ms = jiff::Timestamp::now().as_millisecond();
    let mut look = match look_at(opts, code, dir, &store, &place).await {
        Ok(l) => l,
        Err(why) => {
            unreadable(report, why);
            region.store = Some(store);
            return region;
        }
    };
    // An inventory claim written just before its row, or a status indexed (or unindexed)
    // just after the tables were read, is a moment's state on a live region: such a
    // finding counts only if every later look finds it too.
    for _ in 1..LOOKS {
        if look.unsettled.is_empty() {
            break;
        }
        tokio::time::sleep(LOOK_GAP).await;
        let again = match look_at(opts, code, dir, &store, &place).await {
            Ok(l) => l,
            Err(why) => {
                unreadable(report, why);
                break;
            }
        };
        let before = std::mem::take(&mut look.unsettled);
        look = again;
        look.unsettled.retain(|v| before.contains(v));
    }
    report.notes.append(&mut look.notes);
    for what in &look.inv.identity_abroad {
        report.violation(
            code,
            ViolationKind::IdentityAbroad,
            format!("stores {what}"),
        );
    }
    report.violations.append(&mut look.unsettled);
    region.inventory = Some(look.inv);
    check_backups(opts, code, &store, &place, report).await;
    let blobs: Box<dyn roost_core::media::BlobStore> = match opts.media_s3.get(code) {
        Some(settings) => match roost_media::S3BlobStore::new(settings) {
            Ok(b) => Box::new(b),
            Err(e) => {
                report.violation(
                    code,
                    ViolationKind::LedgerMismatch,
                    format!("media not audited: bucket {}: {e}", settings.bucket),
                );
                region.store = Some(store);
                return region;
            }
        },
        None => Box::new(roost_media::FsBlobStore::new(dir.join("media"))),
    };
    scan_media(
        code,
        blobs.as_ref(),
        &store,
        region.inventory.as_ref(),
        report,
    )
    .await;
    region.store = Some(store);
    region
}

/// How many times the storage is looked at, at most, before a finding that can be a
/// moment's state is reported, and the pause between looks.
const LOOKS: usize = 4;
const LOOK_GAP: Duration = Duration::from_millis(750);

/// One look at a region's storage: its tables, what its inventory claims and what its
/// search index holds.
struct Look {
    inv: Inventory,
    notes: Vec<String>,
    /// Claims with no row, and foreign statuses indexed but not held.
    unsettled: Vec<Violation>,
}

async fn look_at(
    opts: &AuditOptions,
    code: &str,
    dir: &Path,
    store: &RegionStore,
    place: &str,
) -> Result<Look, String> {
    // What the region says it keeps, read before its tables: a claim is written before
    // its row, so a row written during the scan is not missed.
    let claims = store
        .store()
        .foreign_records(None)
        .await
        .map_err(|e| format!("its inventory: {}", roost_core::error::chain(&e)))?;
    let inv = store
        .foreign_inventory(code)
        .await
        .map_err(|e| format!("scanning {place} failed: {}", roost_core::error::chain(&e)))?;
    let mut notes = vec![
        format!(
            "{code}: {} foreign item(s) and {} foreign identity row(s) in {place}",
            inv.items.len(),
            inv.identity_abroad.len(),
        ),
        format!(
            "{code}: its inventory lists {} foreign item(s)",
            claims.len()
        ),
    ];
    let claims: Vec<String> = claims.into_iter().map(|r| r.object).collect();
    let mut unsettled = audit::check_claims(code, &claims, &inv.items);
    match check_index(opts, code, dir, &inv) {
        Ok((note, mut v)) => {
            notes.push(note);
            unsettled.append(&mut v);
        }
        Err(v) => unsettled.push(v),
    }
    Ok(Look {
        inv,
        notes,
        unsettled,
    })
}

/// Every backup the region recorded must be in a place its cluster entry allows.
async fn check_backups(
    opts: &AuditOptions,
    code: &str,
    store: &RegionStore,
    place: &str,
    report: &mut AuditReport,
) {
    let Some(spec) = opts.cluster.region(code) else {
        return;
    };
    match store.backups().await {
        Ok(records) => {
            report.notes.push(format!(
                "{code}: {} backup(s) recorded in {place}",
                records.len()
            ));
            let pairs: Vec<(String, String)> =
                records.into_iter().map(|b| (b.place, b.file)).collect();
            report
                .violations
                .extend(audit::check_backup_places(spec, &pairs));
        }
        Err(e) => report.violation(
            code,
            ViolationKind::BackupPlace,
            format!(
                "backups not audited: reading {place} failed: {}",
                roost_core::error::chain(&e)
            ),
        ),
    }
}

/// The region's store, as its config names it, and how to name it in the report. A
/// region whose rows are nowhere to be found is an error, not an empty store: opening a
/// missing SQLite file would create one, and an empty region must not look clean.
async fn open_region_store(
    opts: &AuditOptions,
    code: &str,
    dir: &Path,
) -> Result<(RegionStore, String), String> {
    if let Some(url) = opts.databases.get(code) {
        let place = format!("the PostgreSQL database of {code}");
        return match PgStore::connect(
            url,
            PgOptions {
                max_connections: 2,
                keys: Some(std::sync::Arc::new(roost_residency::Keyring::ephemeral())),
            },
        )
        .await
        {
            Ok(s) => Ok((RegionStore::Postgres(s), place)),
            Err(e) => Err(format!(
                "cannot open {place}: {}",
                roost_core::error::chain(&e)
            )),
        };
    }
    let path = dir.join("roost.sqlite");
    if !path.is_file() {
        return Err(format!("{} does not exist", path.display()));
    }
    match SqliteStore::open(
        &path,
        SqliteOptions {
            // The audit reads rows, never sealed text: it needs no key of the region's.
            keys: Some(std::sync::Arc::new(roost_residency::Keyring::ephemeral())),
            ..SqliteOptions::default()
        },
    )
    .await
    {
        Ok(s) => Ok((RegionStore::Sqlite(s), path.display().to_string())),
        Err(e) => Err(format!(
            "cannot open {}: {}",
            path.display(),
            roost_core::error::chain(&e)
        )),
    }
}

/// The region's media (its directory or its bucket): every file must be what its name
/// says (its SHA-256); every foreign file (a post's, a profile picture) must be there as
/// the row names it; files no row names are reported. Whether each foreign file crossed
/// the gate is checked with the other items (`media:ID`, `avatar:ACCOUNT`,
/// `header:ACCOUNT` objects), and its hash against the ledger in [`check_media_hashes`].
async fn scan_media(
    code: &str,
    blobs: &dyn roost_core::media::BlobStore,
    store: &RegionStore,
    inv: Option<&Inventory>,
    report: &mut AuditReport,
) {
    let files = match blobs.list().await {
        Ok(f) => f,
        Err(e) => {
            report.violation(
                code,
                ViolationKind::LedgerMismatch,
                format!("media not audited: {e}"),
            );
            return;
        }
    };
    let referenced: std::collections::BTreeSet<String> =
        match store.store().referenced_blobs().await {
            Ok(r) => r.into_iter().collect(),
            Err(e) => {
                report.violation(
                    code,
                    ViolationKind::LedgerMismatch,
                    format!("media rows not audited: {}", roost_core::error::chain(&e)),
                );
                return;
            }
        };
    let mut unreferenced = 0;
    for f in &files {
        match blobs.get(f).await {
            Ok(Some(bytes)) if roost_core::media::content_hash(&bytes) == *f => {}
            _ => report.violation(
                code,
                ViolationKind::UncoveredForeignItem,
                format!("media file {f} is not what its name says"),
            ),
        }
        if !referenced.contains(f) {
            unreferenced += 1;
            report.notes.push(format!(
                "{code}: media file {f} is named by no row (unreferenced)"
            ));
        }
    }
    if let Some(inv) = inv {
        let present: std::collections::BTreeSet<&String> = files.iter().collect();
        for (object, hash) in &inv.media_files {
            if !present.contains(hash) {
                report.notes.push(format!(
                    "{code}: {object} names file {hash}, which is not in the media store"
                ));
            }
        }
    }
    report.notes.push(format!(
        "{code}: {} media file(s), {unreferenced} unreferenced",
        files.len()
    ));
}

// --- Rows that name foreign data ----------------------------------------------------------

/// Rows of the region's own (bookmarks, likes, notifications, timelines, mentions,
/// conversations, files' rows) that name another region's status or account: each must
/// name something the region holds and may keep. A named row that is missing has its home
/// read from its ID.
async fn check_references(cluster: &Cluster, region: &Region, report: &mut AuditReport) {
    let code = region.code.as_str();
    let Some(store) = &region.store else {
        return;
    };
    let refs = store.foreign_references(code).await;
    let mut refs = match refs {
        Ok(r) => r,
        Err(e) => {
            report.violation(
                code,
                ViolationKind::LedgerMismatch,
                format!(
                    "rows naming foreign data not audited: {}",
                    roost_core::error::chain(&e)
                ),
            );
            return;
        }
    };
    for r in refs.iter_mut().filter(|r| r.home.is_none()) {
        let number = r
            .object
            .split(':')
            .nth(1)
            .and_then(|id| id.parse::<i64>().ok())
            .map(|id| roost_core::Id(id).region());
        r.home = cluster
            .regions
            .iter()
            .find(|(_, spec)| Some(spec.number) == number)
            .map(|(c, _)| c.clone());
    }
    report.notes.push(format!(
        "{code}: {} row(s) name another region's status or account",
        refs.len()
    ));
    report
        .violations
        .extend(audit::check_references(cluster, code, &refs));
}

/// After an erasure no row anywhere may name the account: the erased IDs are read from
/// every home's erasure records, then every table of every region is searched for them
/// (but the ledger, the records themselves and the outbox delivering the erasure).
async fn check_erased(regions: &[Region], report: &mut AuditReport) {
    let mut erased: Vec<i64> = Vec::new();
    for r in regions {
        let Some(store) = &r.store else { continue };
        match store.store().erasures(u32::MAX).await {
            Ok(list) => erased.extend(list.iter().map(|e| e.account_id.0)),
            Err(e) => report.violation(
                &r.code,
                ViolationKind::LedgerMismatch,
                format!("erasure records not read: {}", roost_core::error::chain(&e)),
            ),
        }
    }
    erased.sort_unstable();
    erased.dedup();
    if erased.is_empty() {
        return;
    }
    report.notes.push(format!(
        "{} erased account(s) searched for in every table",
        erased.len()
    ));
    for r in regions {
        let Some(store) = &r.store else { continue };
        match store.rows_naming(&erased).await {
            Ok(found) => {
                for (account, place, n) in found {
                    report.violation(
                        &r.code,
                        ViolationKind::ErasedButNamed,
                        format!("{n} row(s) of {place} name erased account {account}"),
                    );
                }
            }
            Err(e) => report.violation(
                &r.code,
                ViolationKind::LedgerMismatch,
                format!(
                    "rows naming erased accounts not searched: {}",
                    roost_core::error::chain(&e)
                ),
            ),
        }
    }
}

/// Each foreign file kept must be the very file the ledger recorded storing.
fn check_media_hashes(region: &Region, report: &mut AuditReport) {
    let (Some(inv), Some(entries)) = (&region.inventory, &region.signed) else {
        return;
    };
    for (object, hash) in &inv.media_files {
        let recorded = entries.iter().any(|e| {
            e.direction == roost_residency::Direction::Stored
                && e.object == *object
                && e.payload_sha256 == *hash
        });
        if !recorded {
            report.violation(
                &region.code,
                ViolationKind::UncoveredForeignItem,
                format!("{object}: file {hash} matches no stored ledger entry"),
            );
        }
    }
}

/// The search index is a copy: every foreign status in it must be a foreign item the store
/// holds (and so one the ledger and policy cover, as `check_items` verifies).
fn check_index(
    opts: &AuditOptions,
    code: &str,
    dir: &Path,
    inv: &Inventory,
) -> Result<(String, Vec<Violation>), Violation> {
    let path = dir.join("search");
    let states = match roost_search::read_states(&path) {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Ok((
                format!("{code}: no search index in {}", path.display()),
                vec![],
            ))
        }
        Err(e) => {
            return Err(Violation {
                region: code.to_string(),
                kind: ViolationKind::LedgerMismatch,
                detail: format!("search index not audited: {e}"),
            })
        }
    };
    let number = opts.cluster.region(code).map(|r| r.number);
    let held: std::collections::HashSet<&str> =
        inv.items.iter().map(|i| i.object.as_str()).collect();
    let foreign: Vec<_> = states
        .iter()
        .filter(|s| s.foreign || Some(s.id.region()) != number)
        .collect();
    let note = format!(
        "{code}: {} indexed status(es), {} foreign, in {}",
        states.len(),
        foreign.len(),
        path.display()
    );
    let violations = foreign
        .into_iter()
        .filter(|s| !held.contains(format!("status:{}", s.id).as_str()))
        .map(|s| Violation {
            region: code.to_string(),
            kind: ViolationKind::UncoveredForeignItem,
            detail: format!(
                "search index holds foreign status {} that the store does not hold",
                s.id
            ),
        })
        .collect();
    Ok((note, violations))
}

/// Fetches the region's head, verifies its signature and that it extends the saved head.
async fn check_head(
    opts: &AuditOptions,
    client: &reqwest::Client,
    saved: Option<&SignedTreeHead>,
    region: &mut Region,
    report: &mut AuditReport,
) {
    let code = region.code.clone();
    let Some(spec) = opts.cluster.region(&code) else {
        return;
    };
    let url = format!("{}/api/roost/v1/ledger/head", spec.base_url);
    let head: SignedTreeHead = match get_json(client, &url).await {
        Ok(h) => h,
        Err(e) => {
            // An audit that could not look must not pass.
            report.violation(
                &code,
                ViolationKind::LedgerMismatch,
                format!("unreachable: no signed head from {url}: {e}"),
            );
            return;
        }
    };
    if let Some(v) = audit::check_head_signature(&opts.cluster, &code, &head) {
        report.violations.push(v);
        return;
    }
    report.notes.push(format!(
        "{code}: signed head of {} entries, root {}, key {}: signature verified",
        head.head.tree_size,
        hex::encode(head.head.root_hash),
        head.key_id
    ));
    let append_only = match saved {
        None => {
            report.notes.push(format!(
                "{code}: no saved head (first audit): this head becomes the reference"
            ));
            true
        }
        Some(saved) => check_extends(client, &spec.base_url, saved, &head, report).await,
    };
    region.head_accepted = append_only;
    region.head = Some(head);
}

/// The current head extends the saved one, by the region's consistency proof.
async fn check_extends(
    client: &reqwest::Client,
    base_url: &str,
    saved: &SignedTreeHead,
    current: &SignedTreeHead,
    report: &mut AuditReport,
) -> bool {
    let code = current.head.region.clone();
    let (first, second) = (saved.head.tree_size, current.head.tree_size);
    // A shrunken ledger has no proof to ask for; the check says so by itself.
    if second < first {
        if let Some(v) = audit::check_consistency(saved, current, &[]) {
            report.violations.push(v);
        }
        return false;
    }
    let not_append_only = |report: &mut AuditReport, detail: String| {
        report.violation(&code, ViolationKind::NotAppendOnly, detail);
        false
    };
    let proof = match fetch_consistency(client, base_url, first, second).await {
        Ok(p) => p,
        Err(e) => return not_append_only(report, e),
    };
    if proof.first_root != saved.head.root_hash {
        return not_append_only(
            report,
            format!(
                "its ledger's first {first} entries now hash to {}, but the saved head says {}",
                hex::encode(proof.first_root),
                hex::encode(saved.head.root_hash)
            ),
        );
    }
    if proof.second_root != current.head.root_hash {
        return not_append_only(
            report,
            format!(
                "its consistency proof ends at root {}, but its signed head of {second} entries says {}",
                hex::encode(proof.second_root),
                hex::encode(current.head.root_hash)
            ),
        );
    }
    if let Some(v) = audit::check_consistency(saved, current, &proof.hashes) {
        report.violations.push(v);
        return false;
    }
    report.notes.push(if first == second {
        format!("{code}: ledger unchanged at {first} entries since the saved head")
    } else {
        format!("{code}: ledger grew from {first} to {second} entries; append-only proof verified")
    });
    true
}

/// The region's consistency proof from `first` to `second` entries; the error says why
/// there is none.
async fn fetch_consistency(
    client: &reqwest::Client,
    base_url: &str,
    first: u64,
    second: u64,
) -> Result<ConsistencyProof, String> {
    let url = format!("{base_url}/api/roost/v1/ledger/consistency?first={first}&second={second}");
    let wire: ConsistencyWire = get_json(client, &url).await.map_err(|e| {
        format!("no consistency proof from {first} to {second} entries ({url}): {e}")
    })?;
    let proof = wire
        .decode()
        .map_err(|e| format!("consistency proof from {url}: {e}"))?;
    if (proof.first, proof.second) != (first, second) {
        return Err(format!(
            "asked for a consistency proof from {first} to {second} entries, got one from {} to {}",
            proof.first, proof.second
        ));
    }
    Ok(proof)
}

// --- What the witnesses hold ---------------------------------------------------------

/// What one region, as witness, serves about another.
#[derive(Deserialize)]
struct WitnessedWire {
    witness: String,
    region: String,
    cosigned: Option<Cosigned>,
    evidence: Vec<Evidence>,
}

/// (witness, what it serves about `code` or why it could not be read), for every other
/// region.
async fn fetch_witnessed(
    opts: &AuditOptions,
    client: &reqwest::Client,
    code: &str,
) -> Vec<(String, Result<WitnessedWire, String>)> {
    let mut out = Vec::new();
    for (w, spec) in opts.cluster.regions.iter().filter(|(w, _)| *w != code) {
        let url = format!(
            "{}/api/roost/v1/ledger/witnesses?region={code}",
            spec.base_url
        );
        let answer = get_json(client, &url)
            .await
            .map_err(|e| format!("{url}: {e}"));
        out.push((w.clone(), answer));
    }
    out
}

/// Each cosignature of the region's ledger is the witness's and covers a head the region
/// signed, and the region's served head extends it; each piece of evidence a witness holds
/// is the region's own conflicting heads. A region no witness has cosigned yet gets a note.
async fn check_witnessed(
    opts: &AuditOptions,
    client: &reqwest::Client,
    region: &mut Region,
    held: Vec<(String, Result<WitnessedWire, String>)>,
    report: &mut AuditReport,
) {
    let code = region.code.clone();
    let Some(spec) = opts.cluster.region(&code) else {
        return;
    };
    let mut cosigners = 0;
    for (w, answer) in held {
        let wire = match answer {
            Ok(wire) => wire,
            Err(e) => {
                // The witness's own head check reports it unreachable.
                report
                    .notes
                    .push(format!("{code}: what {w} witnessed was not read: {e}"));
                continue;
            }
        };
        if wire.witness != w || wire.region != code {
            report.violation(
                &w,
                ViolationKind::BadCosignature,
                format!(
                    "asked what it witnessed of {code}, it answered as {} about {}",
                    wire.witness, wire.region
                ),
            );
            continue;
        }
        for e in &wire.evidence {
            let (m, n) = (e.cosigned.head.tree_size, e.conflicting.head.tree_size);
            // A larger head the region can still prove extends refutes the evidence.
            let proof = if 0 < m && m < n {
                fetch_consistency(client, &spec.base_url, m, n)
                    .await
                    .map(|p| p.hashes)
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            match witness::check_evidence(&opts.cluster, &w, &code, e, &proof) {
                Some(v) => {
                    if v.region == code {
                        region.head_accepted = false;
                    }
                    report.violations.push(v);
                }
                None => report.notes.push(format!(
                    "{code}: evidence held by {w} is refuted: the head of {n} entries extends the one of {m}"
                )),
            }
        }
        let Some(c) = wire.cosigned else {
            report
                .notes
                .push(format!("{code}: {w} has not cosigned its ledger yet"));
            continue;
        };
        if let Some(v) = witness::check_cosigned(&opts.cluster, &w, &code, &c) {
            report.violations.push(v);
            continue;
        }
        cosigners += 1;
        let Some(current) = &region.head else {
            continue;
        };
        let (m, n) = (c.cosignature.tree_size, current.head.tree_size);
        let proof = if 0 < m && m < n {
            match fetch_consistency(client, &spec.base_url, m, n).await {
                Ok(p) => p.hashes,
                Err(e) => {
                    region.head_accepted = false;
                    report.violation(
                        &code,
                        ViolationKind::WitnessedConflict,
                        format!("no proof that its head extends the head of {m} entries {w} cosigned: {e}"),
                    );
                    continue;
                }
            }
        } else {
            Vec::new()
        };
        match witness::check_extends_cosigned(&w, &c, current, &proof) {
            Some(v) => {
                region.head_accepted = false;
                report.violations.push(v);
            }
            None => report.notes.push(format!(
                "{code}: its head of {n} entries extends the head of {m} entries {w} cosigned at {} ms",
                c.cosignature.timestamp_ms
            )),
        }
    }
    if cosigners == 0 {
        report.notes.push(format!(
            "{code}: no witness has cosigned its ledger yet; nothing to hold its head to but the saved one"
        ));
    }
}

/// Reads every ledger leaf from storage and checks the ones the head covers against it.
async fn read_ledger(region: &mut Region, report: &mut AuditReport) {
    let code = region.code.clone();
    let Some(store) = &region.store else {
        return;
    };
    let mismatch = |report: &mut AuditReport, detail: String| {
        report.violation(&code, ViolationKind::LedgerMismatch, detail);
    };
    // A gap in the indices (a removed row) shows here; the hash check below shows it too.
    let store = store.ledger();
    match store.leaf_hashes().await {
        Ok(hashes) => {
            if let Some(head) = &region.head {
                let stored = hashes.len() as u64;
                if stored > head.head.tree_size {
                    report.notes.push(format!(
                        "{code}: {} entries appended after the head was served; not signed yet, used only as sends",
                        stored - head.head.tree_size
                    ));
                }
            }
        }
        Err(e) => mismatch(report, format!("stored ledger: {e}")),
    }
    // i64::MAX: the store binds the bound as a signed integer.
    let leaves = match store.leaves(0, i64::MAX as u64).await {
        Ok(l) => l,
        Err(e) => {
            mismatch(report, format!("cannot read the stored ledger: {e}"));
            return;
        }
    };
    let size = region.head.as_ref().map(|h| h.head.tree_size);
    if let Some(head) = &region.head {
        let covered: Vec<Vec<u8>> = leaves
            .iter()
            .filter(|(i, _)| *i < head.head.tree_size)
            .map(|(_, l)| l.clone())
            .collect();
        report
            .violations
            .extend(audit::check_leaves_match_head(&code, &covered, head));
    } else {
        report.notes.push(format!(
            "{code}: no verified head, so its stored ledger ({} entries) is used unverified",
            leaves.len()
        ));
    }
    let mut signed = Vec::new();
    let mut all = Vec::with_capacity(leaves.len());
    for (index, bytes) in &leaves {
        match LedgerEntry::from_leaf_bytes(bytes) {
            Ok(e) => {
                if size.is_none_or(|s| *index < s) {
                    signed.push(e.clone());
                }
                all.push(e);
            }
            Err(e) => mismatch(report, format!("ledger entry {index} is unreadable: {e}")),
        }
    }
    region.signed = Some(signed);
    region.all = Some(all);
}

/// Every foreign item in storage against the ledger entries the head covers.
fn check_items(cluster: &Cluster, region: &Region, report: &mut AuditReport) {
    let (Some(inv), Some(entries)) = (&region.inventory, &region.signed) else {
        return;
    };
    report.violations.extend(audit::check_stored_items(
        cluster,
        &region.code,
        &inv.items,
        entries,
        region.scanned_ms,
    ));
}

/// GET a JSON document; the error says what went wrong in words.
async fn get_json<T: DeserializeOwned>(client: &reqwest::Client, url: &str) -> Result<T, String> {
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| roost_core::error::chain(&e))?;
    let status = resp.status();
    if !status.is_success() {
        let body = resp.text().await.unwrap_or_default();
        let body: String = body.chars().take(200).collect();
        return Err(format!("HTTP {status}: {body}"));
    }
    resp.json::<T>()
        .await
        .map_err(|e| format!("unreadable answer: {}", roost_core::error::chain(&e)))
}

/// The consistency endpoint's answer, hashes in hex.
#[derive(Deserialize)]
struct ConsistencyWire {
    first: u64,
    second: u64,
    first_root: String,
    second_root: String,
    consistency_proof: Vec<String>,
}

struct ConsistencyProof {
    first: u64,
    second: u64,
    first_root: Hash,
    second_root: Hash,
    hashes: Vec<Hash>,
}

impl ConsistencyWire {
    fn decode(&self) -> Result<ConsistencyProof, String> {
        Ok(ConsistencyProof {
            first: self.first,
            second: self.second,
            first_root: hash_from_hex(&self.first_root)?,
            second_root: hash_from_hex(&self.second_root)?,
            hashes: self
                .consistency_proof
                .iter()
                .map(|h| hash_from_hex(h))
                .collect::<Result<_, _>>()?,
        })
    }
}

fn hash_from_hex(s: &str) -> Result<Hash, String> {
    let bytes = hex::decode(s).map_err(|_| format!("{s:?} is not hex"))?;
    bytes
        .try_into()
        .map_err(|_| format!("{s:?} is not a 32-byte hash"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(region: &str, kind: ViolationKind, detail: &str) -> Violation {
        Violation {
            region: region.into(),
            kind,
            detail: detail.into(),
        }
    }

    fn report(violations: Vec<Violation>) -> AuditReport {
        AuditReport {
            regions_checked: vec!["id".into(), "in".into()],
            violations,
            notes: vec!["in: signed head of 3 entries".into()],
        }
    }

    #[test]
    fn clean_report() {
        let r = report(Vec::new());
        assert!(r.is_clean());
        let text = r.render();
        assert!(
            text.starts_with("roost audit of 2 region(s): id, in\n"),
            "{text}"
        );
        assert!(
            text.contains("  - in: signed head of 3 entries\n"),
            "{text}"
        );
        assert!(text.contains("Violations: none\n"), "{text}");
        assert!(text.ends_with("\nVERDICT: clean\n"), "{text}");
        assert_eq!(text.matches("VERDICT").count(), 1);
    }

    #[test]
    fn report_with_violations() {
        let r = report(vec![
            v(
                "in",
                ViolationKind::BadSignature,
                "head signed with key abc",
            ),
            v(
                "id",
                ViolationKind::IdentityAbroad,
                "stores user row of account 7",
            ),
        ]);
        assert!(!r.is_clean());
        let text = r.render();
        assert!(text.contains("Violations (2):\n"), "{text}");
        assert!(
            text.contains("  - in: BadSignature: head signed with key abc\n"),
            "{text}"
        );
        assert!(
            text.contains("  - id: IdentityAbroad: stores user row of account 7\n"),
            "{text}"
        );
        assert!(text.ends_with("\nVERDICT: 2 violation(s)\n"), "{text}");
        assert!(!text.contains("VERDICT: clean"));
    }

    #[test]
    fn one_violation_fails() {
        let r = report(vec![v(
            "cn",
            ViolationKind::LedgerMismatch,
            "unreachable: no signed head",
        )]);
        assert!(!r.is_clean());
        assert!(r.render().ends_with("VERDICT: 1 violation(s)\n"));
    }

    #[test]
    fn empty_report_renders() {
        let r = AuditReport::default();
        assert!(r.is_clean());
        let text = r.render();
        assert!(
            text.starts_with("roost audit of 0 region(s): none\n"),
            "{text}"
        );
        // No notes section when there are none.
        assert!(!text.contains("Notes:"), "{text}");
        assert!(text.ends_with("VERDICT: clean\n"));
    }
}
