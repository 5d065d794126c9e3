//! Custom emoji: added and removed by the region's admins (`roost admin emoji`), their
//! pictures run through the media processor like any upload (type judged by the bytes,
//! re-encoded from pixels, so no metadata survives), listed from the in-memory catalogue.

use super::{now, Roost};
use crate::emoji::{is_valid_shortcode, CustomEmoji, EmojiSet, MAX_SHORTCODE};
use crate::media::{Blob, MediaError, MediaLimits};
use crate::store::StoreError;
use crate::CoreError;
use std::sync::Arc;

/// Mastodon's limit on an emoji file.
pub const EMOJI_SIZE_LIMIT: u64 = 256 * 1024;
/// Largest picture accepted, in pixels (an emoji is drawn at text size).
pub const EMOJI_PIXEL_LIMIT: u64 = 1024 * 1024;
/// The types Mastodon takes for emoji (no JPEG: emoji need transparency).
pub const EMOJI_MIME_TYPES: &[&str] = &["image/png", "image/gif", "image/webp"];
const MAX_CATEGORY: usize = 64;

/// Why an emoji was refused or could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum EmojiError {
    #[error(
        "shortcode {0:?} is not valid: 2 to {MAX_SHORTCODE} letters (A-Z, a-z), digits or underscores"
    )]
    BadShortcode(String),
    #[error("category must be at most {MAX_CATEGORY} characters")]
    BadCategory,
    #[error("an emoji :{0}: already exists")]
    Taken(String),
    #[error("no emoji :{0}:")]
    NotFound(String),
    #[error("the file is larger than {EMOJI_SIZE_LIMIT} bytes")]
    TooLarge,
    #[error("the file must be a PNG, GIF or WebP picture (it is {0})")]
    Unsupported(String),
    /// The file claims a supported type but cannot be used (corrupt, too many pixels).
    #[error("{0}")]
    BadFile(String),
    #[error("media is not set up in this region")]
    NoMedia,
    #[error(transparent)]
    Core(#[from] CoreError),
}

impl From<StoreError> for EmojiError {
    fn from(e: StoreError) -> Self {
        EmojiError::Core(e.into())
    }
}

/// For callers that answer with the use cases' error table (the API).
impl From<EmojiError> for CoreError {
    fn from(e: EmojiError) -> Self {
        match e {
            EmojiError::Core(c) => c,
            EmojiError::NotFound(_) => CoreError::NotFound("emoji"),
            EmojiError::Taken(_) => CoreError::Conflict(e.to_string()),
            EmojiError::TooLarge => CoreError::TooLarge(e.to_string()),
            EmojiError::NoMedia => CoreError::Internal(e.to_string()),
            other => CoreError::Validation(other.to_string()),
        }
    }
}

/// What an admin adds.
#[derive(Debug, Clone)]
pub struct NewEmoji {
    pub shortcode: String,
    pub bytes: Vec<u8>,
    pub category: Option<String>,
    pub visible_in_picker: bool,
}

fn limits(base: &MediaLimits) -> MediaLimits {
    MediaLimits {
        image_size_limit: EMOJI_SIZE_LIMIT,
        image_matrix_limit: EMOJI_PIXEL_LIMIT,
        // Never resized: the pixel limit above already bounds it.
        original_pixels: EMOJI_PIXEL_LIMIT,
        ..*base
    }
}

fn from_media(e: MediaError) -> EmojiError {
    match e {
        MediaError::TooLarge(_) => EmojiError::TooLarge,
        MediaError::Unsupported(_) => EmojiError::Unsupported("of an unknown type".into()),
        MediaError::TooManyPixels(_) => EmojiError::BadFile(format!(
            "the picture has more than {EMOJI_PIXEL_LIMIT} pixels"
        )),
        MediaError::Corrupt(m) => EmojiError::BadFile(m),
        MediaError::Backend(m) => EmojiError::Core(CoreError::Internal(m)),
    }
}

impl Roost {
    /// Adds an emoji: shortcode and category checked, the file at most 256 KiB of PNG,
    /// GIF or WebP (by its bytes), processed, stored, then listed at once here (other
    /// nodes and a running server see it at their next reload).
    pub async fn add_emoji(&self, new: NewEmoji) -> Result<CustomEmoji, EmojiError> {
        if !is_valid_shortcode(&new.shortcode) {
            return Err(EmojiError::BadShortcode(new.shortcode));
        }
        let category = new
            .category
            .map(|c| crate::text::strip_forbidden(&c).trim().to_string())
            .filter(|c| !c.is_empty());
        if category
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_CATEGORY)
        {
            return Err(EmojiError::BadCategory);
        }
        let ports = self.media.as_ref().ok_or(EmojiError::NoMedia)?.clone();
        if new.bytes.len() as u64 > EMOJI_SIZE_LIMIT {
            return Err(EmojiError::TooLarge);
        }
        let limits = limits(&ports.limits);
        let sniffed = ports
            .processor
            .check(&new.bytes, &limits)
            .map_err(from_media)?;
        if !EMOJI_MIME_TYPES.contains(&sniffed.mime.as_str()) {
            return Err(EmojiError::Unsupported(sniffed.mime));
        }
        if self.store.emoji(&new.shortcode).await?.is_some() {
            return Err(EmojiError::Taken(new.shortcode));
        }
        let processed = ports
            .processor
            .process(new.bytes, &limits)
            .await
            .map_err(from_media)?;
        let (bytes, mime) = processed.original;
        let size = bytes.len() as u64;
        let hash = ports
            .blobs
            .put(bytes)
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        let emoji = CustomEmoji {
            shortcode: new.shortcode,
            file: Blob { hash, mime, size },
            category,
            visible_in_picker: new.visible_in_picker,
            created_at: now(),
        };
        match self.store.create_emoji(&emoji).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                // Another admin took the shortcode meanwhile: our file may be orphaned.
                self.drop_emoji_file(&emoji.file.hash).await?;
                return Err(EmojiError::Taken(emoji.shortcode));
            }
            Err(e) => return Err(e.into()),
        }
        self.reload_emojis().await?;
        Ok(emoji)
    }

    /// Removes an emoji and its file once nothing else names the file.
    pub async fn remove_emoji(&self, shortcode: &str) -> Result<CustomEmoji, EmojiError> {
        let gone = self
            .store
            .delete_emoji(shortcode)
            .await?
            .ok_or_else(|| EmojiError::NotFound(shortcode.to_string()))?;
        self.drop_emoji_file(&gone.file.hash).await?;
        self.reload_emojis().await?;
        Ok(gone)
    }

    async fn drop_emoji_file(&self, hash: &str) -> Result<(), EmojiError> {
        let Some(ports) = &self.media else {
            return Ok(());
        };
        if !self.store.blob_in_use(hash).await? {
            ports
                .blobs
                .delete(hash)
                .await
                .map_err(|e| CoreError::Internal(e.to_string()))?;
        }
        Ok(())
    }

    /// Every emoji as stored now (the admin's list; readers use [`Roost::custom_emojis`]).
    pub async fn stored_emojis(&self) -> Result<Vec<CustomEmoji>, EmojiError> {
        Ok(self.store.emojis().await?)
    }

    /// Reads the emoji from the store into the in-memory catalogue; returns how many.
    pub async fn reload_emojis(&self) -> Result<usize, EmojiError> {
        let list = self.store.emojis().await?;
        let n = list.len();
        self.cfg.emojis.replace(list);
        Ok(n)
    }

    /// The catalogue as last loaded.
    pub fn custom_emojis(&self) -> Arc<EmojiSet> {
        self.cfg.emojis.snapshot()
    }
}
