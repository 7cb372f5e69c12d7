//! Text holding U+0000, which PostgreSQL cannot store and SQLite can: refused with
//! `validation_failed` where it would be stored, finding nothing where it is looked
//! up, the same on both backends. (The OpenAPI fuzzer found these as 500s on
//! PostgreSQL; a NUL in one send also failed every send stored in its batch.)

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{expect_error, expect_invalid, spawn_app, Backend, PASSWORD};

async fn text_with_nul_is_refused_before_it_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let room = app.create_room(&alice, "general", "public").await;
    let message = app.send_over_rest(&alice, bob.id, "lunch?").await;
    let edit = format!("/messages/{}", message["id"]);
    let dm = format!("/messages/{}", bob.id);
    let in_room = format!("/rooms/{room}/messages");

    let refused = [
        (Method::POST, &dm, json!({"content": "a\0b"}), "content"),
        (
            Method::POST,
            &dm,
            json!({"content": ".", "client_id": "\0"}),
            "client_id",
        ),
        (Method::POST, &in_room, json!({"content": "\0"}), "content"),
        (Method::PATCH, &edit, json!({"content": "x\0"}), "content"),
    ];
    for (method, path, body, field) in refused {
        let what = format!("{method} {path} {body}");
        let response = app.call(&alice, method, path, Some(body)).await;
        let error = expect_invalid(response, field, &what).await;
        assert!(
            error["message"].as_str().unwrap().contains("NUL"),
            "{what}: {error}"
        );
    }
    let room = json!({"name": "lob\0by", "kind": "public"});
    let response = app.call(&alice, Method::POST, "/rooms", Some(room)).await;
    expect_invalid(response, "name", "a room name with NUL").await;

    let mut socket = app.connect(&alice).await;
    let error = socket.send_message(bob.id, "a\0b").await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["code"], "validation_failed", "{error}");

    // Nothing was stored, and the next send goes through.
    let history = app.history(&alice, &dm).await;
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0]["content"], "lunch?");
    app.send_over_rest(&alice, bob.id, "still here").await;
}

async fn lookups_by_text_with_nul_find_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    app.signup("bob").await;
    app.create_room(&alice, "general", "public").await;

    let response = app.login("bob\0", PASSWORD).await;
    expect_error(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "log in as a name with NUL",
    )
    .await;

    for path in ["/users?q=b%00", "/rooms?q=gen%00"] {
        let response = app.get(path, &alice.token).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        let found: Value = response.json().await.unwrap();
        assert_eq!(found, json!([]), "GET {path}");
    }
}

both_backends!(
    text_with_nul_is_refused_before_it_is_stored,
    lookups_by_text_with_nul_find_nothing,
);
