//! `POST /messages/{user_id}`: sending without a socket, idempotent by client_id.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{expect_error, expect_invalid, spawn_app, Backend, TestApp, TestUser};

async fn a_message_sent_over_rest_is_stored_and_routed(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_phone = app.connect(&bob).await;
    let mut bob_laptop = app.connect(&bob).await;

    let response = send(
        &app,
        &alice,
        bob.id,
        json!({"content": "  hi bob ", "client_id": "r-1"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let message: Value = response.json().await.unwrap();
    let id = message["id"].as_i64().expect("numeric id");
    assert!(message["created_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert_eq!(
        message,
        json!({
            "id": id, "sender_id": alice.id, "recipient_id": bob.id, "content": "hi bob",
            "client_id": "r-1", "created_at": message["created_at"],
            "delivered": message["delivered"], "delivered_at": message["delivered_at"],
            "read_at": null, "edited_at": null, "deleted_at": null, "attachments": [],
            "reply_to": null, "reactions": [],
        })
    );

    // Every socket of both users gets it: the sender's as from another device.
    for socket in [&mut bob_phone, &mut bob_laptop, &mut alice_socket] {
        assert_eq!(
            socket.next_json().await,
            json!({
                "type": "message", "cursor": id, "id": id, "sender_id": alice.id,
                "recipient_id": bob.id, "content": "hi bob", "client_id": "r-1",
                "created_at": message["created_at"], "edited_at": null, "deleted_at": null,
                "attachments": [], "reply_to": null, "reactions": [], "mentions": [],
            })
        );
    }
    assert_eq!(
        alice_socket.next_of("delivered").await["message_ids"],
        json!([id])
    );

    let page = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["id"], id);
    assert_eq!(page[0]["delivered"], true);
}
both_backends!(a_message_sent_over_rest_is_stored_and_routed);

async fn the_same_client_id_is_stored_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    let body = json!({"content": "once", "client_id": "retry-me"});

    let response = send(&app, &alice, bob.id, body.clone()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let original: Value = response.json().await.unwrap();
    assert_eq!(bob_socket.next_json().await["id"], original["id"]);
    assert_eq!(alice_socket.next_json().await["id"], original["id"]);

    // A retry, even with other content, answers 200 with the original.
    for retry in [body, json!({"content": "twice?", "client_id": "retry-me"})] {
        let response = send(&app, &alice, bob.id, retry).await;
        assert_eq!(response.status(), StatusCode::OK);
        let again: Value = response.json().await.unwrap();
        assert_eq!(again["id"], original["id"]);
        assert_eq!(again["content"], "once");
        assert_eq!(again["created_at"], original["created_at"]);
    }
    // The same client_id over the socket is the same message too.
    alice_socket
        .send_json(json!({"recipient_id": bob.id, "content": "once", "client_id": "retry-me"}))
        .await;
    let ack = alice_socket.next_json().await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["message_id"], original["id"]);
    assert_eq!(ack["duplicate"], true);

    // Stored and routed once: no second copy on either side.
    let (to_alice, to_bob) = (app.sentinel(&alice).await, app.sentinel(&bob).await);
    bob_socket.expect_nothing_before(to_bob, &[]).await;
    alice_socket
        .expect_nothing_before(to_alice, &["delivered"])
        .await;
    let page = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert_eq!(page.len(), 1, "{page:?}");

    // A client_id belongs to its sender: bob may use the same one.
    let response = send(
        &app,
        &bob,
        alice.id,
        json!({"content": "mine", "client_id": "retry-me"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let page = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert_eq!(page.len(), 2);
}
both_backends!(the_same_client_id_is_stored_once);

async fn rest_sends_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let to_bob = |body: Value| send(&app, &alice, bob.id, body);

    for client_id in [String::new(), "c".repeat(65), "é".repeat(65)] {
        let response = to_bob(json!({"content": "hi", "client_id": client_id})).await;
        expect_invalid(response, "client_id", "client_id").await;
    }
    for content in ["", "   ", &"x".repeat(4001)] {
        let response = to_bob(json!({ "content": content })).await;
        expect_invalid(response, "content", "content").await;
    }
    let response = send(&app, &alice, alice.id, json!({"content": "me"})).await;
    expect_invalid(response, "recipient_id", "to yourself").await;
    let response = send(&app, &alice, 999_999, json!({"content": "anyone?"})).await;
    expect_error(response, StatusCode::NOT_FOUND, "user_not_found", "unknown").await;

    for (body, code) in [
        ("{nope", "malformed_json"),
        ("[]", "invalid_body"),
        (r#"{"content": 5}"#, "invalid_body"),
        (r#"{"content": "hi", "client_id": 7}"#, "invalid_body"),
    ] {
        let response = app
            .request(Method::POST, &format!("/messages/{}", bob.id), &alice.token)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, code, body).await;
    }
    let response = app
        .request(Method::POST, "/messages/bob", &alice.token)
        .json(&json!({"content": "hi"}))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_path", "").await;

    app.expect_auth_required(
        Method::POST,
        &format!("/messages/{}", bob.id),
        Some(&json!({"content": "hi"})),
    )
    .await;

    // Nothing was stored; the longest client_id is fine.
    assert!(app
        .history(&bob, &format!("/messages/{}", alice.id))
        .await
        .is_empty());
    for client_id in ["c".repeat(64), "é".repeat(64)] {
        let response = to_bob(json!({"content": "hi", "client_id": client_id})).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{client_id}");
    }
}
both_backends!(rest_sends_are_validated);

async fn send(app: &TestApp, from: &TestUser, to: i64, body: Value) -> Response {
    app.request(Method::POST, &format!("/messages/{to}"), &from.token)
        .json(&body)
        .send()
        .await
        .unwrap()
}
