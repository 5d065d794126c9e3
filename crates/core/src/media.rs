//! Media attachments: the domain types, the ports the media crate implements (blob
//! storage by content hash, processing of uploads) and the signed URLs that let a viewer
//! fetch private media without a permanent address.

use crate::id::Id;
use async_trait::async_trait;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

/// Mastodon's `type` of an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Gifv,
    Video,
    Audio,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Gifv => "gifv",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
        }
    }

    pub fn parse(s: &str) -> Option<MediaKind> {
        Some(match s {
            "image" => MediaKind::Image,
            "gifv" => MediaKind::Gifv,
            "video" => MediaKind::Video,
            "audio" => MediaKind::Audio,
            _ => return None,
        })
    }
}

/// What an attachment is for: a post's attachment or a profile picture. Decides the data
/// class (a profile picture is public content whatever the account posts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaRole {
    Attachment,
    Avatar,
    Header,
}

impl MediaRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaRole::Attachment => "attachment",
            MediaRole::Avatar => "avatar",
            MediaRole::Header => "header",
        }
    }

    pub fn parse(s: &str) -> Option<MediaRole> {
        Some(match s {
            "attachment" => MediaRole::Attachment,
            "avatar" => MediaRole::Avatar,
            "header" => MediaRole::Header,
            _ => return None,
        })
    }
}

/// A stored file: its SHA-256 (hex, the blob store's key), type and length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub hash: String,
    pub mime: String,
    pub size: u64,
}

/// One uploaded file and what processing made of it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaAttachment {
    pub id: Id,
    pub account_id: Id,
    /// Set once the attachment is on a post; an attached file cannot move or be deleted.
    pub status_id: Option<Id>,
    pub role: MediaRole,
    pub kind: MediaKind,
    /// None while processing (Mastodon's `url: null`).
    pub file: Option<Blob>,
    pub preview: Option<Blob>,
    /// Width and height of the stored original, of the preview.
    pub size: Option<(u32, u32)>,
    pub small: Option<(u32, u32)>,
    pub blurhash: Option<String>,
    pub description: String,
    /// Focal point, each coordinate in -1.0..=1.0 (Mastodon's convention).
    pub focus: (f64, f64),
    /// Order among a post's attachments.
    pub position: i64,
    pub created_at: Timestamp,
}

impl MediaAttachment {
    pub fn is_ready(&self) -> bool {
        self.file.is_some()
    }
}

/// A file of another region's post, as its note describes it.
#[derive(Debug, Clone)]
pub struct ForeignMedia {
    pub id: Id,
    pub kind: MediaKind,
    pub mime: String,
    pub sha256: String,
    pub description: String,
    pub focus: (f64, f64),
    pub size: Option<(u32, u32)>,
    pub blurhash: Option<String>,
}

/// What [`MediaProcessor::process`] made of an upload. Everything in it was re-encoded
/// from pixels (images) or checked by content (video, audio).
#[derive(Debug, Clone)]
pub struct Processed {
    pub kind: MediaKind,
    pub original: (Vec<u8>, String),
    pub preview: Option<(Vec<u8>, String)>,
    pub size: Option<(u32, u32)>,
    pub small: Option<(u32, u32)>,
    pub blurhash: Option<String>,
}

/// Why an upload was refused or failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MediaError {
    /// Larger than the limit for its type (413).
    #[error("{0}")]
    TooLarge(String),
    /// Not a type roost accepts, judged by its bytes (422).
    #[error("{0}")]
    Unsupported(String),
    /// More pixels than the limit (422): a decompression bomb or simply too big.
    #[error("{0}")]
    TooManyPixels(String),
    /// The file claims to be a supported type but cannot be decoded (422).
    #[error("{0}")]
    Corrupt(String),
    #[error("media backend failed: {0}")]
    Backend(String),
}

/// The type of an upload, judged from its first bytes and header alone (no decoding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    pub kind: MediaKind,
    pub mime: String,
    /// Image dimensions from the header, when it is an image.
    pub size: Option<(u32, u32)>,
}

/// Turns uploaded bytes into stored files. Implemented by `roost-media`; processing runs
/// on a bounded pool off the request path.
#[async_trait]
pub trait MediaProcessor: Send + Sync {
    /// Type and header checks, cheap enough for the request path.
    fn check(&self, bytes: &[u8], limits: &MediaLimits) -> Result<Sniffed, MediaError>;
    async fn process(&self, bytes: Vec<u8>, limits: &MediaLimits) -> Result<Processed, MediaError>;
}

#[derive(Debug, thiserror::Error)]
#[error("blob store failed: {0}")]
pub struct BlobError(pub String);

/// Files by content hash (SHA-256, hex). A directory under the data dir or an
/// S3-compatible bucket of the region.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores the bytes (idempotent) and returns their hash.
    async fn put(&self, bytes: Vec<u8>) -> Result<String, BlobError>;
    async fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, BlobError>;
    /// Bytes `start..=end` (end clamped to the file); None when there is no such file.
    async fn range(&self, hash: &str, start: u64, end: u64) -> Result<Option<Vec<u8>>, BlobError>;
    async fn size(&self, hash: &str) -> Result<Option<u64>, BlobError>;
    /// Removing a missing file is not an error.
    async fn delete(&self, hash: &str) -> Result<(), BlobError>;
    /// Every stored hash (for the audit and the sweep of unreferenced files).
    async fn list(&self) -> Result<Vec<String>, BlobError>;
}

