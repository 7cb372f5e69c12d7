//! Attachments through the real interfaces: `POST /attachments`, the downloads
//! and their signed links, sending them over the socket and REST, the limits, and
//! what deletes the files. Where the store matters, each test runs on both
//! databases and both stores: a local directory and a bucket on the throwaway
//! S3-compatible server (see `s3.rs`).

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use parley::Config;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{spawn_app_with, Backend, Socket, TestApp, TestUser};
use crate::s3::{fresh_bucket, Bucket};

mod access;
mod cluster;
mod download;
mod images;
mod lifecycle;
mod limits;
mod links;
mod send;
mod upload;

/// Where a test's server keeps its files.
#[derive(Debug, Clone, Copy)]
pub enum Store {
    Local,
    S3,
}

/// Writes a test once as `async fn name(backend: Backend, store: Store)` and runs
/// it on both databases and both stores: `name::sqlite_local`, `name::sqlite_s3`,
/// `name::postgres_local`, `name::postgres_s3`.
#[macro_export]
macro_rules! every_backend_and_store {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use $crate::attachments::Store;
            use $crate::helpers::Backend;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_local() {
                super::$name(Backend::Sqlite, Store::Local).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_s3() {
                super::$name(Backend::Sqlite, Store::S3).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_local() {
                super::$name(Backend::Postgres, Store::Local).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_s3() {
                super::$name(Backend::Postgres, Store::S3).await
            }
        }
    )+};
}

/// A test's store, kept as long as its server: a directory of its own or a
/// bucket of its own.
#[derive(Clone)]
pub enum TestStore {
    Local(Arc<tempfile::TempDir>),
    S3(Bucket),
}

impl TestStore {
    pub async fn new(kind: Store) -> Self {
        match kind {
            Store::Local => TestStore::Local(Arc::new(tempfile::tempdir().expect("temp dir"))),
            Store::S3 => TestStore::S3(fresh_bucket().await),
        }
    }

    /// Points `config` at this store, as `ATTACHMENT_STORE` would (the `AWS_*`
    /// settings are the process's: see `s3.rs`).
    pub fn configure(&self, config: &mut Config) {
        config.attachment_store = Some(match self {
            TestStore::Local(dir) => dir.path().display().to_string(),
            TestStore::S3(bucket) => bucket.store_url(),
        });
    }

    /// Every object the server has stored (files and thumbnails), sorted. In a
    /// directory, hidden entries (files still arriving) are not objects.
    pub async fn keys(&self) -> Vec<String> {
        match self {
            TestStore::Local(dir) => {
                let mut keys = Vec::new();
                visible_files(dir.path(), dir.path(), &mut keys);
                keys.sort();
                keys
            }
            TestStore::S3(bucket) => bucket.keys().await,
        }
    }
}

/// The files under `dir`, relative to `root`, but for hidden ones.
fn visible_files(root: &Path, dir: &Path, files: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read the store").flatten() {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            visible_files(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).expect("under the root");
            files.push(relative.display().to_string());
        }
    }
}

/// A server with a store of its own.
pub struct AttachmentApp {
    pub app: TestApp,
    pub store: TestStore,
}

impl std::ops::Deref for AttachmentApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// A server on `backend` storing in a fresh `store`, with `tweak` applied last.
pub async fn spawn(
    backend: Backend,
    store: Store,
    tweak: impl FnOnce(&mut Config),
) -> AttachmentApp {
    let store = TestStore::new(store).await;
    let app = spawn_app_with(backend, |config| {
        store.configure(config);
        tweak(config);
    })
    .await;
    AttachmentApp { app, store }
}

/// A `multipart/form-data` body written out by hand, so that a test controls
/// every byte of it (file names with quotes, parts without a file).
#[derive(Default)]
pub struct Multipart {
    body: Vec<u8>,
}

const BOUNDARY: &str = "------------------------parleytestboundary7d3f";

impl Multipart {
    /// A part as `curl -F file=@<filename>` sends it; `"` and `\` in the name are
    /// escaped as a quoted-string.
    pub fn file(self, filename: &str, content_type: &str, bytes: &[u8]) -> Self {
        let quoted = filename.replace('\\', "\\\\").replace('"', "\\\"");
        self.part(
            &format!("form-data; name=\"file\"; filename=\"{quoted}\""),
            Some(content_type),
            bytes,
        )
    }

