//! Receipts: `delivered` when a message reaches one of its recipient's sockets
//! (live, on the flush or on a replay), and `read` markers that only move forward.

use std::time::Duration;

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{keys, spawn_app, Backend, TestApp, TestUser};

/// How long a test listens for a receipt that must not come.
const QUIET: Duration = Duration::from_millis(500);

async fn delivered_reaches_every_socket_of_the_sender_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_phone = app.connect(&alice).await;
    let mut alice_laptop = app.connect(&alice).await;
    // Two recipient sockets both take the message: it is still delivered once.
    let mut bob_phone = app.connect(&bob).await;
    let mut bob_laptop = app.connect(&bob).await;

    let ack = alice_phone.send_message(bob.id, "hello").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["delivered"], true, "{ack}");
    let id = ack["message_id"].as_i64().unwrap();
    assert_eq!(bob_phone.next_json().await["id"], id);
    assert_eq!(bob_laptop.next_json().await["id"], id);

    let mut at = None;
    for socket in [&mut alice_phone, &mut alice_laptop] {
        // Under load the receipt may take a while; a second one must never come.
        // Live deliveries are recorded by a task of their own, after the sockets
        // wrote the message, so no sentinel is ordered after them: QUIET is how
        // long a late second receipt has to show up (any read fails on one).
        let receipt = socket.only_one_of("delivered", QUIET).await;
        assert_eq!(keys(&receipt), ["at", "message_ids", "type"]);
        assert_eq!(receipt["message_ids"], json!([id]));
        let stamp = receipt["at"].as_str().unwrap().to_owned();
        assert!(stamp.ends_with('Z'), "{stamp}");
        assert_eq!(*at.get_or_insert(stamp.clone()), stamp, "the same receipt");
    }

    let message = message_in(&app, &alice, bob.id, id).await;
    assert_eq!(message["delivered"], true);
    assert_eq!(message["delivered_at"], at.unwrap());
    assert_eq!(message["read_at"], Value::Null);
}
both_backends!(delivered_reaches_every_socket_of_the_sender_once);

async fn delivered_follows_when_an_offline_recipient_connects(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;

    let mut ids = Vec::new();
    for content in ["one", "two"] {
        let ack = alice_socket.send_message(bob.id, content).await;
        assert_eq!(ack["delivered"], false, "bob is offline: {ack}");
        ids.push(ack["message_id"].as_i64().unwrap());
    }
    // Bob has no socket: nothing can be delivered.
    let sentinel = app.sentinel(&alice).await;
    alice_socket.expect_nothing_before(sentinel, &[]).await;
    for id in &ids {
        let message = message_in(&app, &alice, bob.id, *id).await;
        assert_eq!(message["delivered_at"], Value::Null);
    }

    // The flush on connecting delivers both, in one receipt.
    let mut bob_phone = app.connect(&bob).await;
    assert_eq!(bob_phone.next_json().await["id"], ids[0]);
    assert_eq!(bob_phone.next_json().await["id"], ids[1]);
    let receipt = alice_socket.next_of("delivered").await;
    assert_eq!(receipt["message_ids"], json!(ids));
    for id in &ids {
        let message = message_in(&app, &alice, bob.id, *id).await;
        assert_eq!(message["delivered"], true);
        assert_eq!(message["delivered_at"], receipt["at"]);
    }

    // Neither another flush nor a full replay delivers them again.
    let bob_laptop = app.connect(&bob).await;
    bob_laptop.expect_caught_up();
    let mut bob_tablet = app.connect_since(&bob, 0).await;
    assert_eq!(bob_tablet.next_json().await["id"], ids[0]);
    assert_eq!(bob_tablet.next_json().await["id"], ids[1]);
    // A catch-up's deliveries are recorded and announced before its `ready`.
    let sentinel = app.sentinel(&alice).await;
    alice_socket.expect_nothing_before(sentinel, &[]).await;
    let message = message_in(&app, &alice, bob.id, ids[0]).await;
    assert_eq!(message["delivered_at"], receipt["at"], "delivered_at moved");
}
both_backends!(delivered_follows_when_an_offline_recipient_connects);

