//! `spawn_app()`: a real server on a free port over a fresh database, and typed
//! HTTP and WebSocket clients to talk to it.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix_web::rt::System;
use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use parley::config::{LogFormat, Registration};
use parley::{Application, Config, StopHandle};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::server_log::ServerLog;

pub const JWT_SECRET: &str = "test secret that is long enough for HS256 keys";
pub const PASSWORD: &str = "correct horse battery";
/// Frames about the stream rather than in it.
pub const NOTICES: [&str; 4] = ["delivered", "read", "typing", "presence"];
/// How long a test waits for a frame it expects.
const FRAME_WAIT: Duration = Duration::from_secs(10);
/// How often [`wait_until`] checks again.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Writes a test once and runs it on both backends:
/// `async fn name(backend: Backend)` + `both_backends!(name);` gives `name::sqlite`
/// and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )+};
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub config: Config,
    pub client: reqwest::Client,
    /// The server's log, printed if the test fails.
    pub log: Arc<ServerLog>,
    /// The user who sends sentinels, signed up on first use.
    sentinel_sender: tokio::sync::OnceCell<TestUser>,
    /// Stops the server when the test ends (dropped with the app).
    _stop: oneshot::Sender<()>,
    /// Stops the server as SIGTERM would.
    stop: StopHandle,
    /// The server's thread, until [`TestApp::stop`] waits for it.
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Holds the SQLite database's directory until the test ends.
    _dir: Option<Arc<tempfile::TempDir>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- log of the server on port {} ---\n{}--- end of the log ---",
                self.port, self.log
            );
        }
    }
}

pub struct TestUser {
    pub id: i64,
    pub token: String,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with a chance to change the configuration first.
pub async fn spawn_app_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
    // The SQLite file and the attachments directory.
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("parley.db").display()),
        Backend::Postgres => crate::postgres::fresh_database().await,
    };
    let mut config = test_config(database_url);
    config.attachment_store = Some(dir.path().join("attachments").display().to_string());
    let dir = Some(Arc::new(dir));
    tweak(&mut config);
    start(config, dir).await
}

/// The configuration every test server starts from, on `database_url`.
pub fn test_config(database_url: String) -> Config {
    Config {
        database_url,
        bind: "127.0.0.1:0".parse().expect("address"),
        jwt_secret: Some(JWT_SECRET.into()),
        jwt_ttl: Duration::from_secs(3600),
        bcrypt_cost: 4,
        // High enough that only the rate-limit tests meet the limit.
        send_rate: 10_000.0,
        send_burst: 10_000.0,
        room_history_limit: 10_000,
        shutdown_grace: Duration::from_secs(10),
        socket_idle_timeout: Duration::from_secs(60),
        node_stale_after: Duration::from_secs(10),
        frontend_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../frontend"),
        workers: Some(2),
        metrics_token: None,
        cors_origins: Vec::new(),
        registration: Registration::Open,
        // Tests register many users from 127.0.0.1 and create many rooms: only
        // the tests of these limits set them low (and the socket cap below).
        register_rate: 10_000.0,
        register_burst: 10_000.0,
        room_rate: 10_000.0,
        room_burst: 10_000.0,
        membership_rate: 10_000.0,
        membership_burst: 10_000.0,
        // Tests that reconnect quickly may briefly hold more than 16 while
        // closed sockets are still being cleaned up.
        max_sockets_per_user: 1_000,
        trusted_proxies: Vec::new(),
        log_format: LogFormat::Text,
        // Beside the SQLite file; PostgreSQL tests set a directory of their own.
        attachment_store: None,
        attachment_max_bytes: 25 << 20,
        attachment_quota_bytes: 1 << 30,
        attachment_upload_ttl: Duration::from_secs(86_400),
        attachment_link_ttl: Duration::from_secs(86_400),
        push_endpoint_allowlist: vec!["fcm.googleapis.com".into(), "*.notify.windows.com".into()],
        push_previews: true,
        push_subject: "mailto:tests@parley.test".into(),
        push_allow_http: false,
    }
}

