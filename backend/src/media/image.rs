//! Image attachments: the pixel-count guard, the thumbnail, and the metadata-free original.
//!
//! `process` is blocking and CPU-heavy; the upload handler runs it in `spawn_blocking` under a semaphore.

mod clean;
mod decode;
mod strip;
mod thumbnail;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;

use std::path::Path;

/// The most pixels an attachment may have; checked from the header, before any pixel is decoded.
pub const MAX_PIXELS: u64 = 40_000_000;
/// The longest side of a thumbnail.
pub const THUMBNAIL_SIDE: u32 = 320;

/// The raster formats Parley decodes (the upload was sniffed as one of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
}

impl Format {
    /// The format of a sniffed MIME type; `None` for anything Parley does not decode.
    pub fn from_mime(mime: &str) -> Option<Self> {
        match mime {
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            "image/webp" => Some(Self::Webp),
            "image/gif" => Some(Self::Gif),
            _ => None,
        }
    }

    fn image_format(self) -> ::image::ImageFormat {
        match self {
            Self::Jpeg => ::image::ImageFormat::Jpeg,
            Self::Png => ::image::ImageFormat::Png,
            Self::Webp => ::image::ImageFormat::WebP,
            Self::Gif => ::image::ImageFormat::Gif,
        }
    }
}

/// What `process` found and made.
#[derive(Debug)]
pub struct Processed {
    /// As displayed, i.e. after the EXIF orientation.
    pub width: u32,
    pub height: u32,
    /// True: `clean` was written and must be stored instead of `src`.
    pub cleaned: bool,
    /// A JPEG, longest side <= THUMBNAIL_SIDE (never upscaled).
    pub thumbnail: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("the image is {width}x{height}, more than {MAX_PIXELS} pixels")]
    TooManyPixels { width: u32, height: u32 },
    #[error("the image does not decode: {0}")]
    Undecodable(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Blocking. Reads `src` (a spooled upload, already sniffed as `format`), refuses more than MAX_PIXELS
/// from the header before decoding, makes the thumbnail, and writes to `clean` the original without
/// metadata when it has any.
///
/// Guarantees on success: when `cleaned` is false the original carried no metadata worth removing
/// (or is a GIF, which has no EXIF) and may be stored as is; when true, `clean` holds the same picture,
/// upright, with no EXIF, XMP, IPTC, text chunks or trailing data (the ICC profile is kept).
/// Pixels are untouched unless the EXIF orientation had to be applied, in which case the image is
/// re-encoded in its own format.
pub fn process(src: &Path, format: Format, clean: &Path) -> Result<Processed, ImageError> {
    // Uploads are bounded by ATTACHMENT_MAX_BYTES, so reading the whole file is bounded too.
    let bytes = std::fs::read(src)?;
    let decode::Decoded {
        mut image,
        orientation,
        icc,
    } = decode::decode(&bytes, format)?;
    image.apply_orientation(orientation);
    let thumbnail = thumbnail::jpeg(&image, icc.as_deref())?;
    let stored = clean::Stored {
        format,
        orientation,
        icc: icc.as_deref(),
    };
    let cleaned = match stored.without_metadata(&bytes, &image)? {
        Some(clean_bytes) => {
            std::fs::write(clean, clean_bytes)?;
            true
        }
        None => false,
    };
    Ok(Processed {
        width: image.width(),
        height: image.height(),
        cleaned,
        thumbnail,
    })
}

fn undecodable(error: impl std::fmt::Display) -> ImageError {
    ImageError::Undecodable(error.to_string())
}