    /// A part with this `Content-Disposition` and optional `Content-Type`.
    pub fn part(mut self, disposition: &str, content_type: Option<&str>, bytes: &[u8]) -> Self {
        let mut head = format!("--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n");
        if let Some(content_type) = content_type {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        head.push_str("\r\n");
        self.body.extend_from_slice(head.as_bytes());
        self.body.extend_from_slice(bytes);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    pub fn content_type() -> String {
        format!("multipart/form-data; boundary={BOUNDARY}")
    }

    /// The whole body, closing delimiter included.
    pub fn finish(mut self) -> Vec<u8> {
        self.body
            .extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        self.body
    }
}

/// `POST /attachments` with `body` as `token`.
pub async fn post_upload(app: &TestApp, token: &str, body: Multipart) -> Response {
    app.client
        .post(app.url("/attachments"))
        .bearer_auth(token)
        .header(CONTENT_TYPE, Multipart::content_type())
        .body(body.finish())
        .send()
        .await
        .expect("request")
}

/// Uploads `bytes` as `filename` (declared `application/octet-stream`, as curl
/// does for an unknown extension), asserting a 201; returns the description.
pub async fn upload(app: &TestApp, user: &TestUser, filename: &str, bytes: &[u8]) -> Value {
    let body = Multipart::default().file(filename, "application/octet-stream", bytes);
    let response = post_upload(app, &user.token, body).await;
    let status = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(status, StatusCode::CREATED, "upload {filename}: {text}");
    serde_json::from_str(&text).expect("json")
}

/// An attachment's id.
pub fn id(attachment: &Value) -> String {
    attachment["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {attachment}"))
        .to_owned()
}

/// An attachment's signed `url` (or `thumbnail_url` with `field`).
pub fn link(attachment: &Value, field: &str) -> String {
    attachment[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field}: {attachment}"))
        .to_owned()
}

/// `GET path` with no `Authorization` header, as an `<img src>` fetches it.
pub async fn fetch(app: &TestApp, path: &str) -> Response {
    app.client.get(app.url(path)).send().await.expect("request")
}

/// The body of a 200 answer to `GET path` (signed, no token), asserting the 200.
pub async fn fetch_bytes(app: &TestApp, path: &str) -> Vec<u8> {
    let response = fetch(app, path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.bytes().await.expect("body").to_vec()
}

/// Asserts that `path` (signed) serves the file `upload` describes: its size and
/// SHA-256 (an image's are those of the cleaned copy that was stored).
pub async fn assert_serves(app: &TestApp, path: &str, upload: &Value) {
    let got = fetch_bytes(app, path).await;
    assert_eq!(
        (got.len(), sha256_hex(&got)),
        (
            upload["size"].as_u64().expect("a size") as usize,
            upload["sha256"].as_str().expect("a sha256").to_owned()
        ),
        "GET {path} serves {upload}"
    );
}

/// A PNG of `width` × `height` pixels.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, image::ImageFormat::Png)
}

/// A JPEG of `width` × `height` pixels.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, image::ImageFormat::Jpeg)
}

fn encode(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut bytes = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut bytes, format)
        .expect("encode an image");
    bytes.into_inner()
}

/// `len` bytes that are not any known file type.
pub fn noise(len: usize) -> Vec<u8> {
    (0..len).map(|n| (n * 7 + n / 251) as u8 | 0x80).collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Sends a message frame to `target` (`{"recipient_id": …}` or `{"room_id": …}`)
/// with `content` and `attachments` (none: no field), and returns the answer: the ack or the
/// error (notices before it are skipped).
pub async fn send_frame(
    socket: &mut Socket,
    target: Value,
    content: &str,
    attachments: &[String],
    client_id: &str,
) -> Value {
    let mut frame = target;
    frame["type"] = json!("message");
    frame["content"] = json!(content);
    if !attachments.is_empty() {
        frame["attachments"] = json!(attachments);
    }
    frame["client_id"] = json!(client_id);
    socket.send_json(frame).await;
    loop {
        let answer = socket.next_json().await;
        if ["ack", "error"].contains(&answer["type"].as_str().unwrap_or_default()) {
            return answer;
        }
    }
}

/// `POST path` (`/messages/{user}` or `/rooms/{id}/messages`) with `content` and
/// `attachments` (none: no field).
pub async fn send_rest(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    content: &str,
    attachments: &[String],
    client_id: &str,
) -> Response {
    let mut body = json!({"content": content, "client_id": client_id});
    if !attachments.is_empty() {
        body["attachments"] = json!(attachments);
    }
    app.call(user, Method::POST, path, Some(body)).await
}

/// What a message carries of an attachment described by its upload.
pub fn carried(upload: &Value) -> Value {
    let fields = ["id", "name", "content_type", "size", "width", "height"];
    let mut carried = json!({});
    for field in fields {
        carried[field] = upload[field].clone();
    }
    carried
}

/// Asserts that `message` (a frame or history row) carries exactly `uploads`, in
/// order, each with signed links; returns its attachments.
pub fn assert_carries(message: &Value, uploads: &[&Value]) -> Vec<Value> {
    let attachments = message["attachments"]
        .as_array()
        .unwrap_or_else(|| panic!("no attachments array: {message}"))
        .clone();
    assert_eq!(attachments.len(), uploads.len(), "{message}");
    for (attachment, upload) in attachments.iter().zip(uploads) {
        assert_eq!(
            crate::helpers::keys(attachment),
            [
                "content_type",
                "height",
                "id",
                "name",
                "size",
                "thumbnail_url",
                "url",
                "width"
            ],
            "{attachment}"
        );
        let mut without_links = attachment.clone();
        let object = without_links.as_object_mut().unwrap();
        object.remove("url");
        let thumbnail = object.remove("thumbnail_url").unwrap();
        assert_eq!(without_links, carried(upload), "{message}");
        let id = id(upload);
        assert!(
            link(attachment, "url").starts_with(&format!("/attachments/{id}?expires=")),
            "{attachment}"
        );
        assert_eq!(
            thumbnail.is_null(),
            upload["thumbnail_url"].is_null(),
            "{attachment}"
        );
    }
    attachments
}
