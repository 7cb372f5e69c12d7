//! Group commit and pipelined sends: a socket may send without waiting for acks,
//! the writer stores whatever is queued (from every socket) in one multi-row
//! INSERT, and still every message is stored once, acked in order and delivered
//! exactly once, in order.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, Socket, TestApp, TestUser};

/// Sends `count` messages back to back, without reading, then collects the acks.
async fn burst(socket: &mut Socket, to: i64, tag: &str, count: usize) -> Vec<Value> {
    for n in 0..count {
        socket
            .send_json(json!({
                "type": "message",
                "recipient_id": to,
                "content": format!("{tag} {n}"),
                "client_id": format!("{tag}-{n}"),
            }))
            .await;
    }
    let mut acks = Vec::with_capacity(count);
    for _ in 0..count {
        acks.push(socket.next_json().await);
    }
    acks
}

/// Checks that the acks answer the burst in order, with rising stream positions.
fn assert_acked_in_order(acks: &[Value], tag: &str) -> Vec<i64> {
    let mut ids = Vec::with_capacity(acks.len());
    for (n, ack) in acks.iter().enumerate() {
        assert_eq!(ack["type"], "ack", "{tag} {n}: {ack}");
        assert_eq!(ack["client_id"], format!("{tag}-{n}"), "acks come in order");
        assert_eq!(ack["duplicate"], false, "{ack}");
        let id = ack["message_id"].as_i64().unwrap();
        assert!(ids.last().is_none_or(|last| *last < id), "ids rise: {ack}");
        ids.push(id);
    }
    ids
}

/// Reads `ids.len()` messages and checks they are exactly those, in order.
async fn assert_received(socket: &mut Socket, from: i64, tag: &str, ids: &[i64]) {
    for (n, id) in ids.iter().enumerate() {
        let message = socket.next_json().await;
        assert_eq!(message["type"], "message", "{message}");
        assert_eq!(message["id"], *id, "{tag}: delivered in order: {message}");
        assert_eq!(message["sender_id"], from, "{message}");
        assert_eq!(message["content"], format!("{tag} {n}"), "{message}");
    }
}

async fn a_burst_from_one_socket_is_acked_and_delivered_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;

    let acks = burst(&mut alice_socket, bob.id, "burst", 200).await;
    let ids = assert_acked_in_order(&acks, "burst");
    assert_received(&mut bob_socket, alice.id, "burst", &ids).await;
    let sentinel = app.sentinel(&bob).await;
    bob_socket.expect_nothing_before(sentinel, &[]).await;

    let stored = app
        .history(&bob, &format!("/messages/{}?limit=100", alice.id))
        .await;
    let stored_ids: Vec<i64> = stored.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(
        stored_ids,
        ids[100..],
        "the newest page holds the last 100, in order"
    );
}

async fn a_resend_inside_a_burst_is_a_duplicate(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;

    let frames = [
        ("c1", "first"),
        ("c2", "second"),
        ("c1", "first again"),
        ("c3", "third"),
    ];
    for (client_id, content) in frames {
        alice_socket
            .send_json(json!({"type": "message", "recipient_id": bob.id, "content": content, "client_id": client_id}))
            .await;
    }
    let mut acks = Vec::new();
    for _ in frames {
        acks.push(alice_socket.next_json().await);
    }
    let client_ids: Vec<&str> = acks
        .iter()
        .map(|a| a["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(client_ids, ["c1", "c2", "c1", "c3"], "{acks:?}");
    let duplicates: Vec<bool> = acks
        .iter()
        .map(|a| a["duplicate"].as_bool().unwrap())
        .collect();
    assert_eq!(duplicates, [false, false, true, false], "{acks:?}");
    assert_eq!(
        acks[2]["message_id"], acks[0]["message_id"],
        "the original's id"
    );

    for content in ["first", "second", "third"] {
        let message = bob_socket.next_json().await;
        assert_eq!(message["content"], content, "{message}");
    }
    let sentinel = app.sentinel(&bob).await;
    bob_socket.expect_nothing_before(sentinel, &[]).await;
    let stored = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert_eq!(stored.len(), 3, "stored once each: {stored:?}");
}

struct Pair {
    sender: TestUser,
    receiver: TestUser,
}

async fn pairs(app: &TestApp, count: usize) -> Vec<Pair> {
    let mut pairs = Vec::with_capacity(count);
    for n in 0..count {
        pairs.push(Pair {
            sender: app.signup(&format!("sender{n}")).await,
            receiver: app.signup(&format!("receiver{n}")).await,
        });
    }
    pairs
}

async fn many_sockets_sending_at_once_lose_and_duplicate_nothing(backend: Backend) {
    const PAIRS: usize = 16;
    const EACH: usize = 60;
    let app = spawn_app(backend).await;
    let pairs = pairs(&app, PAIRS).await;
    let mut sockets = Vec::with_capacity(PAIRS);
    for pair in &pairs {
        sockets.push((
            app.connect(&pair.sender).await,
            app.connect(&pair.receiver).await,
        ));
    }

    // Every sender bursts at once, so the writer's batches mix senders.
    let app = &app;
    join_all(sockets.iter_mut().zip(&pairs).enumerate().map(
        |(n, ((sender_socket, receiver_socket), pair))| async move {
            let tag = format!("pair{n}");
            let acks = burst(sender_socket, pair.receiver.id, &tag, EACH).await;
            let ids = assert_acked_in_order(&acks, &tag);
            assert_received(receiver_socket, pair.sender.id, &tag, &ids).await;
            let sentinel = app.sentinel(&pair.receiver).await;
            receiver_socket.expect_nothing_before(sentinel, &[]).await;
        },
    ))
    .await;

    for pair in &pairs {
        let stored = app
            .history(
                &pair.receiver,
                &format!("/messages/{}?limit=100", pair.sender.id),
            )
            .await;
        assert_eq!(stored.len(), EACH, "stored once each");
    }
}

both_backends!(
    a_burst_from_one_socket_is_acked_and_delivered_in_order,
    a_resend_inside_a_burst_is_a_duplicate,
    many_sockets_sending_at_once_lose_and_duplicate_nothing,
);
