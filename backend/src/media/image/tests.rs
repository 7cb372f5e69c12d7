use ::image::{DynamicImage, GenericImageView, Rgba, RgbaImage};
use img_parts::jpeg::{markers, Jpeg};
use img_parts::png::Png;
use img_parts::webp::{self, WebP};
use img_parts::{ImageEXIF, ImageICC};

use super::fixtures::{self, contains, exif, halves, BLUE, ICC, RED};
use super::{process, Format, ImageError, Processed, THUMBNAIL_SIDE};

struct Outcome {
    processed: Processed,
    /// The bytes to store: `clean` when written, else the upload itself.
    stored: Vec<u8>,
}

#[test]
fn the_fixtures_do_carry_a_location() {
    let gps = &exif(1)[fixtures::GPS_IFD_AT..];
    for upload in [
        fixtures::phone_jpeg(&halves(16, 8), 6),
        fixtures::tagged_png(&RgbaImage::new(4, 4)),
        fixtures::tagged_webp(&halves(16, 8), 1),
    ] {
        assert!(contains(&upload, gps));
    }
}

fn run(bytes: &[u8], format: Format) -> Result<Outcome, ImageError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (src, clean) = (dir.path().join("upload"), dir.path().join("clean"));
    std::fs::write(&src, bytes).expect("write upload");
    let processed = process(&src, format, &clean)?;
    assert_eq!(
        processed.cleaned,
        clean.exists(),
        "`cleaned` says whether `clean` was written"
    );
    let stored = std::fs::read(if processed.cleaned { &clean } else { &src }).expect("read stored");
    Ok(Outcome { processed, stored })
}

fn decode(bytes: &[u8]) -> DynamicImage {
    ::image::load_from_memory(bytes).expect("decodes")
}

fn assert_near(pixel: Rgba<u8>, rgb: [u8; 3]) {
    let close = pixel.0[..3]
        .iter()
        .zip(rgb)
        .all(|(&a, b)| a.abs_diff(b) < 40);
    assert!(close, "{pixel:?} is not close to {rgb:?}");
}

fn assert_no_location(stored: &[u8]) {
    assert!(!contains(stored, b"Exif"), "an Exif marker is left");
    assert!(
        !contains(stored, &exif(1)[fixtures::GPS_IFD_AT..]),
        "the GPS IFD is left"
    );
    assert!(
        !contains(stored, b"GPSLatitude"),
        "the XMP location is left"
    );
}

#[test]
fn a_sideways_phone_photo_is_turned_upright_and_loses_its_location() {
    let outcome =
        run(&fixtures::phone_jpeg(&halves(800, 400), 6), Format::Jpeg).expect("processed");

    let Processed {
        width,
        height,
        cleaned,
        thumbnail,
    } = outcome.processed;
    assert!(cleaned);
    assert_eq!((width, height), (400, 800));
    assert_no_location(&outcome.stored);
    let jpeg = Jpeg::from_bytes(outcome.stored.clone().into()).expect("stored is a JPEG");
    assert!(jpeg.exif().is_none());
    assert_eq!(
        jpeg.icc_profile().as_deref(),
        Some(ICC),
        "the colour profile is kept"
    );
    let stored = decode(&outcome.stored);
    assert_eq!(stored.dimensions(), (400, 800));
    assert_near(stored.get_pixel(200, 100), RED);

    // Orientation 6 turns the stored picture clockwise: its red left half ends up on top.
    let thumbnail = decode(&thumbnail);
    assert_eq!(thumbnail.dimensions(), (THUMBNAIL_SIDE / 2, THUMBNAIL_SIDE));
    assert_near(thumbnail.get_pixel(80, 40), RED);
    assert_near(thumbnail.get_pixel(80, 280), BLUE);
}

#[test]
fn an_upright_phone_photo_is_stripped_without_touching_its_pixels() {
    let picture = halves(64, 32);
    let outcome = run(&fixtures::phone_jpeg(&picture, 1), Format::Jpeg).expect("processed");

    assert!(outcome.processed.cleaned);
    assert_eq!(
        (outcome.processed.width, outcome.processed.height),
        (64, 32)
    );
    assert_no_location(&outcome.stored);
    let jpeg = Jpeg::from_bytes(outcome.stored.clone().into()).expect("stored is a JPEG");
    assert!(jpeg.segments().iter().all(|s| s.marker() != markers::APP1));
    assert_eq!(jpeg.icc_profile().as_deref(), Some(ICC));
    let untouched = decode(&fixtures::plain_jpeg(&picture));
    assert_eq!(
        decode(&outcome.stored).to_rgb8(),
        untouched.to_rgb8(),
        "same pixels, bit for bit"
    );
}

