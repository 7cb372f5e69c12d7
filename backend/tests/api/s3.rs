//! A throwaway S3-compatible server for the whole test run (moto's `moto_server`,
//! from PyPI), on a free loopback port; every test gets a fresh bucket of its own
//! on it. `scripts/test.sh` installs it (`backend/tests/requirements.txt`) into
//! `~/.cache/parley/test-venv`; `MOTO_SERVER` names another `moto_server`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::ObjectStore;

use crate::postgres::{free_port, spawn_for_the_run};

/// The credentials moto accepts (any); the region the buckets are made in.
pub const ACCESS_KEY_ID: &str = "parley-test";
pub const SECRET_ACCESS_KEY: &str = "parley-test-secret";
pub const REGION: &str = "us-east-1";

/// `http://127.0.0.1:<port>` of the shared server, started on first use.
pub fn endpoint() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(start_server)
}

/// A bucket of its own for one test, with the prefix a Parley node stores under.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub endpoint: String,
    pub name: String,
    pub prefix: String,
}

/// Creates a uniquely named, empty bucket.
pub async fn fresh_bucket() -> Bucket {
    let endpoint = endpoint().to_owned();
    let name = unique_name();
    // moto does not check signatures: a plain PUT makes a bucket.
    let response = reqwest::Client::new()
        .put(format!("{endpoint}/{name}"))
        .send()
        .await
        .expect("create a test bucket");
    assert!(
        response.status().is_success(),
        "create bucket {name}: {} {}",
        response.status(),
        response.text().await.unwrap_or_default()
    );
    Bucket {
        endpoint,
        name,
        prefix: "attachments".into(),
    }
}

impl Bucket {
    /// `ATTACHMENT_STORE` for a node that stores in this bucket.
    pub fn store_url(&self) -> String {
        format!("s3://{}/{}", self.name, self.prefix)
    }

    /// The environment a Parley process needs to use this bucket.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ATTACHMENT_STORE", self.store_url()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.into()),
            ("AWS_REGION", REGION.into()),
        ]
    }

    /// A client of the bucket, to look into it from a test.
    pub fn client(&self) -> Arc<dyn ObjectStore> {
        let store: AmazonS3 = AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_bucket_name(&self.name)
            .with_region(REGION)
            .with_access_key_id(ACCESS_KEY_ID)
            .with_secret_access_key(SECRET_ACCESS_KEY)
            .build()
            .expect("an S3 client");
        Arc::new(store)
    }

    /// Every key in the bucket, sorted.
    pub async fn keys(&self) -> Vec<String> {
        list_keys(self.client().as_ref()).await
    }
}

/// Every key in `store`, sorted.
async fn list_keys(store: &dyn ObjectStore) -> Vec<String> {
    let mut keys: Vec<String> = store
        .list(None)
        .map(|meta| meta.expect("list the store").location.to_string())
        .collect()
        .await;
    keys.sort();
    keys
}

fn unique_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "parley-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `moto_server` on a free loopback port. Like the PostgreSQL server, it is
/// started from a thread that lives as long as the test process, with a
/// parent-death signal, so it stops when the tests end however they end.
fn start_server() -> String {
    remove_stale_logs();
    let program = moto_server();
    let port = free_port();
    let log = log_path(std::process::id());
    let mut server = Command::new("setpriv");
    server
        .args(["--pdeathsig", "KILL"])
        .arg(&program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).map_or(Stdio::null(), Stdio::from));
    spawn_for_the_run(server).unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not start; see {}",
            log.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let endpoint = format!("http://127.0.0.1:{port}");
    // A node reads the S3 settings with object_store's `AmazonS3Builder::from_env`,
    // as a deployment does; every bucket here shares them, so they are set once,
    // as the server starts, for the nodes of every test to find.
    for (name, value) in [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        ("AWS_REGION", REGION),
    ] {
        std::env::set_var(name, value);
    }
    endpoint
}

/// `MOTO_SERVER`, else the one `scripts/test.sh` installs, else the one on `PATH`.
fn moto_server() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return path.into();
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")));
    let installed = cache.map(|dir| dir.join("parley/test-venv/bin/moto_server"));
    let on_path = || {
        std::env::var_os("PATH")
            .into_iter()
            .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
            .map(|dir| dir.join("moto_server"))
            .find(|path| path.is_file())
    };
    installed
        .filter(|path| path.is_file())
        .or_else(on_path)
        .expect(
            "moto_server not found: run scripts/test.sh (it installs \
             backend/tests/requirements.txt into ~/.cache/parley/test-venv), \
             or set MOTO_SERVER",
        )
}

fn log_path(pid: u32) -> PathBuf {
    std::env::temp_dir().join(format!("parley-test-s3-{pid}.log"))
}

/// Logs left by earlier runs whose process is gone.
fn remove_stale_logs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("parley-test-s3-")
            .and_then(|rest| rest.strip_suffix(".log"))
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The fixture itself: a bucket of its own, which object_store writes and reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_bucket_stores_and_returns_an_object() {
    use object_store::path::Path as Key;
    use object_store::ObjectStoreExt;

    let bucket = fresh_bucket().await;
    let other = fresh_bucket().await;
    assert_ne!(bucket.name, other.name);
    assert_eq!(bucket.keys().await, Vec::<String>::new());
    let env = bucket.env();
    assert!(
        env.contains(&(
            "ATTACHMENT_STORE",
            format!("s3://{}/attachments", bucket.name)
        )),
        "{env:?}"
    );

    let client = bucket.client();
    let key = Key::from(format!("{}/hello.txt", bucket.prefix));
    client
        .put(&key, b"hello, bucket".to_vec().into())
        .await
        .expect("put an object");
    let got = client.get(&key).await.expect("get it back");
    assert_eq!(
        got.bytes().await.expect("its bytes").as_ref(),
        b"hello, bucket"
    );
    assert_eq!(bucket.keys().await, ["attachments/hello.txt"]);
    assert_eq!(
        other.keys().await,
        Vec::<String>::new(),
        "buckets are apart"
    );

    client.delete(&key).await.expect("delete it");
    assert_eq!(bucket.keys().await, Vec::<String>::new());
}
