//! Keys a region holds: one data key per account, wrapped by the region's key-encryption
//! key (KEK), and the sealing of each account's content and personal fields with it.
//!
//! - A **data key** (AES-256-GCM, RustCrypto's `aes-gcm`) seals one account's fields. The
//!   store keeps it only wrapped; deleting that one row makes every sealed copy of the
//!   account's data unreadable, in the database's free pages, its WAL, and every backup
//!   (backups never carry the wrapped keys): crypto-shredding.
//! - The **KEK** wraps data keys and never leaves its holder: a key file ([`FileKek`], the
//!   default) or a PKCS#11 token ([`Pkcs11Kek`]: an HSM, a cloud KMS's PKCS#11 library,
//!   SoftHSM2), where the key is generated non-extractable and wrapping runs inside the token.
//! - **Rotation**: the [`Keyring`] unwraps with its current KEK or any older one it was
//!   given, and [`Keyring::rewrap`] re-wraps a data key under the current KEK without
//!   touching the content it seals.
//!
//! Sealed text is `"\u{1}k1:" + base64(nonce ‖ ciphertext ‖ tag)`, so it fits the same
//! TEXT columns on SQLite and PostgreSQL. The empty string stays empty: queries test
//! fields for emptiness, and an empty field holds nothing to hide. Text without the prefix
//! is read as it is (rows written before sealing existed).

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use zeroize::Zeroizing;

/// What every sealed value starts with: a control character no client text starts with,
/// then the format's version.
pub const SEALED_PREFIX: &str = "\u{1}k1:";
const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;
/// Past this many unwrapped keys in memory, the cache starts over (each entry is 32 bytes
/// plus the map's overhead; a miss costs one row read and one unwrap).
const CACHE_CAP: usize = 262_144;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key-encryption key file {path}: {reason}")]
    KekFile { path: PathBuf, reason: String },
    #[error("PKCS#11: {0}")]
    Pkcs11(String),
    #[error("a data key is wrapped by key-encryption key {0:?}, which this region is not configured with")]
    UnknownKek(String),
    #[error("a data key could not be unwrapped (another key-encryption key, or the wrapped key was altered)")]
    Unwrap,
    #[error("a sealed value could not be opened (altered, or sealed under another data key)")]
    Open,
}

/// A key-encryption key: wraps and unwraps data keys, wherever it is held.
pub trait Kek: Send + Sync + fmt::Debug {
    /// Names the key in each wrapped data key's row, so the keyring knows which KEK
    /// unwraps it (and rotation knows what is left to re-wrap). Never secret.
    fn id(&self) -> &str;
    fn wrap(&self, key: &[u8; KEY_LEN], aad: &[u8]) -> Result<Vec<u8>, KeyError>;
    fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError>;
}

/// A KEK read from a file of 64 hex digits (32 bytes).
pub struct FileKek {
    id: String,
    cipher: Aes256Gcm,
}

impl fmt::Debug for FileKek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileKek").field("id", &self.id).finish()
    }
}