/// Starts a server as `main.rs` does, in an actix `System` of its own on a thread
/// of its own, with its log captured; it stops when the [`TestApp`] is dropped.
pub async fn start(config: Config, dir: Option<Arc<tempfile::TempDir>>) -> TestApp {
    let log = ServerLog::new();
    let (started, port) = oneshot::channel();
    let (stop, stopped) = oneshot::channel();
    let server = {
        let (config, log) = (config.clone(), Arc::clone(&log));
        move || serve(config, log, started, stopped)
    };
    let thread = std::thread::Builder::new()
        .name("test server".into())
        .spawn(server)
        .expect("start a server thread");
    let (port, stop_handle) = match port.await {
        Ok(Ok(started)) => started,
        Ok(Err(e)) => panic!("build the application: {e:#}\n--- server log ---\n{log}"),
        Err(_) => panic!("the server thread ended before it was built\n--- server log ---\n{log}"),
    };
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        config,
        client: reqwest::Client::new(),
        log,
        sentinel_sender: tokio::sync::OnceCell::new(),
        _stop: stop,
        stop: stop_handle,
        thread: std::sync::Mutex::new(Some(thread)),
        _dir: dir,
    }
}

/// The server thread: builds the application, reports its port, and serves until
/// `stop` fires or is dropped.
fn serve(
    config: Config,
    log: Arc<ServerLog>,
    started: oneshot::Sender<anyhow::Result<(u16, StopHandle)>>,
    stop: oneshot::Receiver<()>,
) {
    log.attach_thread();
    let runtime_log = Arc::clone(&log);
    let system = System::with_tokio_rt(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .on_thread_start(move || runtime_log.attach_thread())
            .build()
            .expect("a server runtime")
    });
    log.attach_system();
    system.block_on(async move {
        let app = match Application::build(config).await {
            Ok(app) => app,
            Err(e) => {
                let _ = started.send(Err(e));
                return;
            }
        };
        let _ = started.send(Ok((app.port(), app.stop_handle())));
        tokio::select! {
            served = app.run() => if let Err(e) = served {
                log::error!("the server stopped: {e}");
            },
            _ = stop => {}
        }
    });
    // Dropping the server stopped its workers; this ends their arbiters too.
    System::current().stop();
    let _ = system.run();
}

impl TestApp {
    /// Stops this server as SIGTERM would and waits until it has (and, on SQLite,
    /// has let go of the database).
    pub async fn stop(&self) {
        self.stop.stop();
        let thread = self.thread.lock().unwrap().take();
        if let Some(thread) = thread {
            tokio::task::spawn_blocking(move || thread.join())
                .await
                .expect("join the server thread")
                .expect("the server thread");
        }
    }

