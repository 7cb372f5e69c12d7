//! Tokens are bound to their user's row: a token whose user is gone, or whose id
//! now belongs to someone else (as after a restore from a backup), is refused with
//! `invalid_token` on reads, writes and the WebSocket, and such a write never fails
//! other users' writes stored with it.

use std::time::Duration;

use diesel::Connection;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{expect_error, spawn_app, wait_until, Backend, TestApp, TestUser};

/// Longer than the server trusts a user's token key it read (2 s).
const KEY_CHECK: Duration = Duration::from_secs(10);

/// Runs statements on the app's database behind its back.
async fn run_sql(app: &TestApp, backend: Backend, statements: &[String]) {
    let url = &app.config.database_url;
    match backend {
        Backend::Postgres => {
            let mut conn = AsyncPgConnection::establish(url).await.unwrap();
            for sql in statements {
                diesel_async::RunQueryDsl::execute(diesel::sql_query(sql), &mut conn)
                    .await
                    .unwrap();
            }
        }
        Backend::Sqlite => {
            let path = url.strip_prefix("sqlite://").unwrap();
            let mut conn = diesel::SqliteConnection::establish(path).unwrap();
            for sql in statements {
                diesel::RunQueryDsl::execute(diesel::sql_query(sql), &mut conn).unwrap();
            }
        }
    }
}

/// Deletes a user and every message they are part of.
fn delete_user(user: i64) -> Vec<String> {
    vec![
        format!("DELETE FROM messages WHERE sender_id = {user} OR recipient_id = {user}"),
        format!("DELETE FROM users WHERE id = {user}"),
    ]
}

/// `token` is refused on a read, a write and the socket (reads once the server's
/// cached key has expired).
async fn assert_refused_everywhere(app: &TestApp, token: &str, peer: i64) {
    // Not `/me`, which looks the user up itself.
    wait_until(KEY_CHECK, "the token still reads", || async {
        app.get("/conversations", token).await.status() == StatusCode::UNAUTHORIZED
    })
    .await;
    for path in ["/me", "/conversations", "/users", "/rooms"] {
        let response = app.get(path, token).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token", path).await;
    }
    let response = app
        .request(Method::POST, &format!("/messages/{peer}"), token)
        .json(&json!({"content": "hello"}))
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "a send",
    )
    .await;
    match app.try_connect(token).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED.as_u16());
        }
        Err(other) => panic!("the upgrade failed otherwise: {other}"),
        Ok(_) => panic!("the socket opened"),
    }
}

/// Sends `count` messages from `from` to `to` over REST at once; their statuses.
async fn sends(app: &TestApp, from: &TestUser, to: i64, count: usize) -> Vec<StatusCode> {
    let requests = (0..count).map(|i| {
        app.request(Method::POST, &format!("/messages/{to}"), &from.token)
            .json(&json!({"content": format!("message {i}")}))
            .send()
    });
    join_all(requests)
        .await
        .into_iter()
        .map(|response| response.unwrap().status())
        .collect()
}

/// Mallory's row goes while her token is still cached as valid (by the key
/// check and by the writer, which stored her message before): her sends, made at
/// the same moment as Alice's, are refused and Alice's are all stored.
async fn a_deleted_users_token_is_refused_and_fails_no_one_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mallory = app.signup("mallory").await;
    app.send_over_rest(&mallory, bob.id, "before").await;
    run_sql(&app, backend, &delete_user(mallory.id)).await;

    let (alices, mallorys) = tokio::join!(
        sends(&app, &alice, bob.id, 20),
        sends(&app, &mallory, bob.id, 20),
    );
    assert!(
        alices.iter().all(|s| *s == StatusCode::CREATED),
        "{alices:?}"
    );
    assert!(
        mallorys.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{mallorys:?}"
    );
    assert_eq!(
        app.history(&bob, &format!("/messages/{}", alice.id))
            .await
            .len(),
        20
    );

    assert_refused_everywhere(&app, &mallory.token, bob.id).await;
    // Alice still works, on the socket too.
    let mut socket = app.connect(&alice).await;
    assert_eq!(
        socket.send_message(bob.id, "still here").await["type"],
        "ack"
    );
}
both_backends!(a_deleted_users_token_is_refused_and_fails_no_one_else);

/// As after restoring a backup taken before Alice registered: her id now belongs
/// to Eve, whose row has another token key. Alice's token does not pass for Eve.
async fn a_reused_id_does_not_take_the_old_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let bob = app.signup("bob").await;
    let alice = app.signup("alice").await;
    let mut statements = delete_user(alice.id);
    statements.push(format!(
        "INSERT INTO users (id, username, password_hash, created_at, token_key) \
         VALUES ({}, 'eve', 'x', '2026-12-04 00:00:00', 'another key')",
        alice.id
    ));
    run_sql(&app, backend, &statements).await;
    assert_refused_everywhere(&app, &alice.token, bob.id).await;
}
both_backends!(a_reused_id_does_not_take_the_old_token);
