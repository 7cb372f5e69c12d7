//! Lossless metadata removal: the container is rewritten keeping an allowlist of what draws the picture
//! (and its ICC profile); the compressed pixel data is copied byte for byte.
//!
//! An allowlist rather than a list of known metadata: vendors hide locations in segments nobody lists
//! (MPF secondary images after the JPEG end, XMP in iTXt, private PNG chunks).

use img_parts::jpeg::{markers, Jpeg, JpegSegment};
use img_parts::png::Png;
use img_parts::riff::RiffContent;
use img_parts::webp::{self, WebP};
use img_parts::Bytes;

use super::Format;

/// `None` when nothing had to be removed, so the upload can be stored as it is.
pub(super) fn metadata(bytes: &[u8], format: Format) -> Result<Option<Vec<u8>>, img_parts::Error> {
    let stripped = match format {
        Format::Jpeg => jpeg(bytes)?,
        Format::Png => png(bytes)?,
        Format::Webp => webp(bytes)?,
        Format::Gif => return Ok(None),
    };
    Ok((stripped != bytes).then_some(stripped))
}

fn jpeg(bytes: &[u8]) -> Result<Vec<u8>, img_parts::Error> {
    let mut jpeg = Jpeg::from_bytes(Bytes::copy_from_slice(bytes))?;
    let segments = jpeg.segments_mut();
    segments.retain(|segment| keeps_jpeg_segment(segment.marker(), segment.contents()));
    // img-parts stops at the first scan and keeps the rest of the file as its "entropy": later scans,
    // the segments between them, and whatever follows the end of the image.
    if let Some(scan) = segments.last_mut().filter(|s| s.marker() == markers::SOS) {
        let rest = &bytes[bytes.len() - (scan.len_with_entropy() - scan.len())..];
        let kept = Bytes::from(jpeg_scans(rest));
        *scan = JpegSegment::new_with_entropy(markers::SOS, scan.contents().clone(), kept);
    }
    Ok(jpeg.encoder().bytes().to_vec())
}

/// JFIF, the ICC profile and Adobe's colour transform draw the picture; every other APPn and COM is
/// metadata (EXIF, XMP, MPF, IPTC, maker notes).
fn keeps_jpeg_segment(marker: u8, contents: &[u8]) -> bool {
    match marker {
        markers::APP0 => contents.starts_with(b"JFIF\0"),
        markers::APP2 => contents.starts_with(b"ICC_PROFILE\0"),
        markers::APP14 => contents.starts_with(b"Adobe"),
        markers::APP0..=markers::APP15 | markers::COM => false,
        _ => true,
    }
}

/// Copies the entropy-coded data and the segments between scans up to and including the end of image,
/// dropping metadata segments and anything after the end (e.g. the MPF images phones append).
fn jpeg_scans(rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rest.len());
    let mut at = 0;
    while at < rest.len() {
        let Some(next) = rest[at..].iter().position(|&b| b == markers::P) else {
            out.extend_from_slice(&rest[at..]);
            break;
        };
        out.extend_from_slice(&rest[at..at + next]);
        at += next;
        let Some(&marker) = rest.get(at + 1) else {
            break;
        };
        at += match marker {
            markers::EOI => {
                out.extend_from_slice(&[markers::P, markers::EOI]);
                break;
            }
            // A fill byte: the marker starts at the next 0xFF.
            markers::P => 1,
            markers::SOF0..=markers::SOF15 | markers::SOS..=0xFE => {
                let Some(end) = segment_end(rest, at) else {
                    break;
                };
                if keeps_jpeg_segment(marker, &rest[at + 4..end]) {
                    out.extend_from_slice(&rest[at..end]);
                }
                end - at
            }
            // Stuffed 0x00, restart markers and other markers without a length.
            _ => {
                out.extend_from_slice(&rest[at..at + 2]);
                2
            }
        };
    }
    out
}

/// Where the segment whose marker is at `at` ends; `None` when the file is truncated inside it.
fn segment_end(rest: &[u8], at: usize) -> Option<usize> {
    let length = u16::from_be_bytes([*rest.get(at + 2)?, *rest.get(at + 3)?]);
    let end = at + 2 + usize::from(length);
    (usize::from(length) >= 2 && end <= rest.len()).then_some(end)
}

/// Critical chunks, colour and transparency, pixel size, and APNG frames; not eXIf, tEXt/zTXt/iTXt
/// (where XMP lives), tIME or private chunks.
const PNG_KEPT: [&[u8; 4]; 20] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB",
    b"cICP", b"mDCV", b"mDCv", b"cLLI", b"cLLi", b"bKGD", b"pHYs", b"acTL", b"fcTL", b"fdAT",
];

fn png(bytes: &[u8]) -> Result<Vec<u8>, img_parts::Error> {
    let mut png = Png::from_bytes(Bytes::copy_from_slice(bytes))?;
    png.chunks_mut()
        .retain(|chunk| PNG_KEPT.contains(&&chunk.kind()));
    Ok(png.encoder().bytes().to_vec())
}

const WEBP_KEPT: [[u8; 4]; 7] = [
    webp::CHUNK_VP8X,
    webp::CHUNK_ICCP,
    webp::CHUNK_ANIM,
    webp::CHUNK_ANMF,
    webp::CHUNK_ALPH,
    webp::CHUNK_VP8,
    webp::CHUNK_VP8L,
];
/// The VP8X flags announcing EXIF and XMP chunks.
const WEBP_METADATA_FLAGS: u8 = 0b0000_1100;

fn webp(bytes: &[u8]) -> Result<Vec<u8>, img_parts::Error> {
    let mut webp = WebP::from_bytes(Bytes::copy_from_slice(bytes))?;
    let chunks = webp.chunks_mut();
    chunks.retain(|chunk| WEBP_KEPT.contains(&chunk.id()));
    let header = chunks
        .iter_mut()
        .find(|chunk| chunk.id() == webp::CHUNK_VP8X);
    if let Some(RiffContent::Data(data)) = header.map(|chunk| chunk.content_mut()) {
        if let Some(&flags) = data.first() {
            let mut cleared = data.to_vec();
            cleared[0] = flags & !WEBP_METADATA_FLAGS;
            *data = Bytes::from(cleared);
        }
    }
    Ok(webp.encoder().bytes().to_vec())
}
