//! `roost admin keys status|rewrap|new-kek`: the region's key-encryption keys.
//!
//! Rotation: `new-kek --file NEW` writes a key (or `--pkcs11` makes one on the configured
//! token); the region is then configured with the new KEK as current and the old file in
//! `kek_previous_files`; `rewrap` re-wraps every data key under the new KEK (the content
//! they seal is not touched, and running nodes keep their unwrapped keys); once `status`
//! shows no key under the old KEK, it can be dropped from the config and destroyed.

use crate::config::{Config, KekSource};
use anyhow::Context;
use clap::Subcommand;
use roost_store::RegionStore;
use std::path::PathBuf;

#[derive(Subcommand, Debug, Clone)]
pub enum KeysTask {
    /// How many data keys each key-encryption key wraps, and whether this config holds it.
    Status,
    /// Re-wrap every data key under the current key-encryption key.
    Rewrap,
    /// Make a new key-encryption key: a file of 64 hex digits (never overwritten), or with
    /// `--pkcs11` a non-extractable AES-256 key on the token the kek_pkcs11_* settings name.
    NewKek {
        #[arg(long, required_unless_present = "pkcs11")]
        file: Option<PathBuf>,
        #[arg(long, conflicts_with = "file")]
        pkcs11: bool,
    },
}

/// Tasks that need no store (`new-kek`); `None` when the task needs one.
pub fn run_without_store(cfg: &Config, task: &KeysTask) -> Option<anyhow::Result<String>> {
    let KeysTask::NewKek { file, pkcs11 } = task else {
        return None;
    };
    Some(new_kek(cfg, file.as_deref(), *pkcs11))
}

fn new_kek(cfg: &Config, file: Option<&std::path::Path>, pkcs11: bool) -> anyhow::Result<String> {
    use roost_residency::keys::{FileKek, Kek, Pkcs11Kek};
    if pkcs11 {
        let KekSource::Pkcs11(p) = &cfg.kek else {
            anyhow::bail!("--pkcs11 needs kek_pkcs11_module, _token, _key and _pin in the config");
        };
        let kek = Pkcs11Kek::generate(p).context("making the key on the token")?;
        return Ok(format!("made {} (not extractable)", kek.id()));
    }
    let path = file.context("--file is required")?;
    let kek = FileKek::create(path).with_context(|| format!("writing {}", path.display()))?;
    Ok(format!("wrote {} to {}", kek.id(), path.display()))
}

/// Tasks on the store.
pub async fn run(
    store: &RegionStore,
    keys: &roost_residency::Keyring,
    task: KeysTask,
) -> anyhow::Result<String> {
    match task {
        KeysTask::Status => status(store, keys).await,
        KeysTask::Rewrap => {
            let n = store
                .rewrap_keys()
                .await
                .context("re-wrapping the data keys")?;
            Ok(format!(
                "re-wrapped {n} data key(s) under {}\n{}",
                keys.current_kek(),
                status(store, keys).await?
            ))
        }
        KeysTask::NewKek { .. } => Ok(String::new()),
    }
}

async fn status(store: &RegionStore, keys: &roost_residency::Keyring) -> anyhow::Result<String> {
    let in_use = store.keks_in_use().await.context("reading the data keys")?;
    let known = keys.kek_ids();
    let mut out = format!("current key-encryption key: {}\n", keys.current_kek());
    if in_use.is_empty() {
        out.push_str("no data keys yet\n");
    }
    for u in in_use {
        let role = if u.kek_id == keys.current_kek() {
            "current"
        } else if known.contains(&u.kek_id.as_str()) {
            "previous (run `rewrap`)"
        } else {
            "NOT CONFIGURED: these accounts cannot be read"
        };
        out.push_str(&format!(
            "{:<40} {:>8} data key(s)  {role}\n",
            u.kek_id, u.keys
        ));
    }
    Ok(out.trim_end().to_string())
}
