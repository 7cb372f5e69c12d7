//! The file every upload sends: random (incompressible) bytes, generated once and
//! streamed from memory in chunks, as fast as the connection takes them or paced.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use rand::RngCore;
use reqwest::multipart::Part;
use reqwest::Body;
use sha2::{Digest, Sha256};
use tokio::time::{sleep_until, Instant};

/// What a client reading a file from disk hands to its socket at a time.
pub const CHUNK: usize = 64 * 1024;

/// The first bytes: text that no image or other sniffed format starts with, so that
/// the server stores every upload as a plain file (random bytes could, rarely, open
/// like a known format).
const MARKER: &[u8] = b"parley-bench\n";

pub struct Payload {
    bytes: Bytes,
    /// Hex, as the server reports it.
    pub sha256: String,
}

impl Payload {
    pub fn random(size: usize) -> Self {
        let mut bytes = vec![0; size];
        rand::rng().fill_bytes(&mut bytes);
        let marker = MARKER.len().min(size);
        bytes[..marker].copy_from_slice(&MARKER[..marker]);
        let mut sha256 = String::with_capacity(64);
        for byte in Sha256::digest(&bytes) {
            let _ = write!(sha256, "{byte:02x}");
        }
        Self {
            bytes: Bytes::from(bytes),
            sha256,
        }
    }

    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The payload in [`CHUNK`]-sized slices of the one buffer (no copies).
    pub fn chunks(&self) -> impl Iterator<Item = Bytes> + Send + 'static {
        let bytes = self.bytes.clone();
        (0..bytes.len())
            .step_by(CHUNK)
            .map(move |at| bytes.slice(at..(at + CHUNK).min(bytes.len())))
    }

    /// The multipart part `file` named `name`, with its length known (so the request
    /// carries a Content-Length). With `rate` (bytes per second), each chunk leaves
    /// once the rate allows every byte up to its end, as from a client on a slow
    /// link: the whole file takes its length over the rate.
    pub fn part(&self, name: String, rate: Option<f64>) -> Part {
        let start = Instant::now();
        let body = stream::iter(self.chunks().enumerate()).then(move |(index, chunk)| async move {
            if let Some(rate) = rate {
                let sent = index * CHUNK + chunk.len();
                sleep_until(start + Duration::from_secs_f64(sent as f64 / rate)).await;
            }
            Ok::<_, Infallible>(chunk)
        });
        Part::stream_with_length(Body::wrap_stream(body), self.len()).file_name(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_payload_once() {
        let payload = Payload::random(3 * CHUNK + 7);
        let joined: Vec<u8> = payload.chunks().flat_map(|chunk| chunk.to_vec()).collect();
        assert_eq!(joined, payload.bytes);
        assert_eq!(payload.chunks().count(), 4);
        assert!(joined.starts_with(MARKER));
        assert_eq!(payload.sha256.len(), 64);
    }
}
