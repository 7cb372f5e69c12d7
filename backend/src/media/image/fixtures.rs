//! Test pictures built in code: a phone photo's EXIF (orientation and GPS), and containers carrying it.

use ::image::codecs::gif::GifEncoder;
use ::image::codecs::jpeg::JpegEncoder;
use ::image::codecs::png::PngEncoder;
use ::image::codecs::webp::WebPEncoder;
use ::image::{Delay, Frame, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};
use img_parts::jpeg::{markers, Jpeg, JpegSegment};
use img_parts::png::{Png, PngChunk};
use img_parts::riff::{RiffChunk, RiffContent};
use img_parts::webp::{self, WebP};
use img_parts::{Bytes, ImageEXIF, ImageICC};

pub const RED: [u8; 3] = [255, 0, 0];
pub const BLUE: [u8; 3] = [0, 0, 255];
/// Stands in for a real profile: decoders pass it through without interpreting it.
pub const ICC: &[u8] = b"fake ICC profile, kept because colours are not private";
pub const XMP: &[u8] =
    b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>48,51N</x:xmpmeta>";
pub const SECRET_TEXT: &[u8] = b"Comment\0taken at 12 Secret Street";

/// Where the GPS IFD starts in `exif`; everything from there on is location.
pub const GPS_IFD_AT: usize = 38;

/// A little-endian TIFF block as phones write it: IFD0 with Orientation and a pointer to a GPS IFD
/// holding latitude N 48° 51' 24".
pub fn exif(orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    // IFD0 at 8: two entries, then no next IFD; ends at 8 + 2 + 24 + 4 = 38.
    tiff.extend(2u16.to_le_bytes());
    tiff.extend(entry(0x0112, 3, 1, u32::from(orientation)));
    tiff.extend(entry(0x8825, 4, 1, GPS_IFD_AT as u32));
    tiff.extend(0u32.to_le_bytes());
    // GPS IFD at 38: LatitudeRef "N", Latitude as three rationals at 68.
    tiff.extend(2u16.to_le_bytes());
    tiff.extend(entry(0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")));
    tiff.extend(entry(0x0002, 5, 3, 68));
    tiff.extend(0u32.to_le_bytes());
    for (numerator, denominator) in [(48u32, 1u32), (51, 1), (2400, 100)] {
        tiff.extend(numerator.to_le_bytes());
        tiff.extend(denominator.to_le_bytes());
    }
    tiff
}

fn entry(tag: u16, kind: u16, count: u32, value: u32) -> Vec<u8> {
    let mut entry = tag.to_le_bytes().to_vec();
    entry.extend(kind.to_le_bytes());
    entry.extend(count.to_le_bytes());
    entry.extend(value.to_le_bytes());
    entry
}

/// Left half red, right half blue.
pub fn halves(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| {
        Rgb(if x < width / 2 { RED } else { BLUE })
    })
}

pub fn plain_jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let encoder = JpegEncoder::new_with_quality(&mut out, 90);
    encoder
        .write_image(
            image,
            image.width(),
            image.height(),
            ::image::ExtendedColorType::Rgb8,
        )
        .expect("encode JPEG");
    out
}

/// A phone photo: EXIF with GPS, XMP, an ICC profile, and an MPF-style second image after the end.
pub fn phone_jpeg(image: &RgbImage, orientation: u16) -> Vec<u8> {
    let mut jpeg = Jpeg::from_bytes(plain_jpeg(image).into()).expect("parse JPEG");
    jpeg.set_exif(Some(exif(orientation).into()));
    jpeg.set_icc_profile(Some(Bytes::from_static(ICC)));
    let xmp = JpegSegment::new_with_contents(markers::APP1, Bytes::from_static(XMP));
    jpeg.segments_mut().insert(1, xmp);
    let mut bytes = jpeg.encoder().bytes().to_vec();
    let mut appended = Jpeg::from_bytes(plain_jpeg(&halves(8, 8)).into()).expect("parse JPEG");
    appended.set_exif(Some(exif(1).into()));
    bytes.extend_from_slice(&appended.encoder().bytes());
    bytes
}

pub fn plain_png(image: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            image,
            image.width(),
            image.height(),
            ::image::ExtendedColorType::Rgba8,
        )
        .expect("encode PNG");
    out
}

/// A PNG with an eXIf chunk, a tEXt chunk and an ICC profile.
pub fn tagged_png(image: &RgbaImage) -> Vec<u8> {
    let mut png = Png::from_bytes(plain_png(image).into()).expect("parse PNG");
    png.set_exif(Some(exif(1).into()));
    png.set_icc_profile(Some(Bytes::from_static(ICC)));
    let end = png.chunks().len() - 1;
    let text = PngChunk::new(*b"tEXt", Bytes::from_static(SECRET_TEXT));
    png.chunks_mut().insert(end, text);
    png.encoder().bytes().to_vec()
}

/// A lossless WebP with EXIF, XMP and an ICC profile.
pub fn tagged_webp(image: &RgbImage, orientation: u16) -> Vec<u8> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .write_image(
            image,
            image.width(),
            image.height(),
            ::image::ExtendedColorType::Rgb8,
        )
        .expect("encode WebP");
    let mut webp = WebP::from_bytes(out.into()).expect("parse WebP");
    webp.set_icc_profile(Some(Bytes::from_static(ICC)));
    webp.chunks_mut().push(RiffChunk::new(
        webp::CHUNK_XMP,
        RiffContent::Data(Bytes::from_static(XMP)),
    ));
    webp.set_exif(Some(exif(orientation).into()));
    webp.encoder().bytes().to_vec()
}

/// Two frames, red then green.
pub fn two_frame_gif(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        let frames = [[255, 0, 0, 255], [0, 255, 0, 255]].map(|colour| {
            let image = RgbaImage::from_pixel(width, height, Rgba(colour));
            Frame::from_parts(image, 0, 0, Delay::from_numer_denom_ms(100, 1))
        });
        encoder.encode_frames(frames).expect("encode GIF");
    }
    out
}

/// A valid PNG header claiming `width` x `height`, followed by a few bytes of image data.
pub fn png_header_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut header = width.to_be_bytes().to_vec();
    header.extend(height.to_be_bytes());
    header.extend([8, 6, 0, 0, 0]);
    let chunks = [
        PngChunk::new(*b"IHDR", header.into()),
        PngChunk::new(
            *b"IDAT",
            Bytes::from_static(&[0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1]),
        ),
        PngChunk::new(*b"IEND", Bytes::new()),
    ];
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    for chunk in chunks {
        bytes.extend_from_slice(&chunk.encoder().bytes());
    }
    bytes
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
