//! A request whose body does not arrive in time is answered and its connection
//! freed, without signing in.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app, Backend};

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