async fn delivered_follows_a_replay(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let first = alice_socket.send_message(bob.id, "seen").await["message_id"]
        .as_i64()
        .unwrap();
    // Bob's laptop takes the first one and goes away.
    let laptop = app.connect(&bob).await;
    alice_socket.next_of("delivered").await;
    laptop.close().await;

    // Sent over REST this time: a receipt does not depend on how it was sent.
    let second = app.send_over_rest(&alice, bob.id, "missed").await["id"]
        .as_i64()
        .unwrap();
    // The REST send's copy reaches alice's socket.
    assert_eq!(alice_socket.next_json().await["id"], second);

    let mut replay = app.connect_since(&bob, 0).await;
    assert_eq!(replay.next_json().await["id"], first);
    assert_eq!(replay.next_json().await["id"], second);
    // A catch-up's deliveries are recorded and announced before its `ready`.
    let sentinel = app.sentinel(&alice).await;
    // (And bob coming online with it.)
    let receipts = alice_socket.frames_before(sentinel, &["presence"]).await;
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    let receipt = &receipts[0];
    assert_eq!(receipt["type"], "delivered");
    assert_eq!(receipt["message_ids"], json!([second]));
    let message = message_in(&app, &alice, bob.id, second).await;
    assert_eq!(message["delivered_at"], receipt["at"]);
}
both_backends!(delivered_follows_a_replay);

