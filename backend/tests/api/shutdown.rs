//! Graceful shutdown of the real binary: SIGTERM in the middle of a stream of
//! sends answers what was taken, closes sockets with 1012, exits within the
//! grace period, and every acknowledged message is stored.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{JWT_SECRET, PASSWORD};

const SENDS: usize = 2000;
const GRACE: Duration = Duration::from_secs(10);

/// A server process, killed if the test ends before it does.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The binary, on the SQLite database in `dir`, and the port it listens on.
fn start(dir: &std::path::Path) -> (Server, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("parley.db").display()),
        )
        .env("BIND", "127.0.0.1:0")
        .env("JWT_SECRET", JWT_SECRET)
        .env("BCRYPT_COST", "4")
        .env("SEND_RATE", "100000")
        .env("SEND_BURST", "100000")
        .env("SHUTDOWN_GRACE", format!("{}s", GRACE.as_secs()))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the parley binary");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("the server printed its address")
            .expect("read stdout");
        if let Some(address) = line.strip_prefix("Parley listening on http://") {
            break address.rsplit(':').next().unwrap().parse().unwrap();
        }
    };
    (Server(child), port)
}

async fn session(client: &reqwest::Client, port: u16, username: &str) -> (i64, String) {
    let base = format!("http://127.0.0.1:{port}");
    let credentials = json!({"username": username, "password": PASSWORD});
    client
        .post(format!("{base}/register"))
        .json(&credentials)
        .send()
        .await
        .unwrap();
    let session: Value = client
        .post(format!("{base}/login"))
        .json(&credentials)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        session["user"]["id"].as_i64().unwrap(),
        session["access_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_nothing_that_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, port) = start(dir.path());
    let client = reqwest::Client::new();
    let (_, alice) = session(&client, port, "alice").await;
    let (bob_id, _) = session(&client, port, "bob").await;

    let url = format!("ws://127.0.0.1:{port}/ws?token={alice}");
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let (mut sink, mut frames) = ws.split();
    let sending = tokio::spawn(async move {
        for n in 0..SENDS {
            let frame = json!({"recipient_id": bob_id, "content": format!("m{n}"), "client_id": format!("c-{n}")});
            if sink.send(Message::text(frame.to_string())).await.is_err() {
                break;
            }
        }
    });

    // Once the stream of acks is flowing, stop the server.
    let mut acked = HashSet::new();
    let mut stopped_at = None;
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(20), frames.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let frame: Value = serde_json::from_str(&text).unwrap();
                if frame["type"] == "ack" {
                    acked.insert(frame["client_id"].as_str().unwrap().to_owned());
                }
                if acked.len() == 100 && stopped_at.is_none() {
                    let status = Command::new("kill")
                        .args(["-TERM", &server.0.id().to_string()])
                        .status()
                        .unwrap();
                    assert!(status.success());
                    stopped_at = Some(Instant::now());
                }
            }
            Ok(Some(Ok(Message::Close(close)))) => break close,
            Ok(Some(Ok(_))) => {}
            other => panic!("the socket ended without a close frame: {other:?}"),
        }
    };
    sending.abort();
    let close = close.expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Restart, "{close:?}");
    assert!(acked.len() < SENDS, "the shutdown came mid-stream");

    // The process ends by itself, in time, and cleanly.
    let stopped_at = stopped_at.expect("SIGTERM was sent");
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopped_at.elapsed() < GRACE + Duration::from_secs(5),
            "still running"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");

    // Every acknowledged message is in the database, once.
    let (_server, port) = start(dir.path());
    let (_, alice) = session(&client, port, "alice").await;
    let mut stored = Vec::new();
    let mut before = i64::MAX;
    loop {
        let page: Vec<Value> = client
            .get(format!(
                "http://127.0.0.1:{port}/messages/{bob_id}?limit=200&before={before}"
            ))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let Some(first) = page.first() else { break };
        before = first["id"].as_i64().unwrap();
        stored.extend(
            page.iter()
                .map(|m| m["client_id"].as_str().unwrap().to_owned()),
        );
    }
    let unique: HashSet<String> = stored.iter().cloned().collect();
    assert_eq!(unique.len(), stored.len(), "nothing stored twice");
    let lost: Vec<&String> = acked.difference(&unique).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
}
