//! `GET /conversations`: one row per peer, most recent first, with the last message
//! as it now reads, the unread count and the peer's presence.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{keys, spawn_app, wait_until, Backend};

async fn one_row_per_peer_most_recent_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let dave = app.signup("dave").await;
    assert_eq!(app.conversations(&alice).await, json!([]));

    app.send_over_rest(&alice, bob.id, "hi bob").await;
    app.send_over_rest(&bob, alice.id, "hi alice").await;
    let to_carol = app.send_over_rest(&alice, carol.id, "hi carol").await;
    // Bob and dave's conversation is not alice's business.
    app.send_over_rest(&bob, dave.id, "hi dave").await;

    let list = app.conversations(&alice).await;
    assert_eq!(peers(&list), [carol.id, bob.id]);
    let row = &list[0];
    assert_eq!(
        keys(row),
        ["last_message", "muted_until", "peer", "unread_count"]
    );
    assert_eq!(
        row["peer"],
        json!({"id": carol.id, "username": "carol", "online": false, "last_seen": null})
    );
    assert_eq!(row["last_message"], to_carol);
    assert_eq!(row["unread_count"], 0, "alice wrote it");
    assert_eq!(list[1]["last_message"]["content"], "hi alice");
    assert_eq!(list[1]["unread_count"], 1);

    // A new message moves its conversation to the top; the edit of an old one
    // does not.
    let newest = app.send_over_rest(&bob, alice.id, "still there?").await;
    let edited = app
        .request(
            Method::PATCH,
            &format!("/messages/{}", to_carol["id"]),
            &alice.token,
        )
        .json(&json!({"content": "hi carol!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), StatusCode::OK);
    let list = app.conversations(&alice).await;
    assert_eq!(peers(&list), [bob.id, carol.id]);
    assert_eq!(list[0]["last_message"], newest);
    assert_eq!(list[0]["unread_count"], 2);
    assert_eq!(list[1]["last_message"]["content"], "hi carol!");
    assert!(list[1]["last_message"]["edited_at"].is_string());

    // Each side sees its own view.
    let list = app.conversations(&bob).await;
    assert_eq!(peers(&list), [alice.id, dave.id]);
    assert_eq!(list[0]["unread_count"], 1, "alice's first message");
    assert_eq!(list[1]["unread_count"], 0);
    let list = app.conversations(&dave).await;
    assert_eq!(peers(&list), [bob.id]);
    assert_eq!(list[0]["unread_count"], 1);
}
both_backends!(one_row_per_peer_most_recent_first);

async fn the_last_message_shows_its_current_state(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    app.send_over_rest(&bob, alice.id, "first").await;
    let last = app.send_over_rest(&bob, alice.id, "second").await;
    let list = app.conversations(&alice).await;
    assert_eq!(list[0]["unread_count"], 2);

    // Deleted: a tombstone, no longer unread.
    let response = app
        .request(
            Method::DELETE,
            &format!("/messages/{}", last["id"]),
            &bob.token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tombstone: Value = response.json().await.unwrap();
    let list = app.conversations(&alice).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["last_message"], tombstone);
    assert_eq!(list[0]["last_message"]["content"], "");
    assert_eq!(list[0]["unread_count"], 1);

    // Presence: online while a socket is open, last_seen after.
    let socket = app.connect(&bob).await;
    let peer = &app.conversations(&alice).await[0]["peer"];
    assert_eq!(
        (&peer["online"], &peer["last_seen"]),
        (&json!(true), &Value::Null)
    );
    socket.close().await;
    wait_until(Duration::from_secs(5), "still shown online", || async {
        let peer = app.conversations(&alice).await[0]["peer"].clone();
        peer["online"] == false && peer["last_seen"].is_string()
    })
    .await;
}
both_backends!(the_last_message_shows_its_current_state);

async fn conversations_needs_a_valid_token(backend: Backend) {
    let app = spawn_app(backend).await;
    app.expect_auth_required(Method::GET, "/conversations", None)
        .await;
}
both_backends!(conversations_needs_a_valid_token);

fn peers(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["peer"]["id"].as_i64().unwrap())
        .collect()
}
