//! The region's keys: its signing key (generated on first start, kept in the data dir,
//! readable by the owner only; it signs ledger tree heads and inter-region requests), and
//! the keyring of key-encryption keys that wrap each account's data key.

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::SigningKey;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot access key file {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("key file {path} is not a valid Ed25519 PKCS#8 key")]
    Invalid { path: PathBuf },
}

pub struct RegionKeys {
    pub signing: SigningKey,
}

impl RegionKeys {
    pub fn public_pem(&self) -> String {
        self.signing
            .verifying_key()
            .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .unwrap_or_default()
    }
}

/// The key private media URLs are signed with, derived from the region key (so every
/// node of the region signs alike and a key rotation voids old links).
pub fn media_url_signer(keys: &RegionKeys) -> roost_core::media::UrlSigner {
    roost_core::media::UrlSigner::derive(&keys.signing.to_bytes())
}

/// Loads `keys/region.ed25519.pem` under `data_dir`, creating it on first start.
pub fn load_or_create(data_dir: &Path) -> Result<RegionKeys, KeyError> {
    let dir = data_dir.join("keys");
    let path = dir.join("region.ed25519.pem");
    let io = |source| KeyError::Io {
        path: path.clone(),
        source,
    };
    if path.exists() {
        let pem = std::fs::read_to_string(&path).map_err(io)?;
        let signing = SigningKey::from_pkcs8_pem(&pem)
            .map_err(|_| KeyError::Invalid { path: path.clone() })?;
        return Ok(RegionKeys { signing });
    }
    create_private_dir(&dir).map_err(io)?;
    let signing = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = signing
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|_| KeyError::Invalid { path: path.clone() })?;
    write_private(&path, pem.as_bytes()).map_err(io)?;
    Ok(RegionKeys { signing })
}

/// Creates a folder only its owner can enter; an existing folder is left as it is.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes a file only its owner can read, atomically (temp file + rename).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The keyring the config names: the current KEK (a file, made in the data dir on first
/// start when none is configured, or a PKCS#11 token) and earlier KEK files.
pub fn keyring(
    cfg: &crate::config::Config,
) -> Result<std::sync::Arc<roost_residency::Keyring>, roost_residency::KeyError> {
    use roost_residency::keys::{FileKek, Kek, Pkcs11Kek};
    use std::sync::Arc;
    let current: Arc<dyn Kek> = match &cfg.kek {
        crate::config::KekSource::DataDir => {
            let dir = cfg.data_dir.join("keys");
            create_private_dir(&dir).map_err(|e| roost_residency::KeyError::KekFile {
                path: dir.clone(),
                reason: e.to_string(),
            })?;
            Arc::new(FileKek::load_or_create(&dir.join("kek.key"))?)
        }
        crate::config::KekSource::File(path) => Arc::new(FileKek::load(path)?),
        crate::config::KekSource::Pkcs11(p) => Arc::new(Pkcs11Kek::open(p)?),
    };
    let mut older: Vec<Arc<dyn Kek>> = Vec::new();
    for path in &cfg.kek_previous {
        older.push(Arc::new(FileKek::load(path)?));
    }
    Ok(Arc::new(roost_residency::Keyring::new(current, older)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create(dir.path()).unwrap();
        let b = load_or_create(dir.path()).unwrap();
        assert_eq!(a.signing.to_bytes(), b.signing.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("keys/region.ed25519.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let dmode = std::fs::metadata(dir.path().join("keys"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dmode & 0o777, 0o700);
        }
        assert!(a.public_pem().contains("PUBLIC KEY"));
    }
}
