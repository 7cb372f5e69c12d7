//! `GET /metrics`: the Prometheus scrape reflects what happened, is valid text
//! exposition format, and takes METRICS_TOKEN when one is set.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{expect_error, spawn_app, spawn_app_with, wait_until, Backend, TestApp};

const TOKEN: &str = "a metrics token for the tests";
const SETTLE: Duration = Duration::from_secs(10);

async fn the_scrape_reflects_activity(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        // Four sends, then nothing for a long while.
        config.send_rate = 0.001;
        config.send_burst = 4.0;
    })
    .await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let scrape = Scrape::of(&app).await;
    assert_eq!(scrape.value("parley_websocket_connections", &[]), 1.0);
    assert_eq!(scrape.value("parley_users_online", &[]), 1.0);

    for n in 0..2 {
        alice_socket
            .send_json(json!({"recipient_id": bob.id, "content": format!("ws {n}")}))
            .await;
        assert_eq!(alice_socket.next_of("ack").await["type"], "ack");
    }
    app.send_over_rest(&alice, bob.id, "over REST").await;
    // Refused by the writer: there is no such user.
    let response = send(&app, &alice.token, 999_999).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Over the burst.
    let response = send(&app, &alice.token, bob.id).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);

    let scrape = Scrape::of(&app).await;
    assert_eq!(scrape.value("parley_messages_stored_total", &[]), 3.0);
    let refused = [("reason", "refused")];
    assert_eq!(scrape.value("parley_messages_errored_total", &refused), 1.0);
    let failed = [("reason", "failed")];
    assert_eq!(scrape.value("parley_messages_errored_total", &failed), 0.0);
    let send_limit = [("limiter", "send")];
    assert_eq!(scrape.value("parley_rate_limited_total", &send_limit), 1.0);
    let login_limit = [("limiter", "login_username")];
    assert_eq!(scrape.value("parley_rate_limited_total", &login_limit), 0.0);
    assert_eq!(
        scrape.value("parley_send_ack_duration_seconds_count", &[]),
        2.0
    );
    let inf = [("le", "+Inf")];
    assert_eq!(
        scrape.value("parley_send_ack_duration_seconds_bucket", &inf),
        2.0
    );
    assert!(scrape.value("parley_send_ack_duration_seconds_sum", &[]) > 0.0);
    // The three sends and the refused one reached the writer, in one or more
    // batches; the refused one was never part of a transaction.
    assert!(scrape.value("parley_write_batch_size_count", &[]) >= 1.0);
    assert_eq!(scrape.value("parley_write_batch_size_sum", &[]), 3.0);

    let route = |method, status| {
        [
            ("method", method),
            ("route", "/messages/{id}"),
            ("status", status),
        ]
    };
    let requests = "parley_http_requests_total";
    assert_eq!(scrape.value(requests, &route("POST", "201")), 1.0);
    assert_eq!(scrape.value(requests, &route("POST", "404")), 1.0);
    assert_eq!(scrape.value(requests, &route("POST", "429")), 1.0);
    let register = [("route", "/register"), ("status", "201")];
    assert_eq!(scrape.value(requests, &register), 2.0);
    let upgrade = [("route", "/ws"), ("status", "101")];
    assert_eq!(scrape.value(requests, &upgrade), 1.0);
    let latency = [
        ("route", "/messages/{id}"),
        ("status", "201"),
        ("le", "+Inf"),
    ];
    let latency_name = "parley_http_request_duration_seconds_bucket";
    assert_eq!(scrape.value(latency_name, &latency), 1.0);
    assert!(
        !scrape.text.contains("route=\"/messages/9"),
        "routes are patterns, never raw paths:\n{}",
        scrape.text
    );

    for state in ["in_use", "idle"] {
        let value = scrape.value("parley_db_pool_connections", &[("state", state)]);
        assert!(value >= 0.0, "{state}: {value}");
    }
    assert!(scrape.value("parley_db_pool_max_size", &[]) >= 1.0);
    assert!(scrape.value("parley_db_pool_waiting", &[]) >= 0.0);

    // Bob comes online and is sent the three messages he missed.
    let bob_socket = app.connect(&bob).await;
    wait_until(SETTLE, "bob's messages counted as delivered", || async {
        Scrape::of(&app)
            .await
            .value("parley_messages_delivered_total", &[])
            == 3.0
    })
    .await;
    let scrape = Scrape::of(&app).await;
    assert_eq!(scrape.value("parley_websocket_connections", &[]), 2.0);
    assert_eq!(scrape.value("parley_users_online", &[]), 2.0);

    alice_socket.close().await;
    bob_socket.close().await;
    wait_until(SETTLE, "the sockets counted as closed", || async {
        let scrape = Scrape::of(&app).await;
        scrape.value("parley_websocket_connections", &[]) == 0.0
            && scrape.value("parley_users_online", &[]) == 0.0
    })
    .await;
}

