//! A database outage is answered as one: while PostgreSQL is stopped, REST calls get
//! `503 unavailable` with `Retry-After` and socket frames an `unavailable` error with
//! `retry_after_ms`, promptly; once it is back the server recovers by itself, and
//! every acknowledged message is stored exactly once. The test stops a PostgreSQL
//! server of its own (SQLite cannot be stopped), not the one the other tests share.

use std::collections::HashMap;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, wait_until, Backend, Socket, TestApp};
use crate::postgres::Cluster;

/// An outage answer must come well before the pool's 10 s wait for a connection.
const ANSWER_BOUND: Duration = Duration::from_secs(3);

/// A PostgreSQL server this test can stop and start again on the same port.
struct StoppablePostgres {
    cluster: Cluster,
    server: Option<Child>,
}

impl StoppablePostgres {
    fn start() -> Self {
        let cluster = Cluster::init(&format!("{}-outage", std::process::id()));
        let mut postgres = Self {
            cluster,
            server: None,
        };
        postgres.run();
        postgres
    }

    /// Called from the test's own thread: the server dies with it (parent-death
    /// signal) however the test ends.
    fn run(&mut self) {
        let child = self.cluster.server().spawn().expect("start postgres");
        self.server = Some(child);
        self.cluster.wait_until_listening();
    }

    /// What `pg_ctl stop -m fast` does: SIGINT, then wait until the server is gone.
    fn stop(&mut self) {
        self.signal("INT");
    }

    fn signal(&mut self, signal: &str) {
        if let Some(mut server) = self.server.take() {
            let _ = Command::new("kill")
                .args([format!("-{signal}"), server.id().to_string()])
                .status();
            let _ = server.wait();
        }
    }
}

impl Drop for StoppablePostgres {
    fn drop(&mut self) {
        self.signal("QUIT");
        self.cluster.remove();
    }
}