impl FileKek {
    /// Reads the key at `path`.
    pub fn load(path: &Path) -> Result<FileKek, KeyError> {
        let err = |reason: String| KeyError::KekFile {
            path: path.to_owned(),
            reason,
        };
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?);
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        hex::decode_to_slice(text.trim(), &mut key[..])
            .map_err(|_| err("must hold 64 hex digits (a 256-bit key)".into()))?;
        Ok(FileKek::from_bytes(&key))
    }

    /// Writes a new random key to `path` (readable by its owner only) and returns it.
    /// Refuses to replace an existing file: that would shred the whole region.
    pub fn create(path: &Path) -> Result<FileKek, KeyError> {
        let err = |reason: String| KeyError::KekFile {
            path: path.to_owned(),
            reason,
        };
        let key = Aes256Gcm::generate_key(OsRng);
        let text = Zeroizing::new(hex::encode(key.as_slice()) + "\n");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut file = opts.open(path).map_err(|e| err(e.to_string()))?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| err(e.to_string()))?;
        file.sync_all().map_err(|e| err(e.to_string()))?;
        let bytes: [u8; KEY_LEN] = key.into();
        Ok(FileKek::from_bytes(&Zeroizing::new(bytes)))
    }

    /// The key at `path`, created there first if there is no file.
    pub fn load_or_create(path: &Path) -> Result<FileKek, KeyError> {
        if path.exists() {
            FileKek::load(path)
        } else {
            FileKek::create(path)
        }
    }

    fn from_bytes(key: &[u8; KEY_LEN]) -> FileKek {
        // The ID is a hash of the key, so two files holding the same key agree.
        let digest = Sha256::digest([b"roost kek id\0".as_slice(), key].concat());
        FileKek {
            id: format!("file:{}", hex::encode(&digest[..8])),
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
        }
    }

    /// A random key that lives in memory only (tests, and stores opened for copying).
    pub fn ephemeral() -> FileKek {
        let key: [u8; KEY_LEN] = Aes256Gcm::generate_key(OsRng).into();
        FileKek::from_bytes(&Zeroizing::new(key))
    }
}

impl Kek for FileKek {
    fn id(&self) -> &str {
        &self.id
    }
    fn wrap(&self, key: &[u8; KEY_LEN], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        Ok(seal_bytes(&self.cipher, key, aad))
    }
    fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
        let plain = Zeroizing::new(open_bytes(&self.cipher, wrapped, aad).ok_or(KeyError::Unwrap)?);
        to_key(&plain)
    }
}

/// Where a PKCS#11 KEK is found: the module (the vendor's `.so`), the token's label, the
/// user PIN and the label of the AES key object on the token.
#[derive(Clone)]
pub struct Pkcs11Config {
    pub module: PathBuf,
    pub token: String,
    pub pin: Zeroizing<String>,
    pub key_label: String,
}

impl fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module", &self.module)
            .field("token", &self.token)
            .field("key_label", &self.key_label)
            .finish_non_exhaustive()
    }
}

/// A KEK held in a PKCS#11 token: wrapping is AES-GCM run by the token (`C_Encrypt`), so
/// the key itself never reaches this process.
pub struct Pkcs11Kek {
    id: String,
    // One session, used by one caller at a time (a session is not for concurrent use).
    session: Mutex<cryptoki::session::Session>,
    key: cryptoki::object::ObjectHandle,
    // Kept alive for as long as the session: dropping it finalizes the library.
    _context: cryptoki::context::Pkcs11,
}

impl fmt::Debug for Pkcs11Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Kek").field("id", &self.id).finish()
    }
}

fn p11(e: impl fmt::Display) -> KeyError {
    KeyError::Pkcs11(e.to_string())
}

impl Pkcs11Kek {
    /// Logs in to the token and finds the key by its label.
    pub fn open(cfg: &Pkcs11Config) -> Result<Pkcs11Kek, KeyError> {
        let (context, session) = Pkcs11Kek::session(cfg)?;
        let found = session
            .find_objects(&Pkcs11Kek::template(cfg))
            .map_err(p11)?;
        let key = match found.as_slice() {
            [one] => *one,
            [] => {
                return Err(KeyError::Pkcs11(format!(
                    "no secret key labelled {:?} on token {:?}",
                    cfg.key_label, cfg.token
                )))
            }
            _ => {
                return Err(KeyError::Pkcs11(format!(
                    "{} keys labelled {:?} on token {:?}: the label must name one",
                    found.len(),
                    cfg.key_label,
                    cfg.token
                )))
            }
        };
        Ok(Pkcs11Kek {
            id: format!("pkcs11:{}/{}", cfg.token, cfg.key_label),
            session: Mutex::new(session),
            key,
            _context: context,
        })
    }

