//! Placeholder for the image processing (replaced by the h/images branch): sizes
//! and thumbnails only.

use std::io::Cursor;
use std::path::Path;

use image::{ImageFormat, ImageReader};

pub const MAX_PIXELS: u64 = 40_000_000;
pub const THUMBNAIL_SIDE: u32 = 320;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
}

impl Format {
    pub fn from_mime(mime: &str) -> Option<Self> {
        match mime {
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            "image/webp" => Some(Self::Webp),
            "image/gif" => Some(Self::Gif),
            _ => None,
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Png => ImageFormat::Png,
            Self::Webp => ImageFormat::WebP,
            Self::Gif => ImageFormat::Gif,
        }
    }
}

pub struct Processed {
    pub width: u32,
    pub height: u32,
    pub cleaned: bool,
    pub thumbnail: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{width}×{height} pixels is too many")]
    TooManyPixels { width: u32, height: u32 },
    #[error("cannot decode: {0}")]
    Undecodable(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub fn process(src: &Path, format: Format, _clean: &Path) -> Result<Processed, ImageError> {
    let open = || -> Result<_, ImageError> {
        let mut reader = ImageReader::open(src)?;
        reader.set_format(format.image_format());
        Ok(reader)
    };
    let (width, height) = open()?
        .into_dimensions()
        .map_err(|e| ImageError::Undecodable(e.to_string()))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooManyPixels { width, height });
    }
    let picture = open()?
        .decode()
        .map_err(|e| ImageError::Undecodable(e.to_string()))?;
    let small = picture
        .thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
        .into_rgb8();
    let mut thumbnail = Cursor::new(Vec::new());
    small
        .write_to(&mut thumbnail, ImageFormat::Jpeg)
        .map_err(|e| ImageError::Undecodable(e.to_string()))?;
    Ok(Processed {
        width,
        height,
        cleaned: false,
        thumbnail: thumbnail.into_inner(),
    })
}
