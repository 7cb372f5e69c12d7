//! Enforces the frame-size limit on WebSocket frame headers, before the payload
//! arrives.
//!
//! actix-http's codec checks a frame's declared length only once the whole frame
//! is buffered (`Parser::parse` waits for `header + length` bytes first), and
//! actix-ws's `MessageStream` keeps reading into that buffer: a client declaring
//! an 8 GiB frame made the server buffer whatever it sent. This stream sits
//! between the connection and the `MessageStream`, reads every frame header as the
//! bytes pass, and ends the stream with [`PayloadError::Overflow`] as soon as a
//! header declares a frame (or a fragmented message) over the limit, so at most
//! the limit plus one header is ever buffered per socket.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::Stream;

/// The longest frame header: 2 bytes, a 64-bit length and a 4-byte mask.
const MAX_HEADER: usize = 14;
const OPCODE_CONTINUATION: u8 = 0x0;
const OPCODE_CLOSE: u8 = 0x8;

pub struct FrameGuard<S> {
    inner: S,
    limit: u64,
    /// Bytes of the current header read so far.
    header: [u8; MAX_HEADER],
    header_read: usize,
    /// Payload bytes of the current frame still to pass.
    payload_left: u64,
    /// Declared payload of the data message being received (fragments summed).
    message: u64,
    state: State,
}

enum State {
    Open,
    /// An oversized header was found after the bytes just passed: the error is next.
    Failing,
    Ended,
}

impl<S> FrameGuard<S> {
    pub fn new(inner: S, limit: usize) -> Self {
        Self {
            inner,
            limit: u64::try_from(limit).unwrap_or(u64::MAX),
            header: [0; MAX_HEADER],
            header_read: 0,
            payload_left: 0,
            message: 0,
            state: State::Open,
        }
    }

    /// Follows the frame boundaries through `chunk`. Returns the offset of the
    /// first header that declares too much, if any.
    fn scan(&mut self, chunk: &[u8]) -> Option<usize> {
        let mut at = 0;
        // A header begun in an earlier chunk starts here for this chunk.
        let mut header_start = 0;
        while at < chunk.len() {
            if self.payload_left > 0 {
                let skip = usize::try_from(self.payload_left)
                    .unwrap_or(usize::MAX)
                    .min(chunk.len() - at);
                at += skip;
                // `skip` is at most `payload_left`.
                self.payload_left -= skip as u64;
                continue;
            }
            if self.header_read == 0 {
                header_start = at;
            }
            self.header[self.header_read] = chunk[at];
            self.header_read += 1;
            at += 1;
            let Some(needed) = header_len(&self.header[..self.header_read]) else {
                continue;
            };
            if self.header_read < needed {
                continue;
            }
            let length = declared_length(&self.header[..needed]);
            self.header_read = 0;
            if !self.admit(length) {
                return Some(header_start);
            }
            self.payload_left = length;
        }
        None
    }

    /// Whether a frame of `length` keeps within the limit, alone and as part of
    /// its message.
    fn admit(&mut self, length: u64) -> bool {
        let fin = self.header[0] & 0x80 != 0;
        let opcode = self.header[0] & 0x0F;
        if length > self.limit {
            return false;
        }
        // Control frames may come between fragments and are not part of them.
        if opcode >= OPCODE_CLOSE {
            return true;
        }
        self.message = if opcode == OPCODE_CONTINUATION {
            self.message.saturating_add(length)
        } else {
            length
        };
        let admitted = self.message <= self.limit;
        if fin {
            self.message = 0;
        }
        admitted
    }
}

/// The length of a header from its first bytes (`None` until two are known).
fn header_len(header: &[u8]) -> Option<usize> {
    let second = *header.get(1)?;
    let extended = match second & 0x7F {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let mask = if second & 0x80 != 0 { 4 } else { 0 };
    Some(2 + extended + mask)
}

/// The payload length a complete header declares.
fn declared_length(header: &[u8]) -> u64 {
    match header[1] & 0x7F {
        126 => u64::from(u16::from_be_bytes([header[2], header[3]])),
        127 => {
            let mut bytes = [0; 8];
            bytes.copy_from_slice(&header[2..10]);
            u64::from_be_bytes(bytes)
        }
        short => u64::from(short),
    }
}

impl<S> Stream for FrameGuard<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match &mut this.state {
            State::Open => {}
            State::Failing => {
                this.state = State::Ended;
                return Poll::Ready(Some(Err(PayloadError::Overflow)));
            }
            State::Ended => return Poll::Ready(None),
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => match this.scan(&chunk) {
                None => Poll::Ready(Some(Ok(chunk))),
                Some(0) => {
                    this.state = State::Ended;
                    Poll::Ready(Some(Err(PayloadError::Overflow)))
                }
                Some(offset) => {
                    this.state = State::Failing;
                    Poll::Ready(Some(Ok(chunk.slice(..offset))))
                }
            },
            other => other,
        }
    }
}

