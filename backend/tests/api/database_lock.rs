//! One Parley process per SQLite database: a second server (or `parley migrate`)
//! on the same file refuses to start and says why; once the first has stopped, or
//! died, the next one starts. PostgreSQL is shared freely.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, JWT_SECRET};
use crate::process::Server;

/// Runs the binary on the SQLite database in `dir` to its end (at most 20 s).
fn run_to_end(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(args)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("parley.db").display()),
        )
        .env("BIND", "127.0.0.1:0")
        .env("JWT_SECRET", JWT_SECRET)
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "still running after 20 s: {}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Refused, saying that another process uses this database.
fn refused(output: &Output, dir: &Path) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stdout}\n{stderr}");
    assert!(!stdout.contains("Parley listening"), "{stdout}");
    let database = dir.join("parley.db");
    assert!(
        stderr.contains("another Parley process")
            && stderr.contains(&database.display().to_string()),
        "{stderr}"
    );
}

async fn healthy(client: &reqwest::Client, server: &Server) {
    let response = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_second_process_on_one_sqlite_file_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut first = Server::start(dir.path(), &[]);
    healthy(&client, &first).await;

    refused(&run_to_end(dir.path(), &[]), dir.path());
    refused(&run_to_end(dir.path(), &["migrate"]), dir.path());
    // The first one never noticed.
    let (_, token) = first.session(&client, "alice").await;
    let me = client
        .get(first.url("/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    // Once it has stopped, the database is free again.
    let stop = Command::new("kill")
        .args(["-TERM", &first.child.id().to_string()])
        .status()
        .unwrap();
    assert!(stop.success());
    assert!(first.child.wait().unwrap().success());
    let migrated = run_to_end(dir.path(), &["migrate"]);
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let second = Server::start(dir.path(), &[]);
    healthy(&client, &second).await;

    // A process that dies holds nothing: the kernel lets go of the lock.
    drop(second); // SIGKILL
    let third = Server::start(dir.path(), &[]);
    healthy(&client, &third).await;
}

/// In one process too: a second server on the same database while the first
/// runs (SQLite refuses, PostgreSQL allows), and after it has stopped.
async fn a_server_holds_its_sqlite_database_until_it_stops(backend: Backend) {
    let app = spawn_app(backend).await;
    let second = parley::Application::build(app.config.clone()).await;
    match backend {
        Backend::Sqlite => {
            let Err(error) = second else {
                panic!("a second server started on the same SQLite database");
            };
            assert!(
                error.to_string().contains("another Parley process"),
                "{error}"
            );
        }
        Backend::Postgres => {
            second.unwrap();
        }
    }

    app.stop().await;
    let again = app.start_again().await;
    let response = again
        .client
        .get(again.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
both_backends!(a_server_holds_its_sqlite_database_until_it_stops);
