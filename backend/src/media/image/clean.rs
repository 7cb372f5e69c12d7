//! The original to store: untouched, stripped losslessly, or re-encoded upright.

use std::borrow::Cow;

use ::image::codecs::jpeg::JpegEncoder;
use ::image::codecs::png::PngEncoder;
use ::image::codecs::webp::WebPEncoder;
use ::image::metadata::Orientation;
use ::image::{DynamicImage, ImageEncoder};

use super::{strip, undecodable, Format, ImageError};

/// Close to the original's quality; only sideways phone photos pay this second lossy pass.
const JPEG_QUALITY: u8 = 90;

/// What the stored original must keep (its format and colour profile) and what was found in it.
pub(super) struct Stored<'a> {
    pub format: Format,
    pub orientation: Orientation,
    pub icc: Option<&'a [u8]>,
}

impl Stored<'_> {
    /// `None` when `bytes` carries nothing to remove. `upright` is the decoded picture, orientation applied.
    pub(super) fn without_metadata(
        &self,
        bytes: &[u8],
        upright: &DynamicImage,
    ) -> Result<Option<Vec<u8>>, ImageError> {
        let (format, icc) = (self.format, self.icc);
        if format == Format::Gif {
            // GIF has no EXIF and no orientation; its comment and XMP extensions are left as uploaded.
            return Ok(None);
        }
        if self.orientation != Orientation::NoTransforms {
            // Dropping the EXIF drops the orientation, so the pixels themselves must be turned.
            return reencode(upright, format, icc).map(Some);
        }
        match strip::metadata(bytes, format) {
            Ok(stripped) => Ok(stripped),
            // It decoded, yet the container parser refuses it: the pixels are the only safe copy.
            Err(_) => reencode(upright, format, icc).map(Some),
        }
    }
}

/// The picture in its own format, carrying nothing but the ICC profile.
fn reencode(
    image: &DynamicImage,
    format: Format,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    match format {
        Format::Jpeg => {
            let encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            write(&jpeg_compatible(image), encoder, icc)?;
        }
        Format::Png => write(image, PngEncoder::new(&mut out), icc)?,
        Format::Webp => write(
            &webp_compatible(image),
            WebPEncoder::new_lossless(&mut out),
            icc,
        )?,
        Format::Gif => return Err(undecodable("GIF is never re-encoded")),
    }
    Ok(out)
}

fn write(
    image: &DynamicImage,
    mut encoder: impl ImageEncoder,
    icc: Option<&[u8]>,
) -> Result<(), ImageError> {
    if let Some(icc) = icc {
        // A profile the format cannot hold is dropped rather than failing the upload.
        let _ = encoder.set_icc_profile(icc.to_vec());
    }
    image.write_with_encoder(encoder).map_err(undecodable)
}

/// JPEG holds 8-bit grey or RGB only.
fn jpeg_compatible(image: &DynamicImage) -> Cow<'_, DynamicImage> {
    match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => Cow::Borrowed(image),
        _ => Cow::Owned(DynamicImage::ImageRgb8(image.to_rgb8())),
    }
}

/// The WebP encoder takes 8-bit channels only.
fn webp_compatible(image: &DynamicImage) -> Cow<'_, DynamicImage> {
    match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => Cow::Borrowed(image),
        _ if image.color().has_alpha() => Cow::Owned(DynamicImage::ImageRgba8(image.to_rgba8())),
        _ => Cow::Owned(DynamicImage::ImageRgb8(image.to_rgb8())),
    }
}
