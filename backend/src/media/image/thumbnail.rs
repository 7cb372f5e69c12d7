//! The thumbnail: a JPEG no larger than THUMBNAIL_SIDE, transparency flattened onto white.

use ::image::codecs::jpeg::JpegEncoder;
use ::image::{DynamicImage, ImageEncoder, Rgb, RgbImage};

use super::{undecodable, ImageError, THUMBNAIL_SIDE};

const QUALITY: u8 = 80;

/// `image` must already be upright. The ICC profile, when given, is embedded so colours match the original.
pub(super) fn jpeg(image: &DynamicImage, icc: Option<&[u8]>) -> Result<Vec<u8>, ImageError> {
    let rgb = onto_white(&shrunk(image));
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, QUALITY);
    if let Some(icc) = icc {
        // A profile too large for JPEG is dropped rather than failing the upload.
        let _ = encoder.set_icc_profile(icc.to_vec());
    }
    rgb.write_with_encoder(encoder).map_err(undecodable)?;
    Ok(out)
}

fn shrunk(image: &DynamicImage) -> DynamicImage {
    if image.width().max(image.height()) <= THUMBNAIL_SIDE {
        return image.clone();
    }
    // `thumbnail` averages every source pixel into the target (no aliasing), and keeps the aspect ratio.
    image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
}

fn onto_white(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            // (c·a + 255·(255−a)) / 255 is at most 255, so the narrowing is lossless.
            ((c * a + 255 * (255 - a) + 127) / 255) as u8
        };
        Rgb([over_white(r), over_white(g), over_white(b)])
    })
}