    /// Generates the AES-256 key on the token: kept on the token, sensitive and not
    /// extractable, usable for encryption and decryption only. Refuses when the label is
    /// taken.
    pub fn generate(cfg: &Pkcs11Config) -> Result<Pkcs11Kek, KeyError> {
        use cryptoki::mechanism::Mechanism;
        use cryptoki::object::Attribute;
        {
            let (_context, session) = Pkcs11Kek::session(cfg)?;
            if !session
                .find_objects(&Pkcs11Kek::template(cfg))
                .map_err(p11)?
                .is_empty()
            {
                return Err(KeyError::Pkcs11(format!(
                    "token {:?} already holds a key labelled {:?}",
                    cfg.token, cfg.key_label
                )));
            }
            let template = [
                Attribute::Class(cryptoki::object::ObjectClass::SECRET_KEY),
                Attribute::KeyType(cryptoki::object::KeyType::AES),
                Attribute::ValueLen((KEY_LEN as u64).into()),
                Attribute::Label(cfg.key_label.as_bytes().to_vec()),
                Attribute::Token(true),
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Encrypt(true),
                Attribute::Decrypt(true),
            ];
            session
                .generate_key(&Mechanism::AesKeyGen, &template)
                .map_err(p11)?;
        }
        Pkcs11Kek::open(cfg)
    }

    fn template(cfg: &Pkcs11Config) -> Vec<cryptoki::object::Attribute> {
        use cryptoki::object::Attribute;
        vec![
            Attribute::Class(cryptoki::object::ObjectClass::SECRET_KEY),
            Attribute::Label(cfg.key_label.as_bytes().to_vec()),
        ]
    }

    /// The module's context, loaded and initialized once per process (a second
    /// `C_Initialize` fails, and finalizing would end every other user's sessions).
    fn context(module: &Path) -> Result<cryptoki::context::Pkcs11, KeyError> {
        use cryptoki::context::{CInitializeArgs, Pkcs11};
        static CONTEXTS: std::sync::OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> =
            std::sync::OnceLock::new();
        let mut contexts = CONTEXTS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(c) = contexts.get(module) {
            return Ok(c.clone());
        }
        let context = Pkcs11::new(module)
            .map_err(|e| KeyError::Pkcs11(format!("{}: {e}", module.display())))?;
        context
            .initialize(CInitializeArgs::OsThreads)
            .map_err(p11)?;
        contexts.insert(module.to_owned(), context.clone());
        Ok(context)
    }

    fn session(
        cfg: &Pkcs11Config,
    ) -> Result<(cryptoki::context::Pkcs11, cryptoki::session::Session), KeyError> {
        let context = Pkcs11Kek::context(&cfg.module)?;
        let mut slot = None;
        for s in context.get_slots_with_token().map_err(p11)? {
            if context.get_token_info(s).map_err(p11)?.label() == cfg.token {
                slot = Some(s);
                break;
            }
        }
        let slot =
            slot.ok_or_else(|| KeyError::Pkcs11(format!("no token labelled {:?}", cfg.token)))?;
        let session = context.open_rw_session(slot).map_err(p11)?;
        let pin = cryptoki::types::AuthPin::new(cfg.pin.as_str().into());
        match session.login(cryptoki::session::UserType::User, Some(&pin)) {
            // Another session of this process logged in to the token already.
            Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::UserAlreadyLoggedIn,
                _,
            )) => {}
            other => other.map_err(p11)?,
        }
        Ok((context, session))
    }
}

impl Kek for Pkcs11Kek {
    fn id(&self) -> &str {
        &self.id
    }

    fn wrap(&self, key: &[u8; KEY_LEN], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        use cryptoki::mechanism::{aead::GcmParams, Mechanism};
        // Our nonce, not the token's: tokens differ in whether they make one up.
        let mut iv: [u8; NONCE_LEN] = Aes256Gcm::generate_nonce(&mut OsRng).into();
        let params = GcmParams::new(&mut iv, aad, 128.into()).map_err(p11)?;
        let session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let sealed = session
            .encrypt(&Mechanism::AesGcm(params), self.key, key)
            .map_err(p11)?;
        drop(session);
        Ok([iv.as_slice(), &sealed].concat())
    }

    fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
        use cryptoki::mechanism::{aead::GcmParams, Mechanism};
        if wrapped.len() <= NONCE_LEN {
            return Err(KeyError::Unwrap);
        }
        let mut iv = [0u8; NONCE_LEN];
        iv.copy_from_slice(&wrapped[..NONCE_LEN]);
        let params = GcmParams::new(&mut iv, aad, 128.into()).map_err(p11)?;
        let session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let plain = Zeroizing::new(
            session
                .decrypt(&Mechanism::AesGcm(params), self.key, &wrapped[NONCE_LEN..])
                .map_err(|_| KeyError::Unwrap)?,
        );
        to_key(&plain)
    }
}

/// One account's data key, unwrapped.
#[derive(Clone)]
pub struct DataKey {
    cipher: Aes256Gcm,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    fn from_bytes(key: &[u8; KEY_LEN]) -> DataKey {
        DataKey {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
        }
    }

    /// Seals `plain` for storage; the empty string stays empty.
    pub fn seal(&self, plain: &str) -> String {
        if plain.is_empty() {
            return String::new();
        }
        let bytes = seal_bytes(&self.cipher, plain.as_bytes(), SEALED_PREFIX.as_bytes());
        let mut out = String::with_capacity(SEALED_PREFIX.len() + bytes.len() * 4 / 3 + 4);
        out.push_str(SEALED_PREFIX);
        base64::engine::general_purpose::STANDARD_NO_PAD.encode_string(&bytes, &mut out);
        out
    }

    /// Opens what [`DataKey::seal`] stored. Text that was never sealed is returned as is.
    pub fn open(&self, stored: &str) -> Result<String, KeyError> {
        let Some(body) = stored.strip_prefix(SEALED_PREFIX) else {
            return Ok(stored.to_owned());
        };
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(body)
            .map_err(|_| KeyError::Open)?;
        let plain =
            open_bytes(&self.cipher, &bytes, SEALED_PREFIX.as_bytes()).ok_or(KeyError::Open)?;
        String::from_utf8(plain).map_err(|_| KeyError::Open)
    }
}

impl DataKey {
    /// Seals bytes (a media file in a backup) with this key; `aad` names what they are.
    pub fn seal_bytes(&self, plain: &[u8], aad: &[u8]) -> Vec<u8> {
        seal_bytes(&self.cipher, plain, aad)
    }

    /// Opens what [`DataKey::seal_bytes`] sealed with the same `aad`.
    pub fn open_bytes(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        open_bytes(&self.cipher, sealed, aad).ok_or(KeyError::Open)
    }
}

/// Whether a stored value is sealed (needs its account's data key to be read).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// A data key as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    pub kek_id: String,
    pub bytes: Vec<u8>,
}

