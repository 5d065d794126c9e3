//! A sealed file: a stream of any length encrypted with a key of its own (AES-256-GCM), that
//! key wrapped by the region's KEK through the [`Keyring`]. Backups are written in it.
//!
//! Layout: `ROOSTSF1`, a 4-byte big-endian header length, the header (JSON: format, kind,
//! region, time, KEK ID, the wrapped file key, chunk size), then chunks, each a 4-byte
//! length and `ciphertext ‖ tag` of at most `chunk_size` bytes of plain text. Chunk `n`'s
//! nonce is `n` (the key seals one file only) and its associated data the header's SHA-256,
//! `n` and whether it is the last chunk. So a changed header, a changed, dropped, swapped
//! or repeated chunk, a file cut short (no last chunk) and bytes after the last chunk are
//! all refused, and the stream is read and written a chunk at a time.

use crate::keys::{KeyError, Keyring, WrappedKey};
use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};
use zeroize::Zeroizing;

pub const MAGIC: &[u8; 8] = b"ROOSTSF1";
/// The format this code writes and reads.
pub const FORMAT: u32 = 1;
/// Plain text per chunk: large enough that the 20 bytes of framing do not matter, small
/// enough to hold in memory.
pub const CHUNK_SIZE: u32 = 1 << 20;
const TAG_LEN: usize = 16;
const MAX_HEADER: u32 = 64 * 1024;

/// What a sealed file says of itself, readable without the KEK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedHeader {
    pub format: u32,
    /// What the plain text is, e.g. `roost-backup-sqlite`.
    pub kind: String,
    /// The region whose KEK wraps the file key.
    pub region: String,
    pub created_at_ms: i64,
    pub kek_id: String,
    /// Standard base64 of the wrapped file key.
    pub wrapped_key: String,
    pub chunk_size: u32,
}

