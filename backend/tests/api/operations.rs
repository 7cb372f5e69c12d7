//! What operators use: health and readiness probes, `parley migrate` and
//! `parley --version`.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend};

async fn health_and_readiness_need_no_token(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, status) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({ "status": status }), "{path}");
    }
    let response = app.client.post(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}
both_backends!(health_and_readiness_need_no_token);

#[test]
fn migrate_applies_the_migrations_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("fresh").join("parley.db");
    let output = Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("migrate")
        .env("DATABASE_URL", format!("sqlite://{}", database.display()))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "SQLite: every migration is applied\n"
    );
    assert!(database.is_file(), "the database was created");
    // Again: nothing left to do, same answer.
    let again = Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("migrate")
        .env("DATABASE_URL", format!("sqlite://{}", database.display()))
        .output()
        .unwrap();
    assert!(again.status.success(), "{again:?}");
}

#[test]
fn version_names_the_release() {
    let output = Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("parley {}\n", env!("CARGO_PKG_VERSION"))
    );
}
