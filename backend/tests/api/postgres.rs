//! A throwaway PostgreSQL server for the whole test run, started from the machine's
//! PostgreSQL binaries, or the server named by `TEST_DATABASE_URL`. Every test gets
//! a fresh database of its own on it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// `postgres://…/` without a database name.
fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("TEST_DATABASE_URL") {
        Ok(url) => url
            .trim_end_matches('/')
            .rsplit_once('/')
            .map_or(url.clone(), |(server, _)| server.to_owned()),
        Err(_) => start_throwaway_server(),
    })
}

/// Creates a uniquely named database and returns its URL.
pub async fn fresh_database() -> String {
    let server = server_url();
    let name = format!("parley_test_{}", unique_suffix());
    let mut admin = admin_connection(server).await;
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    format!("{server}/{name}")
}

/// The server accepts TCP a moment before it accepts queries: retry briefly.
async fn admin_connection(server: &str) -> AsyncPgConnection {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match AsyncPgConnection::establish(&format!("{server}/postgres")).await {
            Ok(conn) => return conn,
            Err(e) if Instant::now() > deadline => panic!("cannot connect to {server}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// initdb + postgres on a free loopback port, in a temporary directory. The server
/// is started from a thread that lives as long as the test process, with a
/// parent-death signal, so it shuts down when the tests end however they end.
fn start_throwaway_server() -> String {
    remove_stale_clusters();
    let cluster = Cluster::init(&std::process::id().to_string());
    let server = cluster.server();
    spawn_for_the_run(server)
        .unwrap_or_else(|e| panic!("cannot start postgres (is PostgreSQL installed?): {e}"));
    cluster.wait_until_listening();
    cluster.url()
}

/// Starts `server` from a thread that lives as long as the test process: a server
/// started with a parent-death signal then stops when the tests end, however they
/// end.
pub fn spawn_for_the_run(mut server: Command) -> Result<(), String> {
    let (started, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let child = server.spawn();
        let failed = child.is_err();
        let _ = started.send(child.map(|_| ()).map_err(|e| e.to_string()));
        if !failed {
            // Keep this thread, the server's parent, alive until the process exits.
            loop {
                std::thread::park();
            }
        }
    });
    wait.recv()
        .map_err(|_| "the launcher thread ended".to_owned())?
}

/// A cluster directory made by initdb, with the port its server listens on.
pub struct Cluster {
    root: PathBuf,
    data: PathBuf,
    bin: PathBuf,
    as_root: bool,
    port: u16,
}

impl Cluster {
    /// A new cluster in `parley-test-pg-<name>` under the temporary directory;
    /// `name` starts with this process's id, so later runs can clean it up.
    pub fn init(name: &str) -> Self {
        let bin = postgres_bin_dir();
        let root = std::env::temp_dir().join(format!("parley-test-pg-{name}"));
        let data = root.join("data");
        std::fs::create_dir_all(&root).expect("create the cluster directory");
        let as_root = is_root();
        if as_root {
            // PostgreSQL refuses to run as root: hand the directory to `postgres`.
            run(Command::new("chown").args(["-R", "postgres:"]).arg(&root));
        }
        run(unprivileged(as_root, &bin.join("initdb"))
            .args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data));
        Self {
            root,
            data,
            bin,
            as_root,
            port: free_port(),
        }
    }

    /// `postgres://…` without a database name.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    /// The server's command: it gets SIGQUIT (immediate shutdown) when the thread
    /// that spawns it ends.
    pub fn server(&self) -> Command {
        let mut server = Command::new("setpriv");
        server.args(["--pdeathsig", "QUIT"]);
        if self.as_root {
            server.args(["--reuid=postgres", "--regid=postgres", "--init-groups"]);
        }
        server
            .arg(self.bin.join("postgres"))
            .arg("-D")
            .arg(&self.data)
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(&self.root)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=500",
            ])
            .stdout(Stdio::null())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.root.join("server.log"))
                    .map_or(Stdio::null(), Stdio::from),
            );
        server
    }

    pub fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "postgres did not start; see {}/server.log",
                self.root.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn postgres_bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return dir.into();
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file());
    let packaged = || {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path().join("bin"))
            .filter(|dir| dir.join("initdb").is_file())
            .collect();
        dirs.sort();
        dirs.pop()
    };
    on_path.or_else(packaged).expect(
        "PostgreSQL binaries (initdb, postgres) not found: install PostgreSQL, set PG_BIN, \
         or point TEST_DATABASE_URL at a server",
    )
}

/// Clusters left by earlier runs whose process is gone.
fn remove_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("parley-test-pg-")
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn unprivileged(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

fn run(command: &mut Command) {
    let output = command.output().expect("run a PostgreSQL setup command");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}
