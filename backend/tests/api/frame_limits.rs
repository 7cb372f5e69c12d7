//! The WebSocket frame-size limit is enforced on frame headers: a client that
//! declares a frame (or a fragmented message) over 256 KiB is closed with 1009
//! before the server buffers its payload. A raw TCP client, so that the test can
//! declare sizes it never sends.
//!
//! The limit lives in the socket layer, before any database work, so SQLite only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;

use crate::helpers::{spawn_app, Backend, TestApp};

const LIMIT: u64 = 256 * 1024;
const TEXT: u8 = 0x1;
const CONTINUATION: u8 = 0x0;
const CLOSE: u8 = 0x8;
const WAIT: Duration = Duration::from_secs(10);

/// Opens `/ws` by hand and returns the stream after the 101.
async fn raw_socket(app: &TestApp, token: &str) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("connect");
    let request = format!(
        "GET /ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    // Byte by byte, so that no frame after the response is consumed here.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.expect("response head"));
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    stream
}

/// A masked client frame header declaring `length` payload bytes.
fn header(fin: bool, opcode: u8, length: u64) -> Vec<u8> {
    let mut bytes = vec![if fin { 0x80 } else { 0 } | opcode, 0x80 | 127];
    bytes.extend_from_slice(&length.to_be_bytes());
    // A zero mask leaves the payload as sent.
    bytes.extend_from_slice(&[0; 4]);
    bytes
}

/// Reads server frames until a close frame; returns its code.
async fn close_code(reader: &mut OwnedReadHalf) -> u16 {
    loop {
        let first = reader.read_u8().await.expect("a frame");
        let short = reader.read_u8().await.expect("a frame") & 0x7F;
        let length = match short {
            126 => u64::from(reader.read_u16().await.expect("length")),
            127 => reader.read_u64().await.expect("length"),
            short => u64::from(short),
        };
        let mut payload = vec![0; usize::try_from(length).expect("length")];
        reader.read_exact(&mut payload).await.expect("payload");
        if first & 0x0F == CLOSE {
            return u16::from_be_bytes([payload[0], payload[1]]);
        }
    }
}

/// Reads until the server ends the connection (EOF or reset).
async fn until_closed(reader: &mut OwnedReadHalf) {
    let mut buffer = [0; 4096];
    while let Ok(read) = reader.read(&mut buffer).await {
        if read == 0 {
            break;
        }
    }
}

/// An 8 GiB header with no payload at all: the close comes anyway, so the size
/// was judged on the header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_huge_frame_is_closed_on_its_header() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.signup("alice").await;
    let (mut reader, mut writer) = raw_socket(&app, &alice.token).await.into_split();
    writer
        .write_all(&header(true, TEXT, 8 << 30))
        .await
        .expect("write");
    let code = tokio::time::timeout(WAIT, close_code(&mut reader))
        .await
        .expect("closed on the header alone");
    assert_eq!(code, 1009);
    tokio::time::timeout(WAIT, until_closed(&mut reader))
        .await
        .expect("the connection ends after the close frame");
}

/// A client streaming an 8 GiB frame is closed with 1009 and cut off: the server
/// reads on only to discard, for actix's client-disconnect timeout (1 s), then
/// ends the connection, long before 256 MiB at 32 MiB/s (a server buffering the
/// frame would take them all and never answer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_huge_frame_is_cut_off() {
    const BOUND: u64 = 256 << 20;
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.signup("alice").await;
    let (mut reader, mut writer) = raw_socket(&app, &alice.token).await.into_split();
    let sent = Arc::new(AtomicU64::new(0));
    let streaming = tokio::spawn({
        let sent = sent.clone();
        async move {
            writer.write_all(&header(true, TEXT, 8 << 30)).await?;
            let chunk = vec![b'x'; 64 * 1024];
            let mut pace = tokio::time::interval(Duration::from_millis(2));
            // Bounded: a server that buffered everything fails the test, not the machine.
            while sent.load(Ordering::Relaxed) < BOUND {
                pace.tick().await;
                writer.write_all(&chunk).await?;
                sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
            std::io::Result::Ok(())
        }
    });
    let code = tokio::time::timeout(WAIT, close_code(&mut reader))
        .await
        .expect("a close frame");
    assert_eq!(code, 1009);
    tokio::time::timeout(WAIT, until_closed(&mut reader))
        .await
        .expect("the connection ends after the close frame");
    let written = tokio::time::timeout(2 * WAIT, streaming)
        .await
        .expect("the writer stops")
        .expect("the writer task");
    let sent = sent.load(Ordering::Relaxed);
    assert!(written.is_err(), "the server took all {sent} bytes");
}

/// A fragmented message counts as one frame: the fragment that takes it over the
/// limit is refused on its header, before its payload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragmented_message_over_the_limit_is_closed_on_the_header() {
    let app = spawn_app(Backend::Sqlite).await;
    let alice = app.signup("alice").await;
    let (mut reader, mut writer) = raw_socket(&app, &alice.token).await.into_split();
    let first = LIMIT - 1000;
    let mut bytes = header(false, TEXT, first);
    bytes.extend(std::iter::repeat_n(b'x', first as usize));
    bytes.extend(header(true, CONTINUATION, 2000));
    writer.write_all(&bytes).await.expect("write");
    let code = tokio::time::timeout(WAIT, close_code(&mut reader))
        .await
        .expect("closed on the continuation's header");
    assert_eq!(code, 1009);
}
