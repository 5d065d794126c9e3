//! The `roost` command: `serve` runs a region; `admin` manages its accounts offline.

use anyhow::Context;
use clap::{Parser, Subcommand};
use roost_server::config::{Config, Settings};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "roost",
    version,
    about = "A microblog that keeps each user's data in their home region"
)]
struct Cli {
    /// TOML config file (settings in it are overridden by env vars and flags).
    #[arg(long, global = true, env = "ROOST_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run this region's server until SIGINT or SIGTERM.
    Serve(#[command(flatten)] Settings),
    /// Write or change the cluster file shared by all regions.
    Cluster {
        #[command(subcommand)]
        task: ClusterTask,
    },
    /// Verify every region's ledger, storage and policy; exits non-zero on any violation.
    Audit {
        /// The cluster file.
        #[arg(long)]
        cluster: PathBuf,
        /// Heads seen by earlier audits (kept up to date by this command).
        #[arg(long, default_value = "audit-heads.json")]
        heads: PathBuf,
        /// `code=DIR`: a region's data dir, when not (or not correctly) in the cluster file.
        #[arg(long = "data-dir", value_parser = parse_pair)]
        data_dirs: Vec<(String, PathBuf)>,
        /// `code=FILE`: the config file a region runs with. Its data dir and media bucket
        /// (with the credentials in the file) are where that region's storage is audited.
        #[arg(long = "region-config", value_parser = parse_pair)]
        region_configs: Vec<(String, PathBuf)>,
    },
    /// Start three regions on loopback with seeded users; runs until interrupted.
    Demo {
        /// Where the regions keep their data (created; reused if it exists).
        #[arg(long, default_value = "roost-demo")]
        dir: PathBuf,
        #[arg(long, default_value_t = 24)]
        users_per_region: usize,
    },
    /// Back this region up into PLACE (a directory the cluster file allows for the
    /// region): a consistent snapshot while it runs, sealed with its key-encryption key,
    /// holding no data keys, so an account erased later is unreadable in it too.
    Backup {
        #[command(flatten)]
        settings: Settings,
        /// `dir:/path`, a path or `s3://BUCKET/PREFIX`; it must be within one of the region's
        /// `backups` places.
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore this region from a backup file (stop the region first). The data keys,
    /// ledger and erasure records stay those of the live database; accounts erased since
    /// the backup are erased again.
    Restore {
        #[command(flatten)]
        settings: Settings,
        /// A backup file, or `s3://BUCKET/PREFIX/NAME` in a place the cluster file allows.
        #[arg(long)]
        from: PathBuf,
        /// SQLite only: the live database file to keep keys, ledger and erasure records
        /// from, when it is not the data dir's `roost.sqlite` (restoring into an empty
        /// data dir). A region on PostgreSQL keeps them from its own database.
        #[arg(long)]
        live: Option<PathBuf>,
    },
    /// Operator tasks on this region's data (the server may be running).
    Admin {
        #[command(flatten)]
        settings: Settings,
        #[command(subcommand)]
        task: AdminTask,
    },
}

#[derive(Subcommand)]
enum ClusterTask {
    /// Create data dirs with keys for the regions and write the cluster file.
    Init {
        /// Where to write the cluster file.
        #[arg(long, default_value = "cluster.toml")]
        out: PathBuf,
        /// Folder for the regions' data dirs (one per region code).
        #[arg(long, default_value = "regions")]
        data_root: PathBuf,
        /// `code=BASE_URL`, once per region, e.g. `in=https://in.roost.example`.
        #[arg(long = "region", value_parser = parse_region, required = true)]
        regions: Vec<(String, String)>,
    },
    /// Give a region a new signing key; the old one stays listed so its signatures verify.
    RotateKey {
        #[arg(long)]
        cluster: PathBuf,
        #[arg(long)]
        region: String,
        #[arg(long)]
        data_dir: PathBuf,
    },
}

fn parse_region(s: &str) -> Result<(String, String), String> {
    let (c, u) = s.split_once('=').ok_or("expected code=BASE_URL")?;
    Ok((c.to_string(), u.to_string()))
}

fn parse_pair(s: &str) -> Result<(String, PathBuf), String> {
    let (c, d) = s.split_once('=').ok_or("expected code=DIR")?;
    Ok((c.to_string(), PathBuf::from(d)))
}

#[derive(Subcommand)]
enum AdminTask {
    /// Create a local account.
    CreateAccount {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Password (8-72 characters); read from ROOST_NEW_PASSWORD when not given.
        #[arg(long, env = "ROOST_NEW_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// List local accounts.
    ListAccounts {
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Publish an announcement to every user of this region.
    Announce {
        #[arg(long)]
        text: String,
        /// Shown for this many hours (until ended when not given).
        #[arg(long)]
        hours: Option<u32>,
    },
    /// End an announcement (it is no longer listed).
    EndAnnouncement {
        #[arg(long)]
        id: String,
    },
    /// The region's custom emoji.
    Emoji {
        #[command(subcommand)]
        task: roost_server::emoji_cmd::EmojiTask,
    },
    /// Move this region from its SQLite file to an empty PostgreSQL database, every row
    /// checked by count and hash on both sides before the copy is kept. Stop the region
    /// first; afterwards start it with `database_url` set to the same URL.
    MigrateStore {
        /// The target: `postgres://user@host:port/db`.
        #[arg(long)]
        to: String,
    },
    /// Delete a local account and everything of it, here and (through the outbox, once
    /// the region runs) in every region that holds any of it.
    DeleteAccount {
        /// The local account's username.
        username: String,
    },
    /// Move a local account, with everything of it, to another region of the cluster
    /// (which must be running): sent at once through the gate; the erasure here and the
    /// other regions' notices wait in the outbox for the running region.
    MoveAccount {
        /// The local account's username.
        username: String,
        /// The code of its new home region (not `region`: that names this one).
        #[arg(value_name = "REGION")]
        to: String,
    },
    /// The region's erasure records: which regions were told and which acknowledged.
    Erasures {
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// The region's key-encryption keys: status, rotation (`rewrap`), new keys.
    Keys {
        #[command(subcommand)]
        task: roost_server::keys_cmd::KeysTask,
    },
    /// Give a local account a role: user, moderator, admin or owner.
    SetRole {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: roost_core::model::Role,
    },
}

async fn migrate_store(cfg: &Config, to: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        cfg.database == roost_server::config::Database::Sqlite,
        "this region already runs on PostgreSQL (database_url is set); migrate-store moves a \
         region from its SQLite file"
    );
    anyhow::ensure!(
        to.starts_with("postgres://") || to.starts_with("postgresql://"),
        "--to must be a postgres:// URL"
    );
    let file = cfg.data_dir.join("roost.sqlite");
    anyhow::ensure!(file.is_file(), "{} does not exist", file.display());
    let report = roost_store::copy::sqlite_to_postgres(&file, to)
        .await
        .with_context(|| format!("moving {} to PostgreSQL", file.display()))?;
    for t in &report.tables {
        println!("{:<28} {:>10} rows  sha256 {}", t.table, t.rows, t.sha256);
    }
    println!(
        "copied {} rows in {} tables; every table matched by count and hash. Start the \
         region with database_url set to the target; {} is no longer read.",
        report.rows(),
        report.tables.len(),
        file.display()
    );
    Ok(())
}

/// `in (acknowledged), cn (waiting)`, or `no other region`.
fn told(e: &roost_core::model::Erasure) -> String {
    if e.regions.is_empty() {
        return "no other region".into();
    }
    e.regions
        .iter()
        .map(|r| {
            let state = if r.acknowledged_at.is_some() {
                "acknowledged"
            } else {
                "waiting"
            };
            format!("{} ({state})", r.region)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_role(s: &str) -> Result<roost_core::model::Role, String> {
    roost_core::model::Role::parse(s)
        .ok_or_else(|| format!("unknown role {s:?}: user, moderator, admin or owner"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    roost_server::init_logging();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(settings) => serve(Config::load(cli.config.as_deref(), settings)?).await,
        Command::Admin { settings, task } => {
            admin(Config::load(cli.config.as_deref(), settings)?, task).await
        }
        Command::Backup { settings, to } => {
            let cfg = Config::load(cli.config.as_deref(), settings)?;
            let _lock = data_dir_lock(&cfg)?;
            let made = roost_server::backup::backup(&cfg, &to).await?;
            println!(
                "backed up region {} to {} ({} bytes, {} media file(s), sha256 {})",
                cfg.region, made.file, made.record.size, made.blobs, made.record.sha256
            );
            Ok(())
        }
        Command::Restore {
            settings,
            from,
            live,
        } => {
            let cfg = Config::load(cli.config.as_deref(), settings)?;
            let r = roost_server::backup::restore(&cfg, &from, live.as_deref()).await?;
            println!(
                "restored region {} from the backup of {} ({} media file(s)); erased again: {}",
                r.region,
                roost_api::wire::datetime(
                    jiff::Timestamp::from_millisecond(r.made_at_ms).unwrap_or_default()
                ),
                r.blobs,
                if r.erased_again.is_empty() {
                    "none".to_string()
                } else {
                    r.erased_again
                        .iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
            Ok(())
        }
        Command::Cluster { task } => cluster(task),
        Command::Audit {
            cluster,
            heads,
            data_dirs,
            region_configs,
        } => audit(cluster, heads, data_dirs, region_configs).await,
        Command::Demo {
            dir,
            users_per_region,
        } => demo(dir, users_per_region).await,
    }
}

fn cluster(task: ClusterTask) -> anyhow::Result<()> {
    use roost_server::cluster_cmd;
    match task {
        ClusterTask::Init {
            out,
            data_root,
            regions,
        } => {
            let plans: Vec<cluster_cmd::RegionPlan> = regions
                .into_iter()
                .map(|(code, base_url)| cluster_cmd::RegionPlan {
                    name: code.to_uppercase(),
                    jurisdiction: code.to_uppercase(),
                    code,
                    base_url,
                    time_zone: "UTC".into(),
                })
                .collect();
            let c = cluster_cmd::init(&data_root, &plans, &cluster_cmd::default_policy())?;
            std::fs::write(&out, c.to_toml())
                .with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {} with {} regions", out.display(), c.regions.len());
            Ok(())
        }
        ClusterTask::RotateKey {
            cluster,
            region,
            data_dir,
        } => {
            let id = cluster_cmd::rotate_key(&cluster, &region, &data_dir)?;
            println!("region {region} now signs with key {id}; restart it, then the others");
            Ok(())
        }
    }
}

async fn audit(
    cluster: PathBuf,
    heads: PathBuf,
    dirs: Vec<(String, PathBuf)>,
    region_configs: Vec<(String, PathBuf)>,
) -> anyhow::Result<()> {
    let c = roost_residency::Cluster::load(&cluster)?;
    // Read as the region reads it (file only: this process's environment is not the
    // region's).
    let mut from_configs = Vec::new();
    let mut media_s3 = std::collections::BTreeMap::new();
    let mut databases = std::collections::BTreeMap::new();
    for (code, file) in region_configs {
        let cfg = Config::load(Some(&file), Settings::default())
            .with_context(|| format!("reading the config of region {code}"))?;
        anyhow::ensure!(
            cfg.region == code,
            "{} is the config of region {}, not {code}",
            file.display(),
            cfg.region
        );
        from_configs.push((code.clone(), cfg.data_dir.clone()));
        if let roost_server::config::Database::Postgres { url, .. } = cfg.database {
            databases.insert(code.clone(), url);
        }
        if let Some(s3) = cfg.media_s3 {
            media_s3.insert(code, s3);
        }
    }
    let mut data_dirs: std::collections::BTreeMap<String, PathBuf> = c
        .regions
        .values()
        .filter_map(|r| {
            r.data_dir
                .as_ref()
                .map(|d| (r.code.clone(), PathBuf::from(d)))
        })
        .collect();
    data_dirs.extend(from_configs);
    data_dirs.extend(dirs);
    let report = roost_server::audit::run(&roost_server::audit::AuditOptions {
        cluster: c,
        heads_file: heads,
        data_dirs,
        media_s3,
        databases,
    })
    .await?;
    print!("{}", report.render());
    if !report.is_clean() {
        std::process::exit(1);
    }
    Ok(())
}

async fn demo(dir: PathBuf, users_per_region: usize) -> anyhow::Result<()> {
    let d = roost_server::demo::start(&roost_server::demo::DemoOptions {
        root: dir,
        users_per_region,
        seed: 1,
    })
    .await?;
    println!("{}", d.summary);
    shutdown_signal().await;
    for (_, r) in d.regions {
        r.stop().await;
    }
    Ok(())
}

async fn serve(cfg: Config) -> anyhow::Result<()> {
    let running = roost_server::start(cfg).await.context("starting roost")?;
    // Machine-readable: tests and scripts read the address from this line.
    println!("roost listening on {}", running.base_url);
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// The shared lock of the region's data dir, as `serve` takes it: refused while a
/// restore runs there.
fn data_dir_lock(cfg: &Config) -> anyhow::Result<std::fs::File> {
    roost_server::keys::create_private_dir(&cfg.data_dir)
        .with_context(|| format!("cannot create the data dir {}", cfg.data_dir.display()))?;
    Ok(roost_server::backup::serve_lock(&cfg.data_dir)?)
}

async fn admin(cfg: Config, task: AdminTask) -> anyhow::Result<()> {
    // Held to the end: a restore swapping the database under this task would lose its
    // write (or, for a key rotation, the re-wrapped keys).
    let _lock = data_dir_lock(&cfg)?;
    if let AdminTask::MigrateStore { to } = &task {
        return migrate_store(&cfg, to).await;
    }
    if let AdminTask::Keys { task } = &task {
        if let Some(out) = roost_server::keys_cmd::run_without_store(&cfg, task) {
            println!("{}", out?);
            return Ok(());
        }
        let keyring =
            roost_server::keys::keyring(&cfg).context("opening the key-encryption key")?;
        let store = roost_server::open_store_with(&cfg, keyring.clone())
            .await
            .context("opening the database")?;
        let out = roost_server::keys_cmd::run(&store, &keyring, task.clone()).await;
        store.close().await;
        println!("{}", out?);
        return Ok(());
    }
    let store = roost_server::open_store(&cfg)
        .await
        .context("opening the database")?;
    let mut rcfg = roost_server::roost_config(&cfg, cfg.listen);
    // The use cases read the other regions from it (a move checks its target there).
    if let Some(c) = &cfg.cluster {
        rcfg.cluster = c.clone();
    }
    let (number, _keep_number) = roost_server::offline_node_number(&store)
        .await
        .context("taking a node number")?;
    // Offline tasks never reach other regions, but for a move's one transfer (the new
    // home must take the account before it goes here); an erasure queues its Deletes in
    // the outbox, which the running region delivers.
    let remote: std::sync::Arc<dyn roost_core::remote::Remote> = match (&task, cfg.cluster.clone())
    {
        (AdminTask::DeleteAccount { .. } | AdminTask::MoveAccount { .. }, Some(cluster)) => {
            roost_server::offline_federation(&cfg, &store, cluster, number.clone())
                .await
                .context("opening the ledger")?
        }
        _ => std::sync::Arc::new(roost_core::remote::NoRemote),
    };
    let mut roost = roost_core::Roost::new(store.store(), rcfg, remote);
    if let Some(n) = number {
        roost = roost.with_node_number(n);
    }
    // Only emoji and erasures need the media store (which may be a bucket the other
    // tasks need not reach).
    if matches!(
        task,
        AdminTask::Emoji { .. } | AdminTask::DeleteAccount { .. } | AdminTask::MoveAccount { .. }
    ) {
        let keys = roost_server::keys::load_or_create(&cfg.data_dir).context("reading the keys")?;
        let media = roost_server::media_ports(&cfg, &keys)
            .await
            .context("opening the media store")?;
        roost = roost.with_media(media);
    }
    let result = match task {
        AdminTask::CreateAccount {
            username,
            email,
            password,
        } => {
            let a = roost
                .admin_create_account(&username, &email, &password)
                .await
                .context("creating the account")?;
            println!("created {} (id {})", a.username, a.id);
            Ok(())
        }
        // Moved before the store is opened (above): it must not open it through roost.
        AdminTask::MigrateStore { .. } | AdminTask::Keys { .. } => Ok(()),
        AdminTask::SetRole { username, role } => {
            let a = roost
                .admin_set_role(&username, role)
                .await
                .context("setting the role")?;
            println!("{} is now {}", a.username, role.as_str());
            Ok(())
        }
        AdminTask::Announce { text, hours } => {
            let ends_at = hours
                .map(|h| jiff::Timestamp::now() + jiff::SignedDuration::from_hours(i64::from(h)));
            let a = roost
                .announce(&text, ends_at)
                .await
                .context("publishing the announcement")?;
            println!("announcement {} published", a.id);
            Ok(())
        }
        AdminTask::EndAnnouncement { id } => {
            let id: roost_core::Id = id
                .parse()
                .map_err(|_| anyhow::anyhow!("{id:?} is not an announcement ID"))?;
            roost
                .end_announcement(id)
                .await
                .context("ending the announcement")?;
            println!("announcement {id} ended");
            Ok(())
        }
        AdminTask::Emoji { task } => roost_server::emoji_cmd::run(&roost, task).await.map(|out| {
            if !out.is_empty() {
                println!("{out}");
            }
        }),
        AdminTask::DeleteAccount { username } => {
            let e = roost
                .admin_delete_account(&username)
                .await
                .context("deleting the account")?;
            println!(
                "erased {username} (id {}); told: {}",
                e.account_id,
                told(&e)
            );
            Ok(())
        }
        AdminTask::MoveAccount { username, to } => {
            let f = roost
                .admin_move_account(&username, &to)
                .await
                .context("moving the account")?;
            println!("moved {username} to {} (new id {})", f.region, f.new_id);
            Ok(())
        }
        AdminTask::Erasures { limit } => {
            for e in roost.erasures(limit).await? {
                println!(
                    "{}\t{}\t{}",
                    e.account_id,
                    roost_api::wire::datetime(e.erased_at),
                    told(&e)
                );
            }
            Ok(())
        }
        AdminTask::ListAccounts { limit } => {
            let page = roost_core::model::Page {
                limit,
                ..Default::default()
            };
            for a in roost.list_accounts(page).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    a.id,
                    a.username,
                    a.home_region,
                    roost_api::wire::datetime(a.created_at)
                );
            }
            Ok(())
        }
    };
    store.close().await;
    result
}
