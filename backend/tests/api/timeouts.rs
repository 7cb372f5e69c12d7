//! A request whose body does not arrive in time is answered and its connection
//! freed, without signing in.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{spawn_app, spawn_app_with, Backend};

/// The server's body deadline (10 s) and some slack.
const BODY_WAIT: Duration = Duration::from_secs(20);

/// Headers and half a body, then nothing: the server answers `body_timeout` after
/// its deadline and closes the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_times_out() {
    // Before any database work, so SQLite only.
    let app = spawn_app(Backend::Sqlite).await;
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let started = Instant::now();
    let head = "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\n\r\n{\"username\": \"al";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(BODY_WAIT, stream.read_to_end(&mut response))
        .await
        .expect("the connection ends")
        .expect("read");
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("\"body_timeout\""), "{response}");
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
}

/// A client that keeps sending (pings the server answers, pongs that answer no
/// ping of the server's) but never reads is closed once it has answered none of
/// the server's pings for `SOCKET_IDLE_TIMEOUT`, and its connection ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_whose_client_does_not_read_times_out() {
    let idle = Duration::from_secs(2);
    let app = spawn_app_with(Backend::Sqlite, |config| {
        config.socket_idle_timeout = idle;
    })
    .await;
    let alice = app.signup("alice").await;
    let mut socket = app.connect_with_small_buffer(&alice).await;
    let started = Instant::now();
    let mut sent = 0u32;
    loop {
        assert!(
            started.elapsed() < 10 * idle,
            "still open after {:?}",
            started.elapsed()
        );
        let frame = if sent % 2 == 0 {
            Message::Ping(b"are you there".to_vec().into())
        } else {
            Message::Pong(b"unsolicited".to_vec().into())
        };
        if socket.try_send(frame).await.is_err() {
            break;
        }
        sent += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(started.elapsed() >= idle, "{:?}", started.elapsed());
    // The close frame, unless the reset that ended the connection discarded it
    // unread (as Linux does), says why.
    let close = socket.next_close(Duration::from_secs(10)).await;
    assert!(
        close.as_ref().is_none_or(|c| c.code == CloseCode::Away),
        "{close:?}"
    );
}
