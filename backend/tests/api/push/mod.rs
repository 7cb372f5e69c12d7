//! Web Push end to end: a stand-in push service on loopback (`push_service.py`,
//! in the test venv that `scripts/test.sh` makes) hands out subscriptions as a
//! browser's push service would, checks each push's VAPID signature, audience and
//! expiry, and decrypts it with `http_ece`; the tests read what it decrypted.

mod delivery;
mod subscriptions;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, wait_until, Backend, TestApp, TestUser};
use crate::postgres::{free_port, spawn_for_the_run};

/// `http://127.0.0.1:<port>` of the stand-in, started on first use.
fn service() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(start_service)
}

fn start_service() -> String {
    let port = free_port();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/push/push_service.py");
    let mut server = Command::new("setpriv");
    server
        .args(["--pdeathsig", "KILL"])
        .arg(python())
        .arg(&script)
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    spawn_for_the_run(server).unwrap_or_else(|e| panic!("cannot start the push stand-in: {e}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the push stand-in did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    format!("http://127.0.0.1:{port}")
}

/// The test venv's Python (with `http_ece`), else the one on `PATH`.
fn python() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")));
    cache
        .map(|dir| dir.join("parley/test-venv/bin/python3"))
        .filter(|path| path.exists())
        .unwrap_or_else(|| "python3".into())
}

/// A server whose allowlist is the stand-in (over plain http, as tests may).
async fn app_with_push(backend: Backend, previews: bool) -> TestApp {
    service();
    spawn_app_with(backend, |config| {
        config.push_endpoint_allowlist = vec!["127.0.0.1".into()];
        config.push_allow_http = true;
        config.push_previews = previews;
    })
    .await
}

/// A browser's subscription, as `pushManager.subscribe(...).toJSON()` gives it.
async fn new_subscription() -> Value {
    reqwest::get(format!("{}/new", service()))
        .await
        .expect("the stand-in")
        .json()
        .await
        .expect("json")
}

/// Stores `subscription` for `user`, asserting it was new.
async fn subscribe(app: &TestApp, user: &TestUser, subscription: &Value) {
    let response = app
        .call(
            user,
            Method::POST,
            "/push/subscriptions",
            Some(subscription.clone()),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED, "subscribe");
}

/// What the stand-in got for `subscription`: `pushes` (decrypted), `attempts`
/// and `refused` (why pushes failed its checks).
async fn received(subscription: &Value) -> Value {
    let id = subscription["endpoint"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    reqwest::get(format!("{}/received/{id}", service()))
        .await
        .expect("the stand-in")
        .json()
        .await
        .expect("json")
}

/// Waits until `subscription` has `count` pushes and returns them; a push that
/// failed the stand-in's checks fails the test.
async fn pushes(subscription: &Value, count: usize) -> Vec<Value> {
    wait_until(
        Duration::from_secs(20),
        &format!("{count} pushes"),
        || async {
            let got = received(subscription).await;
            assert_eq!(got["refused"], json!([]), "pushes the stand-in refused");
            got["pushes"].as_array().unwrap().len() >= count
        },
    )
    .await;
    let got = received(subscription).await;
    got["pushes"].as_array().unwrap().clone()
}

/// Makes the stand-in answer `subscription`'s next `times` pushes with `status`.
async fn answer_with(subscription: &Value, status: u16, times: u32) {
    let id = subscription["endpoint"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let response = reqwest::Client::new()
        .post(format!(
            "{}/answer/{id}?status={status}&times={times}",
            service()
        ))
        .send()
        .await
        .expect("the stand-in");
    assert!(response.status().is_success());
}
