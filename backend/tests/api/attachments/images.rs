//! Images: their size and a JPEG thumbnail, and the images that are refused
//! (decompression bombs, judged from the header, and files that only claim to
//! be images).

use reqwest::StatusCode;
use serde_json::json;

use super::{fetch_bytes, jpeg, link, png, post_upload, spawn, upload, Multipart, Store};
use crate::helpers::{expect_error, Backend};
use crate::{both_backends, every_backend_and_store};

/// Thumbnails are JPEGs whose longest side is at most 320 px, at the image's
/// aspect ratio; a small image is not enlarged.
async fn images_get_thumbnails_of_at_most_320_px(backend: Backend, store: Store) {
    let app = spawn(backend, store, |_| {}).await;
    let alice = app.signup("alice").await;
    for (name, bytes, width, height, thumbnail) in [
        ("wide.png", png(800, 400), 800, 400, (320, 160)),
        ("tall.jpg", jpeg(300, 900), 300, 900, (107, 320)),
        ("small.png", png(64, 48), 64, 48, (64, 48)),
    ] {
        let attachment = upload(&app, &alice, name, &bytes).await;
        assert_eq!(
            [&attachment["width"], &attachment["height"]],
            [&json!(width), &json!(height)],
            "{name}: {attachment}"
        );
        let got = fetch_bytes(&app, &link(&attachment, "thumbnail_url")).await;
        let format = image::guess_format(&got).expect("a known image format");
        assert_eq!(format, image::ImageFormat::Jpeg, "{name}");
        let decoded = image::load_from_memory(&got).expect("the thumbnail decodes");
        let (w, h) = (decoded.width(), decoded.height());
        assert!(w.max(h) <= 320, "{name}: thumbnail {w}×{h}");
        assert!(
            w.abs_diff(thumbnail.0) <= 1 && h.abs_diff(thumbnail.1) <= 1,
            "{name}: thumbnail {w}×{h}, expected about {thumbnail:?}"
        );
        // The original is served unchanged in size.
        let original = fetch_bytes(&app, &link(&attachment, "url")).await;
        let decoded = image::load_from_memory(&original).expect("the original decodes");
        assert_eq!(
            (decoded.width(), decoded.height()),
            (width, height),
            "{name}"
        );
    }
}
every_backend_and_store!(images_get_thumbnails_of_at_most_320_px);

/// A PNG of 8000 × 6000 pixels (48 MP) is refused from its header alone: the
/// file is a few dozen bytes, with no pixel data at all.
async fn an_image_of_too_many_pixels_is_refused(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;
    let body = Multipart::default().file("bomb.png", "image/png", &png_header(8000, 6000));
    let response = post_upload(&app, &alice.token, body).await;
    expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "image_too_large",
        "48 MP",
    )
    .await;
    assert_eq!(
        app.store.keys().await,
        Vec::<String>::new(),
        "nothing stored"
    );
}
both_backends!(an_image_of_too_many_pixels_is_refused);

/// Bytes that begin like a PNG or a JPEG and then do not decode.
async fn an_image_that_does_not_decode_is_refused(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;
    let mut broken_png = png(64, 64);
    broken_png.truncate(60);
    let mut broken_jpeg = jpeg(64, 64);
    broken_jpeg.truncate(200);
    for (name, bytes) in [("broken.png", broken_png), ("broken.jpg", broken_jpeg)] {
        let body = Multipart::default().file(name, "application/octet-stream", &bytes);
        let response = post_upload(&app, &alice.token, body).await;
        expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_image",
            name,
        )
        .await;
    }
    assert_eq!(
        app.store.keys().await,
        Vec::<String>::new(),
        "nothing stored"
    );
}
both_backends!(an_image_that_does_not_decode_is_refused);

/// An 8-bit RGB PNG whose `IHDR` claims `width` × `height`, with no pixels
/// behind it.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    // IDAT holds a zlib stream of nothing, as the start of a bomb's pixels.
    let idat = [0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01];
    for (kind, data) in [
        (&b"IHDR"[..], &ihdr[..]),
        (&b"IDAT"[..], &idat[..]),
        (&b"IEND"[..], &[][..]),
    ] {
        bytes.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = bytes.len();
        bytes.extend_from_slice(kind);
        bytes.extend_from_slice(data);
        let crc = crc32(&bytes[start..]);
        bytes.extend_from_slice(&crc.to_be_bytes());
    }
    bytes
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The web app's and curl's photos, built as phones write them (see the unit
/// tests of `media::image`): EXIF with GPS and orientation 6, XMP, an appended
/// preview with EXIF of its own.
#[allow(dead_code)]
#[path = "../../../src/media/image/fixtures.rs"]
mod phone;

/// A phone photo's location must not leak: what is served is upright, and
/// carries no EXIF, no GPS and no XMP.
async fn a_phone_photo_is_served_upright_without_its_location(backend: Backend, store: Store) {
    let app = spawn(backend, store, |_| {}).await;
    let alice = app.signup("alice").await;
    // 800 × 400 as stored, shown 400 × 800 once turned (orientation 6).
    let photo = phone::phone_jpeg(&phone::halves(800, 400), 6);
    assert!(contains(&photo, b"Exif"), "the fixture carries EXIF");
    let attachment = upload(&app, &alice, "IMG_0001.jpg", &photo).await;
    assert_eq!(attachment["content_type"], "image/jpeg", "{attachment}");
    assert_eq!(
        [&attachment["width"], &attachment["height"]],
        [&json!(400), &json!(800)],
        "{attachment}"
    );
    let served = fetch_bytes(&app, &link(&attachment, "url")).await;
    assert_eq!(attachment["sha256"], super::sha256_hex(&served));
    for secret in [&b"Exif"[..], b"GPS", b"GPSLatitude", b"xmpmeta"] {
        assert!(
            !contains(&served, secret),
            "{:?} is served",
            String::from_utf8_lossy(secret)
        );
    }
    let decoded = image::load_from_memory(&served).expect("decodes");
    assert_eq!((decoded.width(), decoded.height()), (400, 800));
    let thumbnail = fetch_bytes(&app, &link(&attachment, "thumbnail_url")).await;
    assert!(!contains(&thumbnail, b"Exif"));
    let thumbnail = image::load_from_memory(&thumbnail).expect("decodes");
    assert_eq!((thumbnail.width(), thumbnail.height()), (160, 320));
}
every_backend_and_store!(a_phone_photo_is_served_upright_without_its_location);

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
