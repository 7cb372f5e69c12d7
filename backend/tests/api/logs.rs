//! Log output of the real binary: one line per request and per socket event,
//! naming the user and the connection; `LOG_FORMAT=json` makes each line a JSON
//! object; bearer tokens never appear.

use futures_util::SinkExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::process::Server;

fn json(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
}

#[tokio::test]
async fn json_logs_name_the_user_and_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("LOG_FORMAT", "json"), ("RUST_LOG", "info")]);
    let client = reqwest::Client::new();
    let (alice, token) = server.session(&client, "alice").await;
    client
        .get(server.url("/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    client.get(server.url("/me")).send().await.unwrap();

    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://127.0.0.1:{}/ws?token={token}",
        server.port
    ))
    .await
    .unwrap();
    ws.send(Message::Close(None)).await.unwrap();

    let signed_in = json(&server.log_line(|l| l.contains("GET /me\\\" 200")).await);
    assert_eq!(signed_in["level"], "INFO");
    assert!(signed_in["ts"].as_str().unwrap().ends_with('Z'));
    let msg = signed_in["msg"].as_str().unwrap();
    assert!(msg.ends_with(&format!("user={alice}")), "{msg}");
    let refused = json(&server.log_line(|l| l.contains("GET /me\\\" 401")).await);
    assert!(
        refused["msg"].as_str().unwrap().ends_with("user=-"),
        "{refused}"
    );

    let upgrade = json(&server.log_line(|l| l.contains("GET /ws\\\" 101")).await);
    assert!(upgrade["msg"]
        .as_str()
        .unwrap()
        .ends_with(&format!("user={alice}")));
    let opened = json(&server.log_line(|l| l.contains("socket opened")).await);
    let opened = opened["msg"].as_str().unwrap();
    let conn = opened
        .strip_prefix(&format!("socket opened user={alice} conn="))
        .unwrap_or_else(|| panic!("{opened}"));
    let closed = json(&server.log_line(|l| l.contains("socket closed")).await);
    assert_eq!(
        closed["msg"],
        format!("socket closed user={alice} conn={conn} code=-"),
    );

    // The WebSocket token travels in the URL; the log leaves query strings out.
    let logs = server.logs();
    assert!(logs.iter().all(|l| !l.contains(&token)), "{logs:#?}");
    assert!(logs.iter().all(|l| l.starts_with('{')), "{logs:#?}");
}

/// Without the web app's directory, start-up says so once, as a warning (the
/// static file service would log an error per worker), and unknown paths still
/// get the JSON 404.
#[tokio::test]
async fn a_missing_frontend_dir_is_one_warning_and_no_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-frontend");
    let server = Server::start(
        dir.path(),
        &[
            ("FRONTEND_DIR", missing.to_str().unwrap()),
            ("LOG_FORMAT", "json"),
            ("RUST_LOG", "info"),
            // One worker: once it has answered, it has built its services.
            ("WORKERS", "1"),
        ],
    );
    let response = reqwest::get(server.url("/index.html")).await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");

    // The request's log line comes after anything logged while starting.
    server.log_line(|l| l.contains("GET /index.html")).await;
    let logs = server.logs();
    let levels = |level: &str| -> Vec<Value> {
        logs.iter()
            .map(|l| json(l))
            .filter(|l| l["level"] == level)
            .collect()
    };
    assert_eq!(levels("ERROR"), Vec::<Value>::new(), "{logs:#?}");
    let warnings = levels("WARN");
    assert_eq!(warnings.len(), 1, "{logs:#?}");
    assert!(
        warnings[0]["msg"]
            .as_str()
            .unwrap()
            .contains("FRONTEND_DIR"),
        "{warnings:?}"
    );
}
