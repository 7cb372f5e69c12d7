//! The client address behind a reverse proxy: taken from X-Forwarded-For or
//! Forwarded only when the peer is in TRUSTED_PROXIES, and used by every
//! per-address limit and the access log.

use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{expect_error, spawn_app_with, Backend, TestApp, PASSWORD};
use crate::process::Server;

/// One registration per address (none refills during a test).
async fn strict_app(backend: Backend, trusted: &[&str]) -> TestApp {
    let trusted = trusted
        .iter()
        .map(|network| parley::client_address::parse_network(network).unwrap())
        .collect();
    spawn_app_with(backend, |config| {
        config.register_rate = 0.001;
        config.register_burst = 1.0;
        config.trusted_proxies = trusted;
    })
    .await
}

async fn register_via(app: &TestApp, name: &str, header: (&str, &str)) -> Response {
    app.client
        .post(app.url("/register"))
        .header(header.0, header.1)
        .json(&json!({"username": name, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
}

async fn a_trusted_proxy_names_each_client(backend: Backend) {
    let app = strict_app(backend, &["127.0.0.1/32"]).await;
    let xff = "x-forwarded-for";
    let created = |response: Response| response.status() == StatusCode::CREATED;
    assert!(created(
        register_via(&app, "user_a1", (xff, "203.0.113.1")).await
    ));
    // The same client again, whatever it wrote to the left of the proxy's entry.
    let response = register_via(&app, "user_a2", (xff, "198.51.100.99, 203.0.113.1")).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "a2",
    )
    .await;
    // Other clients behind the same proxy have their own allowance.
    assert!(created(
        register_via(&app, "user_b1", (xff, "203.0.113.2")).await
    ));
    assert!(created(
        register_via(
            &app,
            "user_c1",
            ("forwarded", "for=203.0.113.3;proto=https")
        )
        .await
    ));
    let response = register_via(&app, "user_c2", ("forwarded", r#"for="203.0.113.3:4711""#)).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "c2",
    )
    .await;
    // A header that names no address: the proxy itself is the client, once.
    assert!(created(register_via(&app, "user_p1", (xff, "junk")).await));
    let response = register_via(&app, "user_p2", ("forwarded", "for=unknown")).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "p2",
    )
    .await;
}
both_backends!(a_trusted_proxy_names_each_client);

async fn headers_from_an_untrusted_peer_are_ignored(backend: Backend) {
    for trusted in [&[][..], &["10.0.0.0/8"][..]] {
        let app = strict_app(backend, trusted).await;
        let response = register_via(&app, "user_a1", ("x-forwarded-for", "203.0.113.1")).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        // A spoofed header does not make a new client: the peer's one
        // registration is used up.
        for (name, header) in [
            ("user_a2", ("x-forwarded-for", "203.0.113.2")),
            ("user_a3", ("forwarded", "for=203.0.113.3")),
        ] {
            let response = register_via(&app, name, header).await;
            expect_error(
                response,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                name,
            )
            .await;
        }
    }
}
both_backends!(headers_from_an_untrusted_peer_are_ignored);

/// Failed logins are counted per client too: one guesser behind the proxy does
/// not lock out the others.
async fn failed_logins_count_per_client_behind_a_proxy(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    app.signup("alice").await;
    let login = |client: &'static str, name: String, password: &'static str| {
        app.client
            .post(app.url("/login"))
            .header("x-forwarded-for", client)
            .json(&json!({"username": name, "password": password}))
            .send()
    };
    // Two failures each for ten names: only the address limit (20) is reached.
    for n in 0..20 {
        let response = login("203.0.113.66", format!("user{}", n / 2), "wrong")
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = login("203.0.113.66", "alice".into(), PASSWORD)
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "the guesser",
    )
    .await;
    let response = login("203.0.113.7", "alice".into(), PASSWORD)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "another client");
}
both_backends!(failed_logins_count_per_client_behind_a_proxy);

/// The access log names the client the limits see, not the proxy, and not what
/// an untrusted peer claims.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_log_shows_the_client_address() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[("RUST_LOG", "info"), ("TRUSTED_PROXIES", "127.0.0.1")],
    );
    let client = reqwest::Client::new();
    let get = |path: &str, forwarded: &str| {
        client
            .get(server.url(path))
            .header("x-forwarded-for", forwarded)
            .send()
    };
    assert!(get("/healthz", "203.0.113.7")
        .await
        .unwrap()
        .status()
        .is_success());
    let line = server
        .log_line(|line| line.contains("\"GET /healthz\""))
        .await;
    assert!(line.contains("203.0.113.7 \"GET /healthz\" 200"), "{line}");

    // Its own database: one SQLite file serves one process.
    let other_dir = tempfile::tempdir().unwrap();
    let untrusted = Server::start(
        other_dir.path(),
        &[("RUST_LOG", "info"), ("TRUSTED_PROXIES", "10.0.0.0/8")],
    );
    let response = client
        .get(untrusted.url("/readyz"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let line = untrusted
        .log_line(|line| line.contains("\"GET /readyz\""))
        .await;
    assert!(line.contains("127.0.0.1 \"GET /readyz\" 200"), "{line}");
}