#[test]
fn a_jpeg_without_metadata_is_stored_as_uploaded() {
    let outcome = run(&fixtures::plain_jpeg(&halves(64, 32)), Format::Jpeg).expect("processed");
    assert!(!outcome.processed.cleaned);
}

#[test]
fn a_png_loses_its_exif_and_text_chunks_and_keeps_its_pixels() {
    let picture = RgbaImage::from_fn(40, 30, |x, y| Rgba([x as u8 * 6, y as u8 * 8, 90, 255]));
    let outcome = run(&fixtures::tagged_png(&picture), Format::Png).expect("processed");

    assert!(outcome.processed.cleaned);
    assert_no_location(&outcome.stored);
    assert!(!contains(&outcome.stored, b"Secret Street"));
    let png = Png::from_bytes(outcome.stored.clone().into()).expect("stored is a PNG");
    assert!(png
        .chunks()
        .iter()
        .all(|c| &c.kind() != b"eXIf" && &c.kind() != b"tEXt"));
    assert_eq!(png.icc_profile().as_deref(), Some(ICC));
    assert_eq!(decode(&outcome.stored).to_rgba8(), picture);
}

#[test]
fn a_webp_loses_its_exif_and_xmp_and_keeps_its_pixels() {
    let picture = halves(48, 24);
    let outcome = run(&fixtures::tagged_webp(&picture, 1), Format::Webp).expect("processed");

    assert!(outcome.processed.cleaned);
    assert_no_location(&outcome.stored);
    let webp = WebP::from_bytes(outcome.stored.clone().into()).expect("stored is a WebP");
    assert!(!webp.has_chunk(webp::CHUNK_EXIF) && !webp.has_chunk(webp::CHUNK_XMP));
    assert_eq!(webp.icc_profile().as_deref(), Some(ICC));
    assert_eq!(decode(&outcome.stored).to_rgb8(), picture);
}

#[test]
fn a_sideways_webp_is_turned_upright() {
    let outcome = run(&fixtures::tagged_webp(&halves(48, 24), 6), Format::Webp).expect("processed");

    assert!(outcome.processed.cleaned);
    assert_eq!(
        (outcome.processed.width, outcome.processed.height),
        (24, 48)
    );
    assert_no_location(&outcome.stored);
    let stored = decode(&outcome.stored);
    assert_eq!(stored.dimensions(), (24, 48));
    assert_near(stored.get_pixel(12, 4), RED);
}

#[test]
fn a_gif_thumbnail_shows_the_first_frame() {
    let outcome = run(&fixtures::two_frame_gif(400, 200), Format::Gif).expect("processed");

    assert!(!outcome.processed.cleaned);
    assert_eq!(
        (outcome.processed.width, outcome.processed.height),
        (400, 200)
    );
    let thumbnail = decode(&outcome.processed.thumbnail);
    assert_eq!(thumbnail.dimensions(), (THUMBNAIL_SIDE, THUMBNAIL_SIDE / 2));
    assert_near(thumbnail.get_pixel(160, 80), RED);
}

#[test]
fn transparency_is_flattened_onto_white() {
    let picture = RgbaImage::from_pixel(20, 20, Rgba([0, 0, 0, 0]));
    let outcome = run(&fixtures::plain_png(&picture), Format::Png).expect("processed");
    assert_near(
        decode(&outcome.processed.thumbnail).get_pixel(10, 10),
        [255, 255, 255],
    );
}

#[test]
fn a_small_picture_is_not_upscaled() {
    let outcome = run(&fixtures::plain_jpeg(&halves(10, 6)), Format::Jpeg).expect("processed");
    assert_eq!(decode(&outcome.processed.thumbnail).dimensions(), (10, 6));
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    let result = run(
        &fixtures::png_header_claiming(100_000, 100_000),
        Format::Png,
    );
    assert!(
        matches!(
            result,
            Err(ImageError::TooManyPixels {
                width: 100_000,
                height: 100_000
            })
        ),
        "{:?}",
        result.err()
    );
}

#[test]
fn garbage_behind_a_jpeg_magic_is_undecodable() {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(b"not really a picture, just bytes pretending to be one");
    let result = run(&bytes, Format::Jpeg);
    assert!(
        matches!(result, Err(ImageError::Undecodable(_))),
        "{:?}",
        result.err()
    );
}

#[test]
fn formats_come_from_sniffed_mime_types() {
    assert_eq!(Format::from_mime("image/webp"), Some(Format::Webp));
    assert_eq!(Format::from_mime("image/svg+xml"), None);
}
