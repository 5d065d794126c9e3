//! Images: decoded within limits, turned upright by their EXIF orientation, then encoded
//! again from pixels alone — which is what strips EXIF (GPS position, camera serial), XMP
//! and ICC blocks: the encoders are given nothing but pixels. Resized to the original's
//! pixel limit, previewed in a square and blurhashed.

use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::png::PngEncoder;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use roost_core::media::{MediaError, MediaKind, MediaLimits, Processed, Sniffed};
use std::io::Cursor;

fn format_of(mime: &str) -> Result<ImageFormat, MediaError> {
    Ok(match mime {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        "image/gif" => ImageFormat::Gif,
        "image/webp" => ImageFormat::WebP,
        other => return Err(MediaError::Unsupported(format!("{other} is not an image"))),
    })
}

fn corrupt(e: image::ImageError) -> MediaError {
    match e {
        image::ImageError::Limits(_) => MediaError::TooManyPixels(
            "Validation failed: File image is too large to process".into(),
        ),
        e => MediaError::Corrupt(format!(
            "Validation failed: File could not be read as an image ({e})"
        )),
    }
}

/// Width and height from the header; nothing is decoded.
pub fn dimensions(bytes: &[u8], mime: &str) -> Result<(u32, u32), MediaError> {
    ImageReader::with_format(Cursor::new(bytes), format_of(mime)?)
        .into_dimensions()
        .map_err(corrupt)
}

fn limits(w: u32, h: u32) -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(w);
    l.max_image_height = Some(h);
    // Room for the decoded frame and a converted copy; nothing near a bomb's claim.
    l.max_alloc = Some(u64::from(w) * u64::from(h) * 8 + (16 << 20));
    l
}

/// Frames of an animated GIF kept, at most; beyond that only the first is kept.
const MAX_FRAMES: usize = 300;

fn encode(img: &DynamicImage, png: bool, quality: u8) -> Result<(Vec<u8>, String), MediaError> {
    let mut out = Vec::new();
    if png {
        img.write_with_encoder(PngEncoder::new(&mut out))
            .map_err(|e| MediaError::Backend(format!("encoding failed: {e}")))?;
    } else {
        let rgb = flatten(img);
        let (w, h) = (
            u16::try_from(rgb.width()).map_err(|_| MediaError::Backend("too wide".into()))?,
            u16::try_from(rgb.height()).map_err(|_| MediaError::Backend("too tall".into()))?,
        );
        // Given pixels only: the encoder writes no EXIF, XMP or ICC block.
        jpeg_encoder::Encoder::new(&mut out, quality)
            .encode(rgb.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
            .map_err(|e| MediaError::Backend(format!("encoding failed: {e}")))?;
    }
    Ok((
        out,
        if png { "image/png" } else { "image/jpeg" }.to_string(),
    ))
}

/// RGB on white: a JPEG has no alpha, and transparent black would show as black.
/// An RGB image is borrowed, not copied.
fn flatten(img: &DynamicImage) -> std::borrow::Cow<'_, image::RgbImage> {
    if let DynamicImage::ImageRgb8(rgb) = img {
        return std::borrow::Cow::Borrowed(rgb);
    }
    if !img.color().has_alpha() {
        return std::borrow::Cow::Owned(img.to_rgb8());
    }
    let rgba = img.to_rgba8();
    std::borrow::Cow::Owned(image::RgbImage::from_fn(
        rgba.width(),
        rgba.height(),
        |x, y| {
            let p = rgba.get_pixel(x, y).0;
            let a = u16::from(p[3]);
            let mix = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
            image::Rgb([mix(p[0]), mix(p[1]), mix(p[2])])
        },
    ))
}

/// Shrunk to exactly `w`x`h` with a SIMD box filter (area averaging, alpha premultiplied);
/// pixel types the resizer does not take fall back to image's own area averaging.
fn resize(img: &DynamicImage, w: u32, h: u32) -> DynamicImage {
    use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
    let mut dst = DynamicImage::new(w, h, img.color());
    let opts = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Box));
    match Resizer::new().resize(img, &mut dst, &opts) {
        Ok(()) => dst,
        Err(_) => img.thumbnail_exact(w, h),
    }
}