/// The server listens a moment before it accepts queries ("starting up").
async fn accepting_queries(url: &str) {
    use diesel_async::{AsyncConnection, AsyncPgConnection};
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Err(e) = AsyncPgConnection::establish(url).await {
        assert!(Instant::now() < deadline, "postgres did not start: {e}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Asserts a `503 unavailable` with `Retry-After`, answered within the bound.
async fn expect_unavailable(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) {
    let mut request = app.request(method.clone(), path, token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let started = Instant::now();
    let response = request.send().await.expect("request");
    let took = started.elapsed();
    assert_eq!(
        response.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "{method} {path}"
    );
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        retry_after >= 1,
        "{method} {path}: Retry-After {retry_after}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unavailable", "{method} {path}: {body}");
    assert!(body["retry_after_ms"].as_u64().unwrap() >= 1, "{body}");
    assert!(took < ANSWER_BOUND, "{method} {path} took {took:?}");
    eprintln!("outage: {method} {path} answered 503 in {took:?}");
}

/// Sends `content` with `client_id` and returns the answer (ack or error).
async fn send(socket: &mut Socket, to: i64, content: &str, client_id: &str) -> Value {
    socket
        .send_json(json!({"type": "message", "recipient_id": to, "content": content, "client_id": client_id}))
        .await;
    loop {
        let frame = socket.next_json().await;
        if frame["type"] == "ack" || frame["type"] == "error" {
            return frame;
        }
    }
}

/// Keeps sending on `socket` to `to` one message at a time, as the web app does:
/// an `unavailable` answer is retried with the same `client_id` after its
/// `retry_after_ms`. Stops once `done` is set and nothing is unacknowledged;
/// returns the acknowledged `client_id`s with their message ids.
async fn keep_sending(mut socket: Socket, to: i64, done: &AtomicBool) -> HashMap<String, i64> {
    let mut acked = HashMap::new();
    for n in 0.. {
        if done.load(Ordering::Relaxed) {
            break;
        }
        let client_id = format!("load-{n}");
        loop {
            let answer = send(&mut socket, to, &format!("load {n}"), &client_id).await;
            if answer["type"] == "ack" {
                assert_eq!(answer["client_id"], client_id.as_str());
                acked.insert(client_id, answer["message_id"].as_i64().unwrap());
                break;
            }
            assert_eq!(answer["code"], "unavailable", "{answer}");
            assert_eq!(answer["client_id"], client_id.as_str(), "{answer}");
            let wait = answer["retry_after_ms"].as_u64().unwrap();
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
        // A steady load, small enough for one history page.
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_is_answered_as_an_outage_and_recovered_from() {
    let mut postgres = StoppablePostgres::start();
    let url = format!("{}/postgres", postgres.cluster.url());
    accepting_queries(&url).await;
    // The SQLite directory spawn_app_with makes goes unused.
    let app = spawn_app_with(Backend::Sqlite, |config| config.database_url = url).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let dave = app.signup("dave").await;
    let mut from_alice = app.connect(&alice).await;
    let mut to_bob = app.connect(&bob).await;
    let from_carol = app.connect(&carol).await;

    let done = AtomicBool::new(false);
    // The outage and recovery, while carol keeps sending to dave. Both run on this
    // thread, the one that starts the server (see `StoppablePostgres::run`).
    let scenario = async {
        let before = send(&mut from_alice, bob.id, "before", "a-1").await;
        assert_eq!(before["type"], "ack", "{before}");
        assert_eq!(to_bob.next_json().await["content"], "before");

        postgres.stop();

        let readyz = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(readyz.status(), StatusCode::SERVICE_UNAVAILABLE);
        let conversation = format!("/messages/{}", bob.id);
        let token = alice.token.as_str();
        expect_unavailable(&app, Method::GET, &conversation, token, None).await;
        expect_unavailable(&app, Method::GET, "/users", token, None).await;
        expect_unavailable(&app, Method::GET, "/conversations", token, None).await;
        expect_unavailable(&app, Method::GET, "/rooms", token, None).await;
        let rest_send = json!({"content": "over REST", "client_id": "a-rest"});
        expect_unavailable(
            &app,
            Method::POST,
            &conversation,
            token,
            Some(rest_send.clone()),
        )
        .await;
        expect_unavailable(
            &app,
            Method::POST,
            "/rooms",
            token,
            Some(json!({"name": "lobby", "kind": "public"})),
        )
        .await;
        let login = json!({"username": "alice", "password": crate::helpers::PASSWORD});
        expect_unavailable(&app, Method::POST, "/login", "", Some(login)).await;

        // Over the socket, which stays open: the send and a read receipt.
        let started = Instant::now();
        let refused = send(&mut from_alice, bob.id, "during", "a-2").await;
        assert!(
            started.elapsed() < ANSWER_BOUND,
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(refused["type"], "error", "{refused}");
        assert_eq!(refused["code"], "unavailable", "{refused}");
        assert_eq!(refused["client_id"], "a-2");
        assert!(
            refused["retry_after_ms"].as_u64().unwrap() >= 1,
            "{refused}"
        );
        to_bob
            .send_json(json!({"type": "read", "peer_id": alice.id, "up_to": before["message_id"]}))
            .await;
        let refused = to_bob.next_json().await;
        assert_eq!(refused["code"], "unavailable", "{refused}");
        // A new socket is refused before the upgrade.
        assert_eq!(
            app.upgrade_status(&bob.token).await,
            StatusCode::SERVICE_UNAVAILABLE
        );

        postgres.run();
        wait_until(
            Duration::from_secs(20),
            "/readyz after the restart",
            || async {
                let readyz = app.client.get(app.url("/readyz")).send().await.unwrap();
                readyz.status() == StatusCode::OK
            },
        )
        .await;

        // The same socket sends again with the same client_id, as the web app does.
        let resent = send(&mut from_alice, bob.id, "during", "a-2").await;
        assert_eq!(resent["type"], "ack", "{resent}");
        assert_eq!(resent["duplicate"], false, "{resent}");
        assert_eq!(to_bob.next_json().await["content"], "during");
        let response = app
            .request(Method::POST, &conversation, token)
            .json(&rest_send)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        // A new socket (which may first get the REST message, if its delivery to
        // bob's other socket is not recorded yet).
        let mut again = app.connect(&bob).await;
        let back = send(&mut again, alice.id, "back", "b-1").await;
        assert_eq!(back["type"], "ack", "{back}");

        done.store(true, Ordering::Relaxed);
    };
    let (acked, ()) = tokio::join!(keep_sending(from_carol, dave.id, &done), scenario);
    let history = app
        .history(&carol, &format!("/messages/{}?limit=200", dave.id))
        .await;
    let mut stored: HashMap<String, i64> = HashMap::new();
    for message in &history {
        let client_id = message["client_id"].as_str().unwrap().to_owned();
        let id = message["id"].as_i64().unwrap();
        assert!(
            stored.insert(client_id, id).is_none(),
            "stored twice: {message}"
        );
    }
    assert!(history.len() < 200, "the load outgrew one history page");
    assert_eq!(stored, acked, "stored and acknowledged differ");
    let with_bob: Vec<_> = app
        .history(&alice, &format!("/messages/{}", bob.id))
        .await
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(with_bob, ["before", "during", "over REST", "back"]);
}