/// The hash a blob store files `bytes` under.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `s` is a blob key (64 lower-case hex digits): paths are built from it.
pub fn is_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Mastodon's defaults (`configuration.media_attachments` advertises them).
#[derive(Debug, Clone, Copy)]
pub struct MediaLimits {
    pub image_size_limit: u64,
    /// Largest pixel count accepted at upload (before resizing).
    pub image_matrix_limit: u64,
    pub video_size_limit: u64,
    pub video_matrix_limit: u64,
    pub video_frame_rate_limit: u64,
    /// The stored original is resized to at most this many pixels (3840x2160).
    pub original_pixels: u64,
    /// The preview fits in this square.
    pub small_side: u32,
    pub max_attachments: usize,
    pub description_limit: usize,
}

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits {
            image_size_limit: 16 * 1024 * 1024,
            image_matrix_limit: 33_177_600,
            video_size_limit: 99 * 1024 * 1024,
            video_matrix_limit: 8_294_400,
            video_frame_rate_limit: 120,
            original_pixels: 3840 * 2160,
            small_side: 640,
            max_attachments: 4,
            description_limit: 1500,
        }
    }
}

/// The types accepted, as advertised.
pub const SUPPORTED_MIME_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "audio/mpeg",
    "audio/mp3",
    "audio/ogg",
    "audio/wav",
    "audio/wave",
    "audio/x-wav",
    "audio/mp4",
    "audio/x-m4a",
];

/// File name extension for a stored type (URLs end with it so that saved files open).
pub fn extension(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "video/webm" => "webm",
        "audio/mpeg" => "mp3",
        "audio/ogg" => "ogg",
        "audio/wav" => "wav",
        "audio/mp4" => "m4a",
        _ => "bin",
    }
}

/// The stored type of a URL's extension (the reverse of [`extension`]).
pub fn mime_of_extension(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "m4a" => "audio/mp4",
        _ => return None,
    })
}

/// Signs and checks the URLs of private media: each names one viewer and an expiry,
/// and carries an HMAC-SHA256 under a key only this region holds.
#[derive(Clone)]
pub struct UrlSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner")
    }
}

/// A signed URL is good for at least this long (and at most twice it): expiries are
/// rounded so that a page's URLs stay the same, and cacheable, for a while.
pub const SIGNED_URL_SECONDS: i64 = 3600;

impl UrlSigner {
    pub fn new(key: [u8; 32]) -> UrlSigner {
        UrlSigner { key }
    }

    /// A key of its own derived from a region secret (the signing key never signs URLs).
    pub fn derive(secret: &[u8]) -> UrlSigner {
        let mut h = Sha256::new();
        h.update(b"roost media url key\0");
        h.update(secret);
        UrlSigner {
            key: h.finalize().into(),
        }
    }

    fn mac(&self, media: Id, variant: &str, viewer: Id, expires: i64) -> String {
        use hmac::{Mac, SimpleHmac};
        let mut m = <SimpleHmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC takes any key length");
        m.update(format!("{}:{variant}:{}:{expires}", media.0, viewer.0).as_bytes());
        hex::encode(&m.finalize().into_bytes()[..16])
    }

    /// `(expires, signature)` for `viewer` fetching `variant` (`original` / `small`).
    pub fn sign(&self, media: Id, variant: &str, viewer: Id, now: Timestamp) -> (i64, String) {
        let s = now.as_second();
        let expires = (s / SIGNED_URL_SECONDS + 2) * SIGNED_URL_SECONDS;
        (expires, self.mac(media, variant, viewer, expires))
    }

    pub fn verify(
        &self,
        media: Id,
        variant: &str,
        viewer: Id,
        expires: i64,
        sig: &str,
        now: Timestamp,
    ) -> bool {
        if expires < now.as_second() {
            return false;
        }
        let want = self.mac(media, variant, viewer, expires);
        crate::usecase::constant_eq(&want, sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_name_media_variant_viewer_and_expiry() {
        let s = UrlSigner::new([7; 32]);
        let now = Timestamp::from_second(1_000_000).unwrap();
        let (exp, sig) = s.sign(Id(1), "original", Id(2), now);
        assert!(s.verify(Id(1), "original", Id(2), exp, &sig, now));
        assert!(!s.verify(Id(1), "original", Id(3), exp, &sig, now));
        assert!(!s.verify(Id(1), "small", Id(2), exp, &sig, now));
        assert!(!s.verify(Id(4), "original", Id(2), exp, &sig, now));
        assert!(!s.verify(Id(1), "original", Id(2), exp + 1, &sig, now));
        let later = Timestamp::from_second(exp + 1).unwrap();
        assert!(!s.verify(Id(1), "original", Id(2), exp, &sig, later));
    }

    #[test]
    fn hashes_are_checked_before_paths_are_built() {
        assert!(is_hash(&content_hash(b"x")));
        assert!(!is_hash("../etc/passwd"));
        assert!(!is_hash(&"A".repeat(64)));
    }
}
