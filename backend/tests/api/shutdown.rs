//! Graceful shutdown of the real binary: SIGTERM in the middle of a stream of
//! sends answers what was taken, closes sockets with 1012, exits within the
//! grace period, and every acknowledged message is stored. With nothing left to
//! wait for, it exits at once, cleanly and without complaint.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

use crate::process::Server;

const SENDS: usize = 2000;
const GRACE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_nothing_that_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let grace = format!("{}s", GRACE.as_secs());
    let mut server = Server::start(dir.path(), &[("SHUTDOWN_GRACE", &grace)]);
    let port = server.port;
    let client = reqwest::Client::new();
    let (_, alice) = server.session(&client, "alice").await;
    let (bob_id, _) = server.session(&client, "bob").await;

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
                        .args(["-TERM", &server.child.id().to_string()])
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
        if let Some(status) = server.child.try_wait().unwrap() {
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
    let server = Server::start(dir.path(), &[]);
    let port = server.port;
    let (_, alice) = server.session(&client, "alice").await;
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

/// A grace period no test below may come near.
const LONG_GRACE: &str = "30s";
/// "Within a few seconds": workers look for open connections once a second.
const PROMPTLY: Duration = Duration::from_secs(5);

/// The binary with a long grace period, the web app (so that start-up has nothing
/// to warn about) and JSON logs at `info`.
fn start_quiet(dir: &std::path::Path) -> Server {
    let frontend = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../frontend");
    Server::start(
        dir,
        &[
            ("SHUTDOWN_GRACE", LONG_GRACE),
            ("FRONTEND_DIR", frontend.to_str().unwrap()),
            ("LOG_FORMAT", "json"),
            ("RUST_LOG", "info"),
        ],
    )
}

/// Sends SIGTERM and waits for the process to end: its status and how long it
/// took.
async fn terminate(server: &mut Server) -> (ExitStatus, Duration) {
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let sent = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return (status, sent.elapsed());
        }
        assert!(
            sent.elapsed() < Duration::from_secs(20),
            "still running 20 s after SIGTERM:\n{}",
            server.logs().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Exited 0, promptly, said goodbye, and logged no warning or error at all.
async fn stopped_cleanly(server: &mut Server) {
    let (status, took) = terminate(server).await;
    server
        .log_line(|l| l.contains("every queued write is stored; bye"))
        .await;
    let logs = server.logs();
    assert!(status.success(), "{status}:\n{}", logs.join("\n"));
    assert!(took < PROMPTLY, "took {took:?}:\n{}", logs.join("\n"));
    for line in &logs {
        let line: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            line["level"] != "WARN" && line["level"] != "ERROR",
            "{line}\nin:\n{}",
            logs.join("\n")
        );
    }
}

#[tokio::test]
async fn an_idle_server_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start_quiet(dir.path());
    stopped_cleanly(&mut server).await;
}

/// Clients came and went; the HTTP client still holds an idle keep-alive
/// connection, which the server closes itself.
#[tokio::test]
async fn a_server_whose_clients_left_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start_quiet(dir.path());
    let client = reqwest::Client::new();
    let (_, alice) = server.session(&client, "alice").await;
    let (bob_id, _) = server.session(&client, "bob").await;

    let url = format!("ws://127.0.0.1:{}/ws?token={alice}", server.port);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let frame = json!({"recipient_id": bob_id, "content": "hi", "client_id": "c-1"});
    ws.send(Message::text(frame.to_string())).await.unwrap();
    loop {
        let Message::Text(text) = ws.next().await.unwrap().unwrap() else {
            continue;
        };
        if serde_json::from_str::<Value>(&text).unwrap()["type"] == "ack" {
            break;
        }
    }
    ws.close(None).await.unwrap();
    while ws.next().await.is_some() {}
    server.log_line(|l| l.contains("socket closed")).await;

    stopped_cleanly(&mut server).await;
    drop(client);
}

/// An open socket that sends nothing is asked to reconnect (1012) and does not
/// hold the server up.
#[tokio::test]
async fn an_open_idle_socket_gets_1012_and_the_server_stops_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start_quiet(dir.path());
    let client = reqwest::Client::new();
    let (_, alice) = server.session(&client, "alice").await;
    let url = format!("ws://127.0.0.1:{}/ws?token={alice}", server.port);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    server.log_line(|l| l.contains("socket opened")).await;

    let reading = tokio::spawn(async move {
        let mut close = None;
        // Answers the close frame and reads until the server ends the stream.
        while let Some(Ok(frame)) = ws.next().await {
            if let Message::Close(frame) = frame {
                close = frame;
            }
        }
        close
    });
    stopped_cleanly(&mut server).await;
    let close = tokio::time::timeout(PROMPTLY, reading)
        .await
        .expect("the socket ended")
        .unwrap()
        .expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Restart, "{close:?}");
}