async fn a_metrics_token_is_required_when_set(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.metrics_token = Some(TOKEN.into());
    })
    .await;
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "missing_token", "none").await;
    let response = app.get("/metrics", "not the token").await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token", "wrong").await;
    // A user's access token is not the metrics token either.
    let alice = app.signup("alice").await;
    let response = app.get("/metrics", &alice.token).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token", "user").await;

    let response = app.get("/metrics", TOKEN).await;
    assert_eq!(response.status(), StatusCode::OK);
    let scrape = Scrape::parse(response.text().await.unwrap());
    // The refused scrapes are counted like any request.
    let refused = [("route", "/metrics"), ("status", "401")];
    assert_eq!(scrape.value("parley_http_requests_total", &refused), 3.0);
}

async fn without_a_token_the_scrape_is_open(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, status) in [
        ("/", StatusCode::OK),
        ("/no-such-file", StatusCode::NOT_FOUND),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
    }
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let scrape = Scrape::parse(response.text().await.unwrap());
    assert_eq!(scrape.value("parley_messages_stored_total", &[]), 0.0);
    assert_eq!(scrape.value("parley_websocket_connections", &[]), 0.0);
    // Static files and unknown paths share one route label, whatever the path.
    let requests = "parley_http_requests_total";
    let unmatched = |status| [("route", "unmatched"), ("status", status)];
    assert_eq!(scrape.value(requests, &unmatched("200")), 1.0);
    assert_eq!(scrape.value(requests, &unmatched("404")), 1.0);
}

both_backends!(
    the_scrape_reflects_activity,
    a_metrics_token_is_required_when_set,
    without_a_token_the_scrape_is_open,
);

async fn send(app: &TestApp, token: &str, to: i64) -> reqwest::Response {
    app.request(Method::POST, &format!("/messages/{to}"), token)
        .json(&json!({"content": "hello"}))
        .send()
        .await
        .unwrap()
}

struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A scrape, checked line by line against the text exposition format.
struct Scrape {
    text: String,
    samples: Vec<Sample>,
}

impl Scrape {
    async fn of(app: &TestApp) -> Self {
        let response = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        Self::parse(response.text().await.unwrap())
    }

    fn parse(text: String) -> Self {
        let mut samples = Vec::new();
        let mut typed = Vec::new();
        for line in text.lines() {
            if let Some(comment) = line.strip_prefix("# ") {
                let mut words = comment.splitn(3, ' ');
                let (keyword, name) = (words.next().unwrap(), words.next().unwrap());
                assert!(is_name(name), "{line}");
                match keyword {
                    "HELP" => assert!(words.next().is_some_and(|help| !help.is_empty())),
                    "TYPE" => {
                        let kind = words.next().unwrap();
                        assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
                        typed.push(name.to_owned());
                    }
                    _ => panic!("unexpected comment: {line}"),
                }
                continue;
            }
            assert!(!line.is_empty(), "no empty lines:\n{text}");
            let sample = parse_sample(line);
            assert!(
                typed
                    .iter()
                    .any(|name| sample.name.starts_with(name.as_str())),
                "{line} comes after its # TYPE"
            );
            samples.push(sample);
        }
        assert!(text.ends_with('\n'), "the last line ends with a line feed");
        Self { text, samples }
    }

    /// The value of the one sample of `name` that has (at least) `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let matching: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|sample| {
                sample.name == name
                    && labels
                        .iter()
                        .all(|(k, v)| sample.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect();
        match matching.as_slice() {
            [sample] => sample.value,
            _ => panic!(
                "{} samples of {name} with {labels:?} in:\n{}",
                matching.len(),
                self.text
            ),
        }
    }
}

/// `name{label="value",...} value`, or `name value`.
fn parse_sample(line: &str) -> Sample {
    let name_end = line.find(['{', ' ']).unwrap_or_else(|| panic!("{line}"));
    let name = &line[..name_end];
    assert!(is_name(name), "bad metric name in {line}");
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(mut inner) = rest.strip_prefix('{') {
        loop {
            let eq = inner.find("=\"").unwrap_or_else(|| panic!("{line}"));
            let label = &inner[..eq];
            assert!(
                is_name(label) && !label.contains(':'),
                "bad label in {line}"
            );
            let mut value = String::new();
            let mut chars = inner[eq + 2..].char_indices();
            let end = loop {
                match chars.next() {
                    Some((i, '"')) => break eq + 2 + i,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, '\\')) => value.push('\\'),
                        Some((_, '"')) => value.push('"'),
                        Some((_, 'n')) => value.push('\n'),
                        _ => panic!("bad escape in {line}"),
                    },
                    Some((_, c)) => value.push(c),
                    None => panic!("unterminated label value in {line}"),
                }
            };
            assert!(labels.insert(label.to_owned(), value).is_none(), "{line}");
            inner = &inner[end + 1..];
            if let Some(after) = inner.strip_prefix(',') {
                inner = after;
            } else {
                rest = inner.strip_prefix('}').unwrap_or_else(|| panic!("{line}"));
                break;
            }
        }
    }
    let value = rest.strip_prefix(' ').unwrap_or_else(|| panic!("{line}"));
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        value => value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line}")),
    };
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}
