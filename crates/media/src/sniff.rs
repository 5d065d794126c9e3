//! The type of an upload, judged from its bytes (never its name or the type the client
//! claims), and the limits that can be checked without decoding.

use roost_core::media::{MediaError, MediaKind, MediaLimits, Sniffed};

/// The MIME type by magic bytes, for the types roost accepts.
pub fn mime_of(b: &[u8]) -> Option<&'static str> {
    let at = |i: usize, m: &[u8]| b.len() >= i + m.len() && &b[i..i + m.len()] == m;
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return Some("image/gif");
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Some("image/webp");
    }
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return Some("audio/wav");
    }
    if at(4, b"ftyp") {
        return Some(match b.get(8..12) {
            Some(b"qt  ") => "video/quicktime",
            Some(b"M4A ") | Some(b"M4B ") => "audio/mp4",
            _ => "video/mp4",
        });
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some("video/webm");
    }
    if at(0, b"OggS") {
        return Some("audio/ogg");
    }
    if at(0, b"ID3")
        || (b.len() >= 2 && b[0] == 0xFF && (b[1] & 0xE0) == 0xE0 && (b[1] & 0x06) != 0)
    {
        return Some("audio/mpeg");
    }
    None
}

fn kind_of(mime: &str) -> MediaKind {
    match mime.split('/').next() {
        Some("image") => MediaKind::Image,
        Some("video") => MediaKind::Video,
        _ => MediaKind::Audio,
    }
}

/// Type, size limit and (for images) the pixel count from the header alone: a
/// decompression bomb is refused before a single pixel is decoded.
pub fn check(bytes: &[u8], limits: &MediaLimits) -> Result<Sniffed, MediaError> {
    let mime = mime_of(bytes).ok_or_else(|| {
        MediaError::Unsupported("Validation failed: File content type is invalid".into())
    })?;
    let kind = kind_of(mime);
    let limit = match kind {
        MediaKind::Image => limits.image_size_limit,
        _ => limits.video_size_limit,
    };
    if bytes.len() as u64 > limit {
        return Err(MediaError::TooLarge(format!(
            "Validation failed: File file size must be less than {limit} bytes"
        )));
    }
    let size = if kind == MediaKind::Image {
        let (w, h) = crate::picture::dimensions(bytes, mime)?;
        if u64::from(w) * u64::from(h) > limits.image_matrix_limit {
            return Err(MediaError::TooManyPixels(format!(
                "Validation failed: File image is too large: {w}x{h} pixels, the limit is {} pixels",
                limits.image_matrix_limit
            )));
        }
        Some((w, h))
    } else {
        None
    };
    Ok(Sniffed {
        kind,
        mime: mime.to_string(),
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_content() {
        assert_eq!(mime_of(b"\xFF\xD8\xFF\xE0rest"), Some("image/jpeg"));
        assert_eq!(mime_of(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(mime_of(b"RIFF\0\0\0\0WAVEfmt "), Some("audio/wav"));
        assert_eq!(mime_of(b"\0\0\0\x18ftypisom"), Some("video/mp4"));
        assert_eq!(mime_of(b"\0\0\0\x14ftypqt  "), Some("video/quicktime"));
        assert_eq!(mime_of(b"\0\0\0\x1cftypM4A "), Some("audio/mp4"));
        assert_eq!(mime_of(b"ID3\x04"), Some("audio/mpeg"));
        assert_eq!(mime_of(b"<html><script>"), None);
        assert_eq!(mime_of(b"%PDF-1.4"), None);
        assert_eq!(mime_of(b""), None);
    }
}