impl SealedHeader {
    /// Binds the wrapped key to the file it opens.
    fn key_aad(&self) -> Vec<u8> {
        format!(
            "roost sealed file\0{}\0{}\0{}",
            self.kind, self.region, self.created_at_ms
        )
        .into_bytes()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SealedFileError {
    #[error("not a sealed roost file")]
    NotSealed,
    #[error("sealed file format {0} is not one this roost reads (it reads {FORMAT})")]
    Format(u32),
    #[error("the sealed file's header is not valid: {0}")]
    Header(String),
    #[error("the sealed file's key does not open with this region's key-encryption keys: {0}")]
    Key(#[source] KeyError),
    #[error("the sealed file was altered (chunk {0} does not authenticate)")]
    Altered(u64),
    #[error("the sealed file is cut short (it ends before its last chunk)")]
    Truncated,
    #[error("the sealed file has bytes after its last chunk")]
    TrailingData,
}

impl From<SealedFileError> for io::Error {
    fn from(e: SealedFileError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

fn nonce(n: u64) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[4..].copy_from_slice(&n.to_be_bytes());
    out
}

fn chunk_aad(header_digest: &[u8; 32], n: u64, last: bool) -> [u8; 41] {
    let mut out = [0u8; 41];
    out[..32].copy_from_slice(header_digest);
    out[32..40].copy_from_slice(&n.to_be_bytes());
    out[40] = u8::from(last);
    out
}

/// Writes a sealed file; call [`SealedWriter::finish`] at the end (a file without its last
/// chunk reads as cut short).
pub struct SealedWriter<W: Write> {
    inner: W,
    cipher: Aes256Gcm,
    digest: [u8; 32],
    buf: Vec<u8>,
    chunk_size: usize,
    next: u64,
}

impl<W: Write> SealedWriter<W> {
    /// Writes the header with a fresh file key wrapped by the keyring's current KEK.
    pub fn new(
        mut inner: W,
        keys: &Keyring,
        kind: &str,
        region: &str,
        created_at_ms: i64,
    ) -> Result<(SealedWriter<W>, SealedHeader), SealedFileError> {
        let raw = Zeroizing::new(<[u8; 32]>::from(Aes256Gcm::generate_key(OsRng)));
        let mut header = SealedHeader {
            format: FORMAT,
            kind: kind.to_owned(),
            region: region.to_owned(),
            created_at_ms,
            kek_id: String::new(),
            wrapped_key: String::new(),
            chunk_size: CHUNK_SIZE,
        };
        let wrapped = keys
            .wrap_key(&raw, &header.key_aad())
            .map_err(SealedFileError::Key)?;
        header.kek_id = wrapped.kek_id;
        header.wrapped_key = base64::engine::general_purpose::STANDARD.encode(&wrapped.bytes);
        let json = serde_json::to_vec(&header).expect("a header serialises");
        let len = u32::try_from(json.len()).expect("a header is small");
        let io = |e: io::Error| SealedFileError::Header(e.to_string());
        inner.write_all(MAGIC).map_err(io)?;
        inner.write_all(&len.to_be_bytes()).map_err(io)?;
        inner.write_all(&json).map_err(io)?;
        let writer = SealedWriter {
            inner,
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&raw[..])),
            digest: Sha256::digest(&json).into(),
            buf: Vec::with_capacity(CHUNK_SIZE as usize),
            chunk_size: CHUNK_SIZE as usize,
            next: 0,
        };
        Ok((writer, header))
    }

    fn emit(&mut self, last: bool) -> io::Result<()> {
        let aad = chunk_aad(&self.digest, self.next, last);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce(self.next)),
                Payload {
                    msg: &self.buf,
                    aad: &aad,
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer does not fail");
        let len = u32::try_from(sealed.len()).expect("a chunk is small");
        self.inner.write_all(&len.to_be_bytes())?;
        self.inner.write_all(&sealed)?;
        self.buf.clear();
        self.next += 1;
        Ok(())
    }

    /// Writes the last chunk and hands back the inner writer (flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.emit(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for SealedWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = self.chunk_size - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == self.chunk_size {
            self.emit(false)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads the header of a sealed file (no key needed), leaving `inner` at the first chunk.
pub fn read_header(inner: &mut impl Read) -> Result<(SealedHeader, [u8; 32]), SealedFileError> {
    let mut magic = [0u8; 8];
    if inner.read_exact(&mut magic).is_err() || &magic != MAGIC {
        return Err(SealedFileError::NotSealed);
    }
    let mut len = [0u8; 4];
    inner
        .read_exact(&mut len)
        .map_err(|_| SealedFileError::Truncated)?;
    let len = u32::from_be_bytes(len);
    if len > MAX_HEADER {
        return Err(SealedFileError::Header(format!("{len} bytes long")));
    }
    let mut json = vec![0u8; len as usize];
    inner
        .read_exact(&mut json)
        .map_err(|_| SealedFileError::Truncated)?;
    // The format first, so a newer file says so rather than failing to parse.
    let format = serde_json::from_slice::<serde_json::Value>(&json)
        .ok()
        .and_then(|v| v.get("format").and_then(|f| f.as_u64()));
    if let Some(f) = format.filter(|f| *f != u64::from(FORMAT)) {
        return Err(SealedFileError::Format(f as u32));
    }
    let header: SealedHeader =
        serde_json::from_slice(&json).map_err(|e| SealedFileError::Header(e.to_string()))?;
    if header.chunk_size == 0 || header.chunk_size > 64 * CHUNK_SIZE {
        return Err(SealedFileError::Header(format!(
            "chunk size {}",
            header.chunk_size
        )));
    }
    Ok((header, Sha256::digest(&json).into()))
}

/// Reads a sealed file's plain text; every chunk is authenticated before any of its bytes
/// are given out, and the end is checked (see the module doc).
pub struct SealedReader<R: Read> {
    inner: R,
    cipher: Aes256Gcm,
    digest: [u8; 32],
    header: SealedHeader,
    plain: Vec<u8>,
    pos: usize,
    next: u64,
    done: bool,
}

impl<R: Read> SealedReader<R> {
    /// Reads the header and unwraps the file key with `keys`.
    pub fn open(mut inner: R, keys: &Keyring) -> Result<SealedReader<R>, SealedFileError> {
        let (header, digest) = read_header(&mut inner)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&header.wrapped_key)
            .map_err(|_| SealedFileError::Header("wrapped_key is not base64".into()))?;
        let raw = keys
            .unwrap_key(
                &WrappedKey {
                    kek_id: header.kek_id.clone(),
                    bytes,
                },
                &header.key_aad(),
            )
            .map_err(SealedFileError::Key)?;
        Ok(SealedReader {
            inner,
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&raw[..])),
            digest,
            header,
            plain: Vec::new(),
            pos: 0,
            next: 0,
            done: false,
        })
    }

    pub fn header(&self) -> &SealedHeader {
        &self.header
    }

    /// Fills `plain` with the next chunk; false at the (checked) end.
    fn next_chunk(&mut self) -> Result<bool, SealedFileError> {
        if self.done {
            return Ok(false);
        }
        let mut len = [0u8; 4];
        read_full(&mut self.inner, &mut len)?;
        let len = u32::from_be_bytes(len) as usize;
        if len < TAG_LEN || len > self.header.chunk_size as usize + TAG_LEN {
            return Err(SealedFileError::Altered(self.next));
        }
        let mut sealed = vec![0u8; len];
        read_full(&mut self.inner, &mut sealed)?;
        let n = self.next;
        let open = |last: bool| {
            self.cipher
                .decrypt(
                    Nonce::from_slice(&nonce(n)),
                    Payload {
                        msg: &sealed,
                        aad: &chunk_aad(&self.digest, n, last),
                    },
                )
                .ok()
        };
        let (plain, last) = match open(false) {
            Some(p) => (p, false),
            None => (open(true).ok_or(SealedFileError::Altered(n))?, true),
        };
        self.plain = plain;
        self.pos = 0;
        self.next += 1;
        if last {
            self.done = true;
            let mut extra = [0u8; 1];
            loop {
                match self.inner.read(&mut extra) {
                    Ok(0) => break,
                    Ok(_) => return Err(SealedFileError::TrailingData),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(SealedFileError::Header(e.to_string())),
                }
            }
        }
        Ok(true)
    }
}