/// Fitted inside a `side` square, keeping the shape; never enlarged.
fn shrink(img: &DynamicImage, side: u32) -> Option<DynamicImage> {
    let (w, h) = (img.width(), img.height());
    if w <= side && h <= side {
        return None;
    }
    let scale = f64::from(side) / f64::from(w.max(h));
    let (tw, th) = (
        ((f64::from(w) * scale).round() as u32).clamp(1, side),
        ((f64::from(h) * scale).round() as u32).clamp(1, side),
    );
    Some(resize(img, tw, th))
}

fn fit(w: u32, h: u32, max_pixels: u64) -> (u32, u32) {
    let px = u64::from(w) * u64::from(h);
    if px <= max_pixels {
        return (w, h);
    }
    let scale = (max_pixels as f64 / px as f64).sqrt();
    (
        ((f64::from(w) * scale).floor() as u32).max(1),
        ((f64::from(h) * scale).floor() as u32).max(1),
    )
}

fn animated_gif(
    bytes: &[u8],
    w: u32,
    h: u32,
    max_pixels: u64,
) -> Result<Option<Vec<u8>>, MediaError> {
    if u64::from(w) * u64::from(h) > max_pixels {
        return Ok(None);
    }
    let mut dec = GifDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
    dec.set_limits(limits(w, h)).map_err(corrupt)?;
    let mut frames = Vec::new();
    for f in dec.into_frames().take(MAX_FRAMES + 1) {
        frames.push(f.map_err(corrupt)?);
    }
    if frames.len() < 2 || frames.len() > MAX_FRAMES {
        return Ok(None);
    }
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        enc.set_repeat(Repeat::Infinite)
            .map_err(|e| MediaError::Backend(e.to_string()))?;
        enc.encode_frames(frames)
            .map_err(|e| MediaError::Backend(format!("encoding failed: {e}")))?;
    }
    Ok(Some(out))
}

pub fn process(bytes: &[u8], s: &Sniffed, l: &MediaLimits) -> Result<Processed, MediaError> {
    let (w, h) = match s.size {
        Some(d) => d,
        None => dimensions(bytes, &s.mime)?,
    };
    let format = format_of(&s.mime)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits(w, h));
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    img.apply_orientation(orientation);

    let animated = if format == ImageFormat::Gif {
        animated_gif(bytes, w, h, l.original_pixels)?
    } else {
        None
    };
    let (tw, th) = fit(img.width(), img.height(), l.original_pixels);
    if (tw, th) != (img.width(), img.height()) {
        img = resize(&img, tw, th);
    }
    let original = match animated {
        Some(gif) => (gif, "image/gif".to_string()),
        // A JPEG stays a JPEG; anything that may carry transparency becomes a PNG.
        None => {
            let png = format == ImageFormat::Png
                || format == ImageFormat::Gif
                || (format == ImageFormat::WebP && img.color().has_alpha());
            encode(&img, png, 90)?
        }
    };
    // The preview is made from the already shrunk original; small pictures keep their size.
    let small_img = shrink(&img, l.small_side);
    let small = small_img.as_ref().unwrap_or(&img);
    let preview = encode(small, false, 80)?;
    let tiny = shrink(small, 64).as_ref().unwrap_or(small).to_rgba8();
    let blurhash = blurhash::encode(4, 3, tiny.width(), tiny.height(), tiny.as_raw()).ok();
    Ok(Processed {
        kind: MediaKind::Image,
        original,
        preview: Some(preview),
        size: Some((img.width(), img.height())),
        small: Some((small.width(), small.height())),
        blurhash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_the_pixel_limit_keeping_the_shape() {
        assert_eq!(fit(100, 50, 10_000), (100, 50));
        let (w, h) = fit(8000, 4000, 3840 * 2160);
        assert!(u64::from(w) * u64::from(h) <= 3840 * 2160);
        assert!((f64::from(w) / f64::from(h) - 2.0).abs() < 0.01);
    }
}