/// Several devices of the recipient catching up at once still produce one receipt
/// per message.
async fn racing_devices_deliver_each_message_once(backend: Backend) {
    const COUNT: usize = 120;
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    for n in 0..COUNT {
        alice_socket
            .send_json(json!({"recipient_id": bob.id, "content": format!("m{n}")}))
            .await;
    }
    let mut sent = Vec::new();
    while sent.len() < COUNT {
        let ack = alice_socket.next_json().await;
        assert_eq!(ack["type"], "ack", "{ack}");
        sent.push(ack["message_id"].as_i64().unwrap());
    }

    let (_phone, _laptop, _tablet, _replay) = tokio::join!(
        app.connect(&bob),
        app.connect(&bob),
        app.connect(&bob),
        app.connect_since(&bob, 0),
    );
    // Every socket caught up: their deliveries were recorded and announced before
    // their `ready`s, so every receipt comes before the sentinel.
    let sentinel = app.sentinel(&alice).await;
    let mut receipted = Vec::new();
    for receipt in alice_socket.frames_before(sentinel, &["presence"]).await {
        assert_eq!(receipt["type"], "delivered", "{receipt}");
        receipted.extend(
            receipt["message_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_i64().unwrap()),
        );
    }
    receipted.sort_unstable();
    sent.sort_unstable();
    assert_eq!(receipted, sent, "each message is receipted exactly once");
}
both_backends!(racing_devices_deliver_each_message_once);

async fn read_markers_reach_the_peer_and_the_readers_other_sockets(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    // Bob's second device, with its own token.
    let bob_again = app.log_in("bob").await;
    let mut alice_phone = app.connect(&alice).await;
    let mut alice_laptop = app.connect(&alice).await;
    let mut bob_phone = app.connect(&bob).await;
    let mut bob_laptop = app.connect(&bob_again).await;

    let mut ids = Vec::new();
    for content in ["m1", "m2", "m3"] {
        ids.push(
            alice_phone.send_message(bob.id, content).await["message_id"]
                .as_i64()
                .unwrap(),
        );
    }
    bob_phone
        .send_json(json!({"recipient_id": alice.id, "content": "b1"}))
        .await;
    // Alice's three messages come first on this socket.
    let reply = bob_phone.next_of("ack").await["message_id"]
        .as_i64()
        .unwrap();
    for viewer in [&bob, &bob_again] {
        assert_eq!(
            app.conversation_with(viewer, alice.id).await["unread_count"],
            3
        );
    }

    bob_phone
        .send_json(json!({"type": "read", "peer_id": alice.id, "up_to": ids[1]}))
        .await;
    let mut at = None;
    for socket in [&mut alice_phone, &mut alice_laptop, &mut bob_laptop] {
        let read = socket.next_of("read").await;
        assert_eq!(keys(&read), ["at", "peer_id", "reader_id", "type", "up_to"]);
        assert_eq!(read["reader_id"], bob.id);
        assert_eq!(read["peer_id"], alice.id);
        assert_eq!(read["up_to"], ids[1]);
        let stamp = read["at"].as_str().unwrap().to_owned();
        assert_eq!(*at.get_or_insert(stamp.clone()), stamp);
    }
    let at = at.unwrap();
    // The reading socket is not told what it did: once the read is handled, all
    // it routed comes before a sentinel. (Receipts for bob's reply come whenever.)
    bob_phone.sync().await;
    let sentinel = app.sentinel(&bob).await;
    for socket in [&mut bob_phone, &mut bob_laptop] {
        socket.expect_nothing_before(sentinel, &["delivered"]).await;
    }

    // Only alice's messages up to `up_to` are read; bob's own reply is not touched.
    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(read_at(&page, ids[0]), at);
    assert_eq!(read_at(&page, ids[1]), at);
    assert_eq!(read_at(&page, ids[2]), Value::Null);
    assert_eq!(read_at(&page, reply), Value::Null);
    for viewer in [&bob, &bob_again] {
        assert_eq!(
            app.conversation_with(viewer, alice.id).await["unread_count"],
            1
        );
    }
    assert_eq!(
        app.conversation_with(&alice, bob.id).await["unread_count"],
        1,
        "alice's side"
    );

    // A marker never moves back: lower or equal markers change and send nothing.
    for up_to in [ids[0], ids[1]] {
        bob_phone
            .send_json(json!({"type": "read", "peer_id": alice.id, "up_to": up_to}))
            .await;
    }
    bob_phone.sync().await;
    let (to_alice, to_bob) = (app.sentinel(&alice).await, app.sentinel(&bob).await);
    alice_phone.expect_nothing_before(to_alice, &[]).await;
    bob_laptop
        .expect_nothing_before(to_bob, &["delivered"])
        .await;
    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(read_at(&page, ids[0]), at);
    assert_eq!(read_at(&page, ids[2]), Value::Null);

    bob_laptop
        .send_json(json!({"type": "read", "peer_id": alice.id, "up_to": ids[2]}))
        .await;
    let read = alice_phone.next_of("read").await;
    assert_eq!(read["up_to"], ids[2]);
    assert_eq!(bob_phone.next_of("read").await["up_to"], ids[2]);
    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(read_at(&page, ids[0]), at, "an earlier read keeps its time");
    assert_eq!(read_at(&page, ids[2]), read["at"]);
    for viewer in [&bob, &bob_again] {
        assert_eq!(
            app.conversation_with(viewer, alice.id).await["unread_count"],
            0
        );
    }
}
both_backends!(read_markers_reach_the_peer_and_the_readers_other_sockets);

/// A marker covers the messages stored when it is set, not later ones with lower
/// ids than `up_to`.
async fn a_marker_above_the_stream_leaves_later_messages_unread(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    let first = alice_socket.send_message(bob.id, "one").await["message_id"]
        .as_i64()
        .unwrap();
    assert_eq!(bob_socket.next_json().await["id"], first);

    bob_socket
        .send_json(json!({"type": "read", "peer_id": alice.id, "up_to": 1000}))
        .await;
    assert_eq!(alice_socket.next_of("read").await["up_to"], 1000);
    let second = alice_socket.send_message(bob.id, "two").await["message_id"]
        .as_i64()
        .unwrap();
    assert!(second < 1000);
    assert_eq!(bob_socket.next_json().await["id"], second);

    assert_eq!(
        app.conversation_with(&bob, alice.id).await["unread_count"],
        1
    );
    let page = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert!(read_at(&page, first).is_string());
    assert_eq!(read_at(&page, second), Value::Null);
}
both_backends!(a_marker_above_the_stream_leaves_later_messages_unread);

async fn invalid_read_markers_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let id = alice_socket.send_message(bob.id, "hi").await["message_id"]
        .as_i64()
        .unwrap();
    let mut bob_socket = app.connect(&bob).await;
    assert_eq!(bob_socket.next_json().await["id"], id);

    for (up_to, code) in [
        (json!(0), "validation_failed"),
        (json!(-1), "validation_failed"),
        (json!("5"), "invalid_frame"),
        (json!(1.5), "invalid_frame"),
        (Value::Null, "invalid_frame"),
    ] {
        bob_socket
            .send_json(json!({"type": "read", "peer_id": alice.id, "up_to": up_to}))
            .await;
        let error = bob_socket.next_json().await;
        assert_eq!(error["type"], "error", "up_to {up_to}: {error}");
        assert_eq!(error["code"], code, "up_to {up_to}: {error}");
        assert_eq!(error["client_id"], Value::Null, "{error}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    bob_socket
        .send_json(json!({"type": "read", "peer_id": alice.id}))
        .await;
    assert_eq!(bob_socket.next_json().await["code"], "invalid_frame");
    // Bob's socket coming online and writing alice's message came before, as
    // `presence` and `delivered`.
    let sentinel = app.sentinel(&alice).await;
    alice_socket
        .expect_nothing_before(sentinel, &["presence", "delivered"])
        .await;
    assert_eq!(
        app.conversation_with(&bob, alice.id).await["unread_count"],
        1
    );

    // The socket stayed open and still works.
    bob_socket
        .send_json(json!({"type": "read", "peer_id": alice.id, "up_to": id}))
        .await;
    assert_eq!(alice_socket.next_of("read").await["up_to"], id);
    assert_eq!(
        app.conversation_with(&bob, alice.id).await["unread_count"],
        0
    );
}
both_backends!(invalid_read_markers_are_refused);

/// A message can be read on a device that never had it written to it (a client that
/// caught up over `GET /events` and connected with that cursor): reading it still
/// counts as receiving it.
async fn a_read_message_counts_as_delivered(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let id = alice_socket.send_message(bob.id, "hi").await["message_id"]
        .as_i64()
        .unwrap();
    let events: Value = app.get("/events", &bob.token).await.json().await.unwrap();
    assert_eq!(events["cursor"], id);
    let message = message_in(&app, &alice, bob.id, id).await;
    assert_eq!(
        message["delivered"], false,
        "reading events delivers nothing"
    );

    let mut bob_socket = app.connect_since(&bob, id).await;
    bob_socket
        .send_json(json!({"type": "read", "peer_id": alice.id, "up_to": id}))
        .await;
    // Reading is receiving: the sender gets the receipt it never had, then the read.
    let receipt = alice_socket.next_of("delivered").await;
    assert_eq!(receipt["message_ids"], json!([id]));
    let read = alice_socket.next_of("read").await;
    assert_eq!(receipt["at"], read["at"]);
    let message = message_in(&app, &alice, bob.id, id).await;
    assert_eq!(message["read_at"], read["at"]);
    assert_eq!(
        message["delivered"], true,
        "read but not delivered: {message}"
    );
    assert_eq!(message["delivered_at"], read["at"], "{message}");
}
both_backends!(a_read_message_counts_as_delivered);

/// Message `id` as `viewer` sees it in the conversation with `peer`.
async fn message_in(app: &TestApp, viewer: &TestUser, peer: i64, id: i64) -> Value {
    let page = app.history(viewer, &format!("/messages/{peer}")).await;
    page.into_iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("message {id} is not in the conversation"))
}

fn read_at(page: &[Value], id: i64) -> Value {
    page.iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("message {id} is not on the page"))["read_at"]
        .clone()
}