/// `read_exact`, with the end of the file before the last chunk named as such.
fn read_full(inner: &mut impl Read, buf: &mut [u8]) -> Result<(), SealedFileError> {
    inner.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => SealedFileError::Truncated,
        _ => SealedFileError::Header(e.to_string()),
    })
}

impl<R: Read> Read for SealedReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.plain.len() {
            if !self.next_chunk()? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.plain.len() - self.pos);
        out[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The [`SealedFileError`] inside an I/O error from a [`SealedReader`], if that is what
/// it is.
pub fn sealed_error(e: &io::Error) -> Option<&SealedFileError> {
    e.get_ref()
        .and_then(|i| i.downcast_ref::<SealedFileError>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::FileKek;
    use std::sync::Arc;

    fn seal(keys: &Keyring, plain: &[u8], chunk: usize) -> Vec<u8> {
        let (mut w, header) = SealedWriter::new(Vec::new(), keys, "test", "in", 1234).unwrap();
        w.chunk_size = chunk;
        assert_eq!(header.kek_id, keys.current_kek());
        w.write_all(plain).unwrap();
        w.finish().unwrap()
    }

    fn open(keys: &Keyring, file: &[u8]) -> Result<Vec<u8>, SealedFileError> {
        let mut r = SealedReader::open(file, keys)?;
        let mut out = Vec::new();
        r.read_to_end(&mut out)
            .map_err(|e| match sealed_error(&e) {
                Some(SealedFileError::Altered(n)) => SealedFileError::Altered(*n),
                Some(SealedFileError::Truncated) => SealedFileError::Truncated,
                Some(SealedFileError::TrailingData) => SealedFileError::TrailingData,
                _ => SealedFileError::Header(e.to_string()),
            })?;
        Ok(out)
    }

    fn plain() -> Vec<u8> {
        (0..10_000u32)
            .flat_map(|i| format!("row {i} secretmarker\n").into_bytes())
            .collect()
    }

    #[test]
    fn a_sealed_file_reads_back_in_chunks_and_hides_its_text() {
        let keys = Keyring::ephemeral();
        let p = plain();
        for chunk in [1000, 7, p.len(), p.len() + 1] {
            let file = seal(&keys, &p, chunk);
            assert!(!file.windows(12).any(|w| w == b"secretmarker"));
            assert_eq!(open(&keys, &file).unwrap(), p, "chunk {chunk}");
        }
        let empty = seal(&keys, b"", 1000);
        assert_eq!(open(&keys, &empty).unwrap(), b"");
        let (h, _) = read_header(&mut empty.as_slice()).unwrap();
        assert_eq!((h.region.as_str(), h.created_at_ms), ("in", 1234));
    }

    #[test]
    fn another_kek_cannot_open_it_and_an_older_one_still_does() {
        let dir = tempfile::tempdir().unwrap();
        let old: Arc<dyn crate::keys::Kek> =
            Arc::new(FileKek::create(&dir.path().join("old")).unwrap());
        let keys = Keyring::new(old.clone(), vec![]);
        let file = seal(&keys, &plain(), 4096);
        let stranger = Keyring::ephemeral();
        assert!(matches!(
            open(&stranger, &file),
            Err(SealedFileError::Key(KeyError::UnknownKek(_)))
        ));
        // After a rotation the old KEK, kept for unwrapping, still opens it.
        let rotated = Keyring::new(Arc::new(FileKek::ephemeral()), vec![old]);
        assert_eq!(open(&rotated, &file).unwrap(), plain());
    }

    #[test]
    fn a_flipped_byte_a_cut_or_extra_bytes_are_refused() {
        let keys = Keyring::ephemeral();
        let file = seal(&keys, &plain(), 4096);
        let header_end = 12 + u32::from_be_bytes(file[8..12].try_into().unwrap()) as usize;
        // Every region of the file: the header, the first chunk, the middle, the last.
        for at in [20, header_end + 10, file.len() / 2, file.len() - 3] {
            let mut bad = file.clone();
            bad[at] ^= 0x01;
            assert!(
                open(&keys, &bad).is_err(),
                "a flipped byte at {at} was accepted"
            );
        }
        for cut in [
            header_end,
            header_end + 4100,
            file.len() - 1,
            file.len() - 4117,
        ] {
            assert!(
                matches!(
                    open(&keys, &file[..cut]),
                    Err(SealedFileError::Truncated | SealedFileError::Altered(_))
                ),
                "a file cut at {cut} was accepted"
            );
        }
        // Cut exactly at a chunk boundary: the last chunk is missing.
        let chunks_end = file.len() - (4 + TAG_LEN + plain().len() % 4096);
        assert!(matches!(
            open(&keys, &file[..chunks_end]),
            Err(SealedFileError::Truncated)
        ));
        let mut longer = file.clone();
        longer.push(0);
        assert!(matches!(
            open(&keys, &longer),
            Err(SealedFileError::TrailingData)
        ));
        assert!(matches!(
            open(&keys, b"SQLite format 3\0"),
            Err(SealedFileError::NotSealed)
        ));
    }
}
