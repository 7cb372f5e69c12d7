//! When the database fails under it, the server answers `internal_error` without
//! the cause, keeps sockets open, and recovers once the database does.

use diesel::Connection;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{expect_error, spawn_app, Backend, TestApp};

/// Runs one statement on the app's database behind its back.
async fn sabotage(app: &TestApp, backend: Backend, sql: &str) {
    let url = &app.config.database_url;
    match backend {
        Backend::Postgres => {
            let mut conn = AsyncPgConnection::establish(url).await.unwrap();
            diesel_async::RunQueryDsl::execute(diesel::sql_query(sql), &mut conn)
                .await
                .unwrap();
        }
        Backend::Sqlite => {
            let path = url.strip_prefix("sqlite://").unwrap();
            let mut conn = diesel::SqliteConnection::establish(path).unwrap();
            diesel::RunQueryDsl::execute(diesel::sql_query(sql), &mut conn).unwrap();
        }
    }
}

async fn a_broken_database_gives_internal_error_without_details(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut socket = app.connect(&alice).await;

    sabotage(
        &app,
        backend,
        "ALTER TABLE messages RENAME TO messages_gone",
    )
    .await;

    let response = app
        .get(&format!("/messages/{}", bob.id), &alice.token)
        .await;
    let body = expect_error(
        response,
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "history without its table",
    )
    .await;
    let message = body["message"].as_str().unwrap();
    assert!(!message.contains("messages"), "the cause leaked: {message}");

    let error = socket.send_message(bob.id, "into the void").await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["code"], "internal_error");
    assert!(!error["message"].as_str().unwrap().contains("messages_gone"));

    sabotage(
        &app,
        backend,
        "ALTER TABLE messages_gone RENAME TO messages",
    )
    .await;
    let ack = socket.send_message(bob.id, "back again").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let history = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(history.len(), 1, "only the acked message is stored");
}
both_backends!(a_broken_database_gives_internal_error_without_details);