    /// Stops this server, then starts another over the same database, as after a
    /// restart.
    pub async fn start_again(&self) -> TestApp {
        self.stop().await;
        start(self.config.clone(), self._dir.clone()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// A request to `path` with `token` as its bearer token, to finish and send.
    pub fn request(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn register(&self, username: &str, password: &str) -> Response {
        self.post_json(
            "/register",
            &json!({"username": username, "password": password}),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post_json(
            "/login",
            &json!({"username": username, "password": password}),
        )
        .await
    }

    /// Registers `username` and logs in.
    pub async fn signup(&self, username: &str) -> TestUser {
        let registered = self.register(username, PASSWORD).await;
        assert_eq!(
            registered.status(),
            StatusCode::CREATED,
            "register {username}"
        );
        self.log_in(username).await
    }

    /// Logs `username` in: a new token, as on another device.
    pub async fn log_in(&self, username: &str) -> TestUser {
        let response = self.login(username, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "log {username} in");
        let session: Value = response.json().await.expect("json");
        TestUser {
            id: session["user"]["id"].as_i64().expect("user id"),
            token: session["access_token"].as_str().expect("token").to_owned(),
        }
    }

    /// The conversation page as JSON, asserting a 200.
    pub async fn history(&self, user: &TestUser, path: &str) -> Vec<Value> {
        let response = self.get(path, &user.token).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("json")
    }

    /// Sends `content` from `from` to user `to` over REST, asserting a 201; returns
    /// the stored message.
    pub async fn send_over_rest(&self, from: &TestUser, to: i64, content: &str) -> Value {
        let response = self
            .request(Method::POST, &format!("/messages/{to}"), &from.token)
            .json(&json!({ "content": content }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("json")
    }

    /// `GET /conversations` as `user` sees it, asserting a 200.
    pub async fn conversations(&self, user: &TestUser) -> Value {
        let response = self.get("/conversations", &user.token).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("json")
    }

    /// The row of `viewer`'s conversation with `peer` in `GET /conversations`.
    pub async fn conversation_with(&self, viewer: &TestUser, peer: i64) -> Value {
        self.conversations(viewer)
            .await
            .as_array()
            .expect("a list of conversations")
            .iter()
            .find(|c| c["peer"]["id"] == peer)
            .unwrap_or_else(|| panic!("no conversation with {peer}"))
            .clone()
    }

    /// User `user` as `viewer` sees them in `GET /users`.
    pub async fn listed_user(&self, viewer: &TestUser, user: i64) -> Value {
        let response = self.get("/users", &viewer.token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let users: Vec<Value> = response.json().await.expect("json");
        users
            .into_iter()
            .find(|u| u["id"] == user)
            .unwrap_or_else(|| panic!("user {user} is not listed"))
    }

    /// `method path` as `user`, with `body` as JSON if any.
    pub async fn call(
        &self,
        user: &TestUser,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = self.request(method, path, &user.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    /// Creates a room (`kind` "public" or "private") owned by `owner`, asserting a
    /// 201; returns its id.
    pub async fn create_room(&self, owner: &TestUser, name: &str, kind: &str) -> i64 {
        let body = json!({"name": name, "kind": kind});
        let response = self.call(owner, Method::POST, "/rooms", Some(body)).await;
        assert_eq!(response.status(), StatusCode::CREATED, "create room {name}");
        let room: Value = response.json().await.expect("json");
        room["id"].as_i64().expect("room id")
    }

    /// `user` joins public room `room`, asserting a 200.
    pub async fn join_room(&self, user: &TestUser, room: i64) {
        let path = format!("/rooms/{room}/join");
        let response = self.call(user, Method::POST, &path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "join room {room}");
    }

    /// The owner adds `user` to private room `room`, asserting a 201.
    pub async fn add_member(&self, owner: &TestUser, room: i64, user: &TestUser) {
        let path = format!("/rooms/{room}/members");
        let body = json!({ "user_id": user.id });
        let response = self.call(owner, Method::POST, &path, Some(body)).await;
        assert_eq!(response.status(), StatusCode::CREATED, "add to room {room}");
    }

    /// A page of a room's history as JSON, asserting a 200.
    pub async fn room_history(&self, user: &TestUser, path: &str) -> Value {
        let response = self.get(path, &user.token).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("json")
    }

    /// Room `room` as `user` sees it in `GET /rooms`, if listed.
    pub async fn listed_room(&self, user: &TestUser, room: i64) -> Option<Value> {
        let response = self.get("/rooms", &user.token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let rooms: Vec<Value> = response.json().await.expect("json");
        rooms.into_iter().find(|r| r["id"] == room)
    }

    /// Asserts that `method path` (with `body` as JSON, if any) is refused with
    /// `missing_token` without a token and `invalid_token` with a bad one.
    pub async fn expect_auth_required(&self, method: Method, path: &str, body: Option<&Value>) {
        let without_token = self.client.request(method.clone(), self.url(path));
        let bad_token = self.request(method, path, "garbage");
        let (without_token, bad_token) = match body {
            Some(body) => (without_token.json(body), bad_token.json(body)),
            None => (without_token, bad_token),
        };
        let response = without_token.send().await.expect("request");
        expect_error(response, StatusCode::UNAUTHORIZED, "missing_token", "").await;
        let response = bad_token.send().await.expect("request");
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token", "").await;
    }

    /// Sends `to` a sentinel: a message from a user of its own, over REST. The
    /// writer routes it to every socket of `to` after everything routed before this
    /// call, and the 201 comes after routing; so on each socket, whatever the
    /// actions the test already saw complete (acks, HTTP answers, a socket's
    /// earlier frames) sent it comes before this message. Returns its id, for
    /// [`Socket::frames_before`]. It adds a conversation with that user.
    pub async fn sentinel(&self, to: &TestUser) -> i64 {
        let sender = self
            .sentinel_sender
            .get_or_init(|| async { self.signup("sentinel").await })
            .await;
        self.send_over_rest(sender, to.id, "sentinel").await["id"]
            .as_i64()
            .expect("sentinel id")
    }

    /// The HTTP status of a WebSocket upgrade with `token`.
    pub async fn upgrade_status(&self, token: &str) -> StatusCode {
        match self.try_connect(token).await {
            Ok(_) => StatusCode::SWITCHING_PROTOCOLS,
            Err(tungstenite::Error::Http(response)) => {
                StatusCode::from_u16(response.status().as_u16()).expect("an HTTP status")
            }
            Err(other) => panic!("unexpected websocket error: {other}"),
        }
    }

    pub async fn connect(&self, user: &TestUser) -> Socket {
        self.try_connect(&user.token)
            .await
            .expect("websocket upgrade")
    }

    /// Connects and waits until the server has caught the socket up (`ready`); the
    /// catch-up frames are kept and come first from `next_json`.
    pub async fn try_connect(&self, token: &str) -> Result<Socket, tungstenite::Error> {
        self.try_connect_with(&format!("token={token}")).await
    }

    /// Like [`Self::connect`], replaying the stream after `since`.
    pub async fn connect_since(&self, user: &TestUser, since: i64) -> Socket {
        self.try_connect_with(&format!("token={}&since={since}", user.token))
            .await
            .expect("websocket upgrade")
    }

    pub async fn try_connect_with(&self, query: &str) -> Result<Socket, tungstenite::Error> {
        let url = format!("ws://127.0.0.1:{}/ws?{query}", self.port);
        let (ws, _) = tokio_tungstenite::connect_async(url).await?;
        Ok(Socket::caught_up(ws).await)
    }

    /// A socket whose kernel receive buffer is small and fixed (no autotuning), so a
    /// client that stops reading backs up into the server quickly and predictably.
    pub async fn connect_with_small_buffer(&self, user: &TestUser) -> Socket {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(16 * 1024).expect("SO_RCVBUF");
        let stream = socket
            .connect(([127, 0, 0, 1], self.port).into())
            .await
            .expect("connect");
        let url = format!("ws://127.0.0.1:{}/ws?token={}", self.port, user.token);
        let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
            .await
            .expect("websocket upgrade");
        Socket::caught_up(ws).await
    }
}

/// Asserts an API error by status and code (`what` names the case, the URL is added);
/// returns the body.
pub async fn expect_error(response: Response, status: StatusCode, code: &str, what: &str) -> Value {
    let url = response.url().clone();
    let actual = response.status();
    let text = response.text().await.expect("response body");
    assert_eq!(actual, status, "{what} ({url}): {text}");
    let body: Value = serde_json::from_str(&text).expect("an error body is JSON");
    assert_eq!(body["error"], code, "{what} ({url}): {text}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what} ({url}): an error explains itself: {text}"
    );
    body
}

/// Asserts a 422 `validation_failed` that names `field`; returns the body.
pub async fn expect_invalid(response: Response, field: &str, what: &str) -> Value {
    let body = expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        what,
    )
    .await;
    assert_eq!(body["field"], field, "{what}: {body}");
    body
}

/// Polls `check` until it holds, failing the test with `what` if it still does not
/// after `wait`.
pub async fn wait_until<F, Fut>(wait: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + wait;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} after {wait:?}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// An object's keys, sorted.
pub fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// A UTC timestamp as the API writes it (RFC 3339 ending in `Z`).
pub fn timestamp(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    assert!(text.ends_with('Z'), "{text} is not UTC");
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

pub struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// How the server ended the socket, once it did: said when a read fails.
    ended: Option<String>,
    /// Stream positions this socket was sent: a row sent twice fails the test.
    cursors: HashSet<i64>,
    /// Messages this socket was told were delivered: a second receipt fails the test.
    receipted: HashSet<i64>,
    ready_seen: bool,
    /// Catch-up frames read while waiting for `ready`.
    pending: VecDeque<Value>,
    /// The cursor the `ready` frame reported.
    pub ready_cursor: i64,
}

impl Socket {
    async fn caught_up(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        let mut socket = Socket {
            ws,
            ended: None,
            cursors: HashSet::new(),
            receipted: HashSet::new(),
            ready_seen: false,
            pending: VecDeque::new(),
            ready_cursor: 0,
        };
        loop {
            let frame = tokio::time::timeout(FRAME_WAIT, socket.read_text())
                .await
                .expect("timed out waiting for `ready`")
                .expect("socket closed before `ready`");
            if frame["type"] == "ready" {
                socket.ready_cursor = frame["cursor"].as_i64().expect("ready cursor");
                return socket;
            }
            socket.pending.push_back(frame);
        }
    }

    pub async fn send_json(&mut self, frame: Value) {
        self.send(Message::text(frame.to_string())).await;
    }

    /// Sends a frame that may fail (the server may have closed the connection).
    pub async fn try_send(&mut self, message: Message) -> Result<(), tungstenite::Error> {
        self.ws.send(message).await
    }

    pub async fn send(&mut self, message: Message) {
        self.ws.send(message).await.expect("send a frame");
    }

    /// Sends a direct message and returns the server's answer (ack or error).
    pub async fn send_message(&mut self, to: i64, content: &str) -> Value {
        self.send_json(json!({"type": "message", "recipient_id": to, "content": content}))
            .await;
        // The recipient's socket may write the message, and its receipt come back,
        // before this socket writes the ack: keep such receipts for the reads that
        // follow, as if they had come after it.
        let mut receipts = Vec::new();
        let reply = loop {
            let frame = self.next_frame().await;
            match frame["type"].as_str() {
                Some("delivered") => receipts.push(frame),
                Some(kind) if NOTICES.contains(&kind) => {}
                _ => break frame,
            }
        };
        for receipt in receipts.into_iter().rev() {
            self.pending.push_front(receipt);
        }
        reply
    }

    /// Sends a message to room `room` and returns the server's answer (ack or
    /// error); stream frames that come first are kept for the reads that follow.
    pub async fn send_to_room(&mut self, room: i64, content: &str) -> Value {
        self.send_json(json!({"type": "message", "room_id": room, "content": content}))
            .await;
        let mut earlier = Vec::new();
        let reply = loop {
            let frame = self.next_json().await;
            match frame["type"].as_str() {
                Some("ack" | "error") => break frame,
                _ => earlier.push(frame),
            }
        };
        for frame in earlier.into_iter().rev() {
            self.pending.push_front(frame);
        }
        reply
    }

    /// The next frame that is not a notice (receipt, typing or presence): a stream
    /// frame, an ack or an error. Fails the test if none comes in time.
    pub async fn next_json(&mut self) -> Value {
        loop {
            let frame = self.next_frame().await;
            if !NOTICES.contains(&frame["type"].as_str().unwrap_or_default()) {
                return frame;
            }
        }
    }

    /// The next frame of type `kind`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.next_frame().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// The next frame of any type.
    pub async fn next_frame(&mut self) -> Value {
        tokio::time::timeout(FRAME_WAIT, self.next_text())
            .await
            .expect("timed out waiting for a frame")
            .unwrap_or_else(|| panic!("socket closed while waiting for a frame: {:?}", self.ended))
    }

    /// The next text frame, or `None` once the server closed the socket.
    pub async fn next_text(&mut self) -> Option<Value> {
        match self.pending.pop_front() {
            Some(frame) => Some(frame),
            None => self.read_text().await,
        }
    }

    async fn read_text(&mut self) -> Option<Value> {
        while let Some(frame) = self.ws.next().await {
            match frame {
                Ok(Message::Text(text)) => {
                    let frame: Value = serde_json::from_str(&text).expect("server sent JSON");
                    self.check(&frame);
                    return Some(frame);
                }
                Ok(Message::Close(close)) => {
                    self.ended = Some(format!("closed with {close:?}"));
                    return None;
                }
                Err(e) => {
                    self.ended = Some(format!("failed: {e}"));
                    return None;
                }
                Ok(_) => {}
            }
        }
        None
    }

    /// What must hold for every frame a socket is sent, read or skipped: no stream
    /// row twice, no message in two `delivered` receipts, one `ready`.
    fn check(&mut self, frame: &Value) {
        match frame["type"].as_str() {
            Some("ready") => {
                assert!(!self.ready_seen, "a second `ready`: {frame}");
                self.ready_seen = true;
            }
            Some("delivered") => {
                for id in frame["message_ids"].as_array().expect("message_ids") {
                    let id = id.as_i64().expect("a message id");
                    assert!(
                        self.receipted.insert(id),
                        "message {id} receipted twice on one socket: {frame}"
                    );
                }
            }
            _ => {
                if let Some(cursor) = frame["cursor"].as_i64() {
                    assert!(
                        self.cursors.insert(cursor),
                        "stream row sent twice on one socket: {frame}"
                    );
                }
            }
        }
    }

    /// Waits until the server has handled every frame this socket sent before, and
    /// returns the frames that came meanwhile: sends a frame the server refuses
    /// (`invalid_frame`), whose error the socket answers in order, after handling
    /// the frames sent before it.
    pub async fn sync(&mut self) -> Vec<Value> {
        self.send_json(json!({"type": "sync", "client_id": "sync"}))
            .await;
        let mut before = Vec::new();
        loop {
            let frame = self.next_frame().await;
            if frame["type"] == "error" && frame["client_id"] == "sync" {
                assert_eq!(frame["code"], "invalid_frame", "{frame}");
                return before;
            }
            before.push(frame);
        }
    }

    /// The frames of the catch-up (before `ready`) not read yet.
    pub fn catch_up(&mut self) -> Vec<Value> {
        self.pending.drain(..).collect()
    }

    /// Asserts that every frame of the catch-up (before `ready`) has been read.
    /// Exact when the test writes nothing after connecting: the catch-up is all
    /// the socket can be sent.
    pub fn expect_caught_up(&self) {
        assert!(
            self.pending.is_empty(),
            "catch-up frames left unread: {:?}",
            self.pending
        );
    }

    /// Reads up to the sentinel message `id` (see [`TestApp::sentinel`]) and
    /// returns every frame before it, less those of the types in `skip`.
    pub async fn frames_before(&mut self, id: i64, skip: &[&str]) -> Vec<Value> {
        let mut before = Vec::new();
        loop {
            let frame = self.next_frame().await;
            if frame["type"] == "message" && frame["id"] == id {
                return before;
            }
            if !skip.contains(&frame["type"].as_str().unwrap_or_default()) {
                before.push(frame);
            }
        }
    }

    /// Asserts that nothing but frames of the types in `skip` comes before the
    /// sentinel message `id`.
    pub async fn expect_nothing_before(&mut self, id: i64, skip: &[&str]) {
        let before = self.frames_before(id, skip).await;
        assert!(
            before.is_empty(),
            "expected nothing before the sentinel, got {before:?}"
        );
    }

    /// The payload of the next pong.
    pub async fn next_pong(&mut self) -> Vec<u8> {
        tokio::time::timeout(FRAME_WAIT, async {
            while let Some(frame) = self.ws.next().await {
                if let Ok(Message::Pong(payload)) = frame {
                    return payload.to_vec();
                }
            }
            panic!("socket closed while waiting for a pong")
        })
        .await
        .expect("timed out waiting for a pong")
    }

    /// Asserts that no frame but notices arrives for `wait`. A fixed wait proves
    /// little on a slow machine: prefer a sentinel ([`TestApp::sentinel`],
    /// [`Self::sync`]). Kept for tests that have none.
    #[allow(dead_code)]
    pub async fn expect_silence(&mut self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, self.next_text()).await {
            assert!(
                NOTICES.contains(&frame["type"].as_str().unwrap_or_default()),
                "expected no frame, got {frame}"
            );
        }
    }

    /// The one frame of type `kind` that comes, however long the server takes to
    /// send it; fails if a second one follows within `quiet`.
    pub async fn only_one_of(&mut self, kind: &str, quiet: Duration) -> Value {
        let frame = self.next_of(kind).await;
        let more = self.frames_of(kind, quiet).await;
        assert!(more.is_empty(), "exactly one {kind}: {frame} and {more:?}");
        frame
    }

    /// Every frame of type `kind` that arrives within `wait`, in order; frames of
    /// other types are read and dropped.
    pub async fn frames_of(&mut self, kind: &str, wait: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut frames = Vec::new();
        while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, self.next_text()).await {
            if frame["type"] == kind {
                frames.push(frame);
            }
        }
        frames
    }

    /// The close frame the server sends, waiting at most `wait`.
    pub async fn next_close(
        &mut self,
        wait: Duration,
    ) -> Option<tungstenite::protocol::CloseFrame> {
        tokio::time::timeout(wait, async {
            while let Some(frame) = self.ws.next().await {
                match frame {
                    Ok(Message::Close(close)) => return close,
                    Err(_) => return None,
                    Ok(_) => {}
                }
            }
            None
        })
        .await
        .expect("timed out waiting for the socket to close")
    }

    pub async fn close(mut self) {
        // With a status code, as most clients close: the server echoes it. A close
        // frame without one it answers only by dropping the connection, about a
        // second later (logs.rs covers that path).
        let normal = tungstenite::protocol::CloseFrame {
            code: tungstenite::protocol::frame::coding::CloseCode::Normal,
            reason: "".into(),
        };
        let _ = self.ws.close(Some(normal)).await;
        // Wait for the server's side of the close, sent once it has unregistered
        // the socket (and told its peers if the user went offline).
        while let Some(Ok(frame)) = self.ws.next().await {
            if frame.is_close() {
                break;
            }
        }
    }
}