/// Whether a frame stream's error is this guard's refusal.
pub fn is_overflow(error: &std::io::Error) -> bool {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<PayloadError>())
        .is_some_and(|inner| matches!(inner, PayloadError::Overflow))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream::{iter, StreamExt};

    /// A masked client frame header declaring `length` bytes.
    fn header(fin: bool, opcode: u8, length: u64) -> Vec<u8> {
        let mut bytes = vec![if fin { 0x80 } else { 0 } | opcode];
        if length < 126 {
            bytes.push(0x80 | length as u8);
        } else if length <= u64::from(u16::MAX) {
            bytes.push(0x80 | 126);
            bytes.extend_from_slice(&(length as u16).to_be_bytes());
        } else {
            bytes.push(0x80 | 127);
            bytes.extend_from_slice(&length.to_be_bytes());
        }
        bytes.extend_from_slice(&[1, 2, 3, 4]);
        bytes
    }

    fn frame(fin: bool, opcode: u8, length: usize) -> Vec<u8> {
        let mut bytes = header(fin, opcode, length as u64);
        bytes.extend(std::iter::repeat_n(b'x', length));
        bytes
    }

    /// Runs `bytes` through a guard in chunks of `chunk` bytes: what passed, and
    /// whether it ended with the overflow error.
    async fn run(bytes: Vec<u8>, chunk: usize, limit: usize) -> (Vec<u8>, bool) {
        let chunks: Vec<Result<Bytes, PayloadError>> = bytes
            .chunks(chunk)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let mut guard = FrameGuard::new(iter(chunks), limit);
        let mut passed = Vec::new();
        while let Some(item) = guard.next().await {
            match item {
                Ok(bytes) => passed.extend_from_slice(&bytes),
                Err(PayloadError::Overflow) => return (passed, true),
                Err(other) => panic!("unexpected {other}"),
            }
        }
        (passed, false)
    }

    #[tokio::test]
    async fn frames_within_the_limit_pass_unchanged_in_any_chunking() {
        let mut bytes = frame(true, 1, 100);
        bytes.extend(frame(true, 2, 1000));
        bytes.extend(frame(false, 1, 400));
        bytes.extend(frame(true, 9, 4)); // a ping between fragments
        bytes.extend(frame(true, 0, 600));
        bytes.extend(frame(true, 1, 0));
        for chunk in [1, 2, 3, 7, 14, 100, 5000] {
            assert_eq!(
                run(bytes.clone(), chunk, 1000).await,
                (bytes.clone(), false)
            );
        }
    }

    #[tokio::test]
    async fn an_oversized_header_ends_the_stream_before_its_payload() {
        let mut bytes = frame(true, 1, 10);
        let before = bytes.len();
        bytes.extend(header(true, 1, 8 << 30));
        bytes.extend(std::iter::repeat_n(b'x', 5000));
        for chunk in [1, 5, 13, 4096] {
            let (passed, overflow) = run(bytes.clone(), chunk, 1000).await;
            assert!(overflow, "chunk {chunk}");
            // At most the part of the header that came in earlier chunks passes.
            assert!(bytes.starts_with(&passed), "chunk {chunk}");
            assert!(
                (before..before + MAX_HEADER).contains(&passed.len()),
                "chunk {chunk}: {} passed",
                passed.len()
            );
        }
    }

    #[tokio::test]
    async fn a_fragmented_message_counts_as_one_frame() {
        let mut bytes = frame(false, 1, 600);
        bytes.extend(frame(true, 9, 4));
        let before = bytes.len();
        bytes.extend(frame(true, 0, 600));
        let (passed, overflow) = run(bytes.clone(), 64, 1000).await;
        assert!(overflow);
        assert_eq!(passed, bytes[..before]);
        // A control frame over the limit is refused too.
        assert!(run(frame(true, 9, 2000), 64, 1000).await.1);
    }
}
