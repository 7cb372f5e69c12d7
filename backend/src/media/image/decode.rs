//! Decoding under limits: the pixel count is checked from the header before the pixel buffer exists.

use std::io::Cursor;

use ::image::metadata::Orientation;
use ::image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use super::{undecodable, Format, ImageError, MAX_PIXELS};

/// The widest pixel these formats decode to (16-bit RGBA PNG), in bytes.
const MAX_BYTES_PER_PIXEL: u64 = 8;

pub(super) struct Decoded {
    /// As stored, before the orientation is applied.
    pub image: DynamicImage,
    pub orientation: Orientation,
    pub icc: Option<Vec<u8>>,
}

pub(super) fn decode(bytes: &[u8], format: Format) -> Result<Decoded, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(budget(MAX_PIXELS * MAX_BYTES_PER_PIXEL));
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    check_pixels(decoder.dimensions())?;
    // A broken EXIF or ICC block should not cost the picture: without them it is shown as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten();
    limit_decoder(&mut decoder)?;
    let image = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    Ok(Decoded {
        image,
        orientation,
        icc,
    })
}

fn check_pixels((width, height): (u32, u32)) -> Result<(), ImageError> {
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooManyPixels { width, height });
    }
    Ok(())
}

/// What `ImageReader::decode` does: the output buffer is reserved from the budget first, so whatever
/// the decoder allocates besides (e.g. a GIF frame larger than its header's screen) shares what is left.
fn limit_decoder(decoder: &mut impl ImageDecoder) -> Result<(), ImageError> {
    let mut limits = budget(MAX_PIXELS * MAX_BYTES_PER_PIXEL);
    limits.reserve(decoder.total_bytes()).map_err(undecodable)?;
    decoder.set_limits(limits).map_err(undecodable)
}

fn budget(bytes: u64) -> Limits {
    let mut limits = Limits::default();
    limits.max_alloc = Some(bytes);
    limits
}