/// The region's KEKs (the current one first) and the data keys unwrapped so far.
pub struct Keyring {
    current: Arc<dyn Kek>,
    older: Vec<Arc<dyn Kek>>,
    cache: RwLock<HashMap<i64, Arc<DataKey>>>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id())
            .field(
                "older",
                &self.older.iter().map(|k| k.id()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Binds a wrapped data key to its account, so a wrapped key copied into another
/// account's row does not unwrap.
fn wrap_aad(owner: i64) -> Vec<u8> {
    format!("roost data key\0{owner}").into_bytes()
}

impl Keyring {
    pub fn new(current: Arc<dyn Kek>, older: Vec<Arc<dyn Kek>>) -> Keyring {
        Keyring {
            current,
            older,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// A keyring with a random in-memory KEK: for tests and for stores opened only to
    /// copy rows, never for a region's content (it is gone when the process ends).
    pub fn ephemeral() -> Keyring {
        Keyring::new(Arc::new(FileKek::ephemeral()), Vec::new())
    }

    /// The KEK new data keys are wrapped with.
    pub fn current_kek(&self) -> &str {
        self.current.id()
    }

    /// Every KEK this keyring can unwrap with, the current one first.
    pub fn kek_ids(&self) -> Vec<&str> {
        std::iter::once(self.current.id())
            .chain(self.older.iter().map(|k| k.id()))
            .collect()
    }

    /// The data key of `owner` if it was unwrapped before.
    pub fn cached(&self, owner: i64) -> Option<Arc<DataKey>> {
        self.cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&owner)
            .cloned()
    }

    fn remember(&self, owner: i64, key: DataKey) -> Arc<DataKey> {
        let key = Arc::new(key);
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_CAP {
            cache.clear();
        }
        cache.insert(owner, key.clone());
        key
    }

    /// A new data key for `owner`, and its wrapped form for the store to keep.
    pub fn new_key(&self, owner: i64) -> Result<(Arc<DataKey>, WrappedKey), KeyError> {
        let raw = Zeroizing::new(<[u8; KEY_LEN]>::from(Aes256Gcm::generate_key(OsRng)));
        let wrapped = WrappedKey {
            kek_id: self.current.id().to_owned(),
            bytes: self.current.wrap(&raw, &wrap_aad(owner))?,
        };
        Ok((self.remember(owner, DataKey::from_bytes(&raw)), wrapped))
    }

    fn kek(&self, id: &str) -> Result<&Arc<dyn Kek>, KeyError> {
        std::iter::once(&self.current)
            .chain(self.older.iter())
            .find(|k| k.id() == id)
            .ok_or_else(|| KeyError::UnknownKek(id.to_owned()))
    }

    /// Unwraps the data key the store keeps for `owner` (and caches it).
    pub fn unwrap(&self, owner: i64, wrapped: &WrappedKey) -> Result<Arc<DataKey>, KeyError> {
        if let Some(key) = self.cached(owner) {
            return Ok(key);
        }
        let raw = self
            .kek(&wrapped.kek_id)?
            .unwrap(&wrapped.bytes, &wrap_aad(owner))?;
        Ok(self.remember(owner, DataKey::from_bytes(&raw)))
    }

    /// The same data key wrapped by the current KEK, or `None` when it already is.
    pub fn rewrap(&self, owner: i64, wrapped: &WrappedKey) -> Result<Option<WrappedKey>, KeyError> {
        if wrapped.kek_id == self.current.id() {
            return Ok(None);
        }
        let aad = wrap_aad(owner);
        let raw = self.kek(&wrapped.kek_id)?.unwrap(&wrapped.bytes, &aad)?;
        Ok(Some(WrappedKey {
            kek_id: self.current.id().to_owned(),
            bytes: self.current.wrap(&raw, &aad)?,
        }))
    }

    /// Wraps a key that seals something other than an account's fields (a backup file's
    /// key) under the current KEK; `aad` binds it to what it seals.
    pub fn wrap_key(&self, key: &[u8; KEY_LEN], aad: &[u8]) -> Result<WrappedKey, KeyError> {
        Ok(WrappedKey {
            kek_id: self.current.id().to_owned(),
            bytes: self.current.wrap(key, aad)?,
        })
    }

    /// Unwraps what [`Keyring::wrap_key`] wrapped, with whichever KEK it names.
    pub fn unwrap_key(
        &self,
        wrapped: &WrappedKey,
        aad: &[u8],
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
        self.kek(&wrapped.kek_id)?.unwrap(&wrapped.bytes, aad)
    }

    /// Drops `owner`'s key from memory (its row was deleted: the account is shredded).
    pub fn forget(&self, owner: i64) {
        self.cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&owner);
    }
}

fn seal_bytes(cipher: &Aes256Gcm, plain: &[u8], aad: &[u8]) -> Vec<u8> {
    // A random 96-bit nonce per value: with far fewer than 2^32 values per key, repeats
    // are out of reach.
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let sealed = cipher
        .encrypt(&nonce, Payload { msg: plain, aad })
        .expect("AES-GCM encryption of an in-memory buffer does not fail");
    [nonce.as_slice(), &sealed].concat()
}

fn open_bytes(cipher: &Aes256Gcm, bytes: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    if bytes.len() < NONCE_LEN {
        return None;
    }
    let (nonce, body) = bytes.split_at(NONCE_LEN);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
        .ok()
}

fn to_key(plain: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if plain.len() != KEY_LEN {
        return Err(KeyError::Unwrap);
    }
    key.copy_from_slice(plain);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_opens_only_with_its_key_and_hides_the_text() {
        let ring = Keyring::ephemeral();
        let (key, _) = ring.new_key(7).unwrap();
        let sealed = key.seal("a secret marker");
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("secret"));
        assert_eq!(key.open(&sealed).unwrap(), "a secret marker");
        // Two seals of one text differ (fresh nonces).
        assert_ne!(key.seal("a secret marker"), sealed);
        let (other, _) = ring.new_key(8).unwrap();
        assert!(matches!(other.open(&sealed), Err(KeyError::Open)));
        // One flipped character is caught.
        let mut bad = sealed.clone().into_bytes();
        let last = bad.len() - 2;
        bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
        assert!(key.open(&String::from_utf8(bad).unwrap()).is_err());
        // Empty stays empty; unsealed text reads as it is.
        assert_eq!(key.seal(""), "");
        assert_eq!(key.open("plain old text").unwrap(), "plain old text");
    }

    #[test]
    fn a_wrapped_key_unwraps_for_its_account_only_and_survives_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let old_path = dir.path().join("old.key");
        let old: Arc<dyn Kek> = Arc::new(FileKek::create(&old_path).unwrap());
        assert!(
            FileKek::create(&old_path).is_err(),
            "an existing KEK file is never replaced"
        );
        let ring = Keyring::new(old.clone(), vec![]);
        let (key, wrapped) = ring.new_key(42).unwrap();
        let sealed = key.seal("before rotation");

        // A fresh process with the same file unwraps it; account 43 cannot use it.
        let again = Keyring::new(Arc::new(FileKek::load(&old_path).unwrap()), vec![]);
        assert_eq!(again.kek_ids(), vec![old.id()]);
        assert!(matches!(again.unwrap(43, &wrapped), Err(KeyError::Unwrap)));
        let k = again.unwrap(42, &wrapped).unwrap();
        assert_eq!(k.open(&sealed).unwrap(), "before rotation");

        // Rotation: a new current KEK, the old one kept for unwrapping only.
        let new: Arc<dyn Kek> = Arc::new(FileKek::create(&dir.path().join("new.key")).unwrap());
        let rotating = Keyring::new(new.clone(), vec![old.clone()]);
        let rewrapped = rotating.rewrap(42, &wrapped).unwrap().expect("rewrapped");
        assert_eq!(rewrapped.kek_id, new.id());
        assert!(rotating.rewrap(42, &rewrapped).unwrap().is_none());
        // Without the old KEK the rewrapped key still opens the old content.
        let after = Keyring::new(new, vec![]);
        assert!(matches!(
            after.unwrap(42, &wrapped),
            Err(KeyError::UnknownKek(_))
        ));
        let k = after.unwrap(42, &rewrapped).unwrap();
        assert_eq!(k.open(&sealed).unwrap(), "before rotation");
    }

    #[test]
    fn a_kek_file_must_hold_a_256_bit_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, "abcd").unwrap();
        let e = FileKek::load(&path).unwrap_err().to_string();
        assert!(e.contains("64 hex digits"), "{e}");
    }
}
