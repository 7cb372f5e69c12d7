//! Mentions: `@username` in a room message names members, resolved when it is
//! stored; frames and history carry them, and `GET /rooms` counts the unread
//! ones that name the caller.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend};

async fn mentions_name_members_and_are_counted_until_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let dave = app.signup("dave.d").await;
    let room = app.create_room(&alice, "general", "public").await;
    app.join_room(&bob, room).await;
    app.join_room(&dave, room).await;
    let mut bob_socket = app.connect(&bob).await;

    let mut alice_socket = app.connect(&alice).await;
    alice_socket
        .send_json(json!({"room_id": room, "content": "@Bob and @carol, ask @dave.d. (not mail@bob.com, not @alice, not @nobody)"}))
        .await;
    let ack = alice_socket.next_of("ack").await;
    let frame = bob_socket.next_json().await;
    assert_eq!(frame["id"], ack["message_id"]);
    assert_eq!(
        frame["mentions"],
        json!([bob.id, dave.id]),
        "members only, once, sender excluded"
    );
    let path = format!("/rooms/{room}/messages");
    let page = app.room_history(&bob, &path).await;
    let last = page["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["mentions"], frame["mentions"]);

    let plain = app
        .call(
            &alice,
            Method::POST,
            &path,
            Some(json!({"content": "no one"})),
        )
        .await;
    let plain: Value = plain.json().await.unwrap();
    assert_eq!(plain["mentions"], json!([]));
    let second = app
        .call(
            &alice,
            Method::POST,
            &path,
            Some(json!({"content": "@bob again"})),
        )
        .await;
    assert_eq!(second.status(), StatusCode::CREATED);
    let second: Value = second.json().await.unwrap();
    assert_eq!(second["mentions"], json!([bob.id]));

    let listed = app.listed_room(&bob, room).await.unwrap();
    assert_eq!(listed["unread_count"], 3);
    assert_eq!(listed["mention_count"], 2);
    assert_eq!(
        app.listed_room(&dave, room).await.unwrap()["mention_count"],
        1
    );
    assert_eq!(
        app.listed_room(&alice, room).await.unwrap()["mention_count"],
        0
    );
    assert_eq!(
        app.listed_room(&carol, room).await.unwrap()["mention_count"],
        0
    );

    // Reading past the first: one left. Deleting the second: none.
    bob_socket
        .send_json(json!({"type": "read", "room_id": room, "up_to": plain["id"]}))
        .await;
    bob_socket.next_of("read").await;
    assert_eq!(
        app.listed_room(&bob, room).await.unwrap()["mention_count"],
        1
    );
    let response = app
        .call(
            &alice,
            Method::DELETE,
            &format!("/messages/{}", second["id"]),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = app.room_history(&bob, &path).await;
    let tombstone = page["items"].as_array().unwrap().last().unwrap().clone();
    assert!(tombstone["deleted_at"].is_string(), "{tombstone}");
    assert_eq!(tombstone["mentions"], json!([]));
    assert_eq!(
        app.listed_room(&bob, room).await.unwrap()["mention_count"],
        0
    );

    // Direct messages have no mentions.
    alice_socket
        .send_json(json!({"recipient_id": bob.id, "content": "hey @bob"}))
        .await;
    let dm = loop {
        let frame = bob_socket.next_of("message").await;
        if frame["room_id"].is_null() {
            break frame;
        }
    };
    assert_eq!(dm["mentions"], json!([]));
}

both_backends!(mentions_name_members_and_are_counted_until_read);
