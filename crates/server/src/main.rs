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
    /// Operator tasks on this region's data (the server may be running).
    Admin {
        #[command(flatten)]
        settings: Settings,
        #[command(subcommand)]
        task: AdminTask,
    },
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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn")
            }),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(settings) => serve(Config::load(cli.config.as_deref(), settings)?).await,
        Command::Admin { settings, task } => {
            admin(Config::load(cli.config.as_deref(), settings)?, task).await
        }
    }
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

async fn admin(cfg: Config, task: AdminTask) -> anyhow::Result<()> {
    let store = roost_server::open_store(&cfg)
        .await
        .context("opening the database")?;
    let rcfg = roost_server::roost_config(&cfg, cfg.listen);
    let roost = roost_core::Roost::new(std::sync::Arc::new(store.clone()), rcfg);
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
