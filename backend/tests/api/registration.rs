//! Registration: limited per client address, closed by `REGISTRATION=closed`, and
//! never crowding out logins in the bcrypt queue.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{expect_error, spawn_app_with, wait_until, Backend, PASSWORD};
use parley::config::Registration;

async fn registrations_are_limited_per_address(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.register_rate = 0.01;
        config.register_burst = 3.0;
    })
    .await;
    // Refused input costs no hash and takes nothing from the allowance.
    let response = app.register("no spaces allowed", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for name in ["alice", "bob", "carol"] {
        assert_eq!(
            app.register(name, PASSWORD).await.status(),
            StatusCode::CREATED
        );
    }
    let response = app.register("dave", PASSWORD).await;
    let retry_after: u64 = response.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // One every 100 s.
    assert!(
        (90..=100).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    let body = expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "dave",
    )
    .await;
    assert!(
        body["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0),
        "{body}"
    );
    // Dave was not stored; the others can log in.
    assert_eq!(
        app.login("dave", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.login("carol", PASSWORD).await.status(), StatusCode::OK);
}
both_backends!(registrations_are_limited_per_address);

async fn closed_registration_is_refused(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.registration = Registration::Closed;
    })
    .await;
    let response = app.register("alice", PASSWORD).await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "registration_closed",
        "closed",
    )
    .await;
    // Even invalid input gets the same answer: there is nothing to correct.
    let response = app.register("a", "short").await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "registration_closed",
        "invalid",
    )
    .await;
    assert_eq!(
        app.login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
both_backends!(closed_registration_is_refused);

/// Registrations flooding the bcrypt pool fill only their own queue: correct
/// logins still get in (they once failed 38 of 38 times with 503).
async fn correct_logins_pass_while_registrations_flood(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.bcrypt_cost = 8).await;
    app.signup("alice").await;

    let stop = Arc::new(AtomicBool::new(false));
    let busy = Arc::new(AtomicUsize::new(0));
    let flooders: Vec<_> = (0..24)
        .map(|n| {
            let (client, url) = (app.client.clone(), app.url("/register"));
            let (stop, busy) = (stop.clone(), busy.clone());
            tokio::spawn(async move {
                let mut attempt = 0;
                while !stop.load(Ordering::Relaxed) {
                    attempt += 1;
                    let body =
                        json!({"username": format!("spam{n}-{attempt}"), "password": PASSWORD});
                    let response = client.post(&url).json(&body).send().await.unwrap();
                    match response.status() {
                        StatusCode::CREATED => {}
                        StatusCode::SERVICE_UNAVAILABLE => {
                            busy.fetch_add(1, Ordering::Relaxed);
                        }
                        status => panic!("a registration got {status}"),
                    }
                }
            })
        })
        .collect();
    // The registration queue is full from here on.
    wait_until(
        Duration::from_secs(20),
        "registrations turned away as busy",
        || {
            let busy = busy.clone();
            async move { busy.load(Ordering::Relaxed) > 0 }
        },
    )
    .await;
    for attempt in 1..=5 {
        let response = app.login("alice", PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "login {attempt} during the flood"
        );
    }
    let busy_during = busy.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for flooder in flooders {
        flooder.await.unwrap();
    }
    assert!(busy_during > 0);
}
both_backends!(correct_logins_pass_while_registrations_flood);

/// `parley user …` on `database_url`, with `stdin` piped in.
fn parley_user(database_url: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("user")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("BCRYPT_COST", "4")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run parley user");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().expect("an exit code"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The operator's commands, on the real binary: a closed server's accounts.
async fn operators_add_users_and_set_passwords(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("parley.db").display()),
        Backend::Postgres => crate::postgres::fresh_database().await,
    };
    let user = |args: &'static [&'static str], stdin: &'static str| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || parley_user(&url, args, stdin))
                .await
                .unwrap()
        }
    };
    let (code, out, err) = user(&["add", "Alice"], "first password\n").await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("created user Alice"), "{out}");

    for (args, stdin, reason) in [
        (&["add", "alice"][..], "another password\n", "already taken"),
        (
            &["add", "no spaces"][..],
            "a password\n",
            "may only contain",
        ),
        (&["add", "bob"][..], "short\n", "at least 8 bytes"),
        (&["add", "bob"][..], "", "at least 8 bytes"),
        (
            &["passwd", "nobody"][..],
            "a password\n",
            "there is no user `nobody`",
        ),
        (&["passwd", "alice"][..], "short\r\n", "at least 8 bytes"),
    ] {
        let (code, out, err) = user(args, stdin).await;
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(err.contains(reason), "{args:?}: {err}");
    }
    // Usage errors are clap's: exit 2.
    let (code, _, err) = user(&["add"], "").await;
    assert_eq!(code, 2, "{err}");

    // A token from before the password change is signed out by it.
    let before = spawn_app_with(backend, |config| config.database_url = url.clone()).await;
    let response = before.login("Alice", "first password").await;
    assert_eq!(response.status(), StatusCode::OK);
    let session: serde_json::Value = response.json().await.unwrap();
    let old_token = session["access_token"].as_str().unwrap().to_owned();
    before.stop().await;

    let (code, out, err) = user(&["passwd", "ALICE"], "second password\r\n").await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("password changed for Alice"), "{out}");

    let app = spawn_app_with(backend, |config| {
        config.database_url = url.clone();
        config.registration = Registration::Closed;
    })
    .await;
    assert_eq!(
        app.login("alice", "second password").await.status(),
        StatusCode::OK
    );
    let response = app.login("alice", "first password").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = app.get("/me", &old_token).await;
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "old token",
    )
    .await;
    let response = app.register("bob", PASSWORD).await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "registration_closed",
        "bob",
    )
    .await;
}
both_backends!(operators_add_users_and_set_passwords);
