//! Typing indicators: forwarded as short leases, throttled, cleared by a message or
//! by the typer going offline, and never stored.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::both_backends;
use crate::helpers::{keys, spawn_app, timestamp, Backend, Socket};

/// The server's minimum gap between forwarded renewals.
const MIN_RENEWAL: Duration = Duration::from_secs(1);

async fn typing_is_forwarded_as_a_lease(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;

    let sent = Utc::now();
    alice_socket.send_json(typing_to(bob.id)).await;
    let frame = bob_socket.next_of("typing").await;
    assert_eq!(keys(&frame), ["expires_at", "type", "typing", "user_id"]);
    assert_eq!(frame["user_id"], alice.id);
    assert_eq!(frame["typing"], true);
    // A lease of about five seconds.
    let expires_at = timestamp(&frame["expires_at"]);
    let lease = expires_at - sent;
    assert!(
        lease > chrono::Duration::seconds(3) && lease < chrono::Duration::seconds(7),
        "lease of {lease}"
    );

    // Not part of the stream: nothing to replay, nothing in /events.
    for user in [&alice, &bob] {
        let events: Value = app.get("/events", &user.token).await.json().await.unwrap();
        assert_eq!(events["events"], json!([]));
        assert_eq!(events["cursor"], 0);
    }
    // The typer is not told, and a socket that connects is not told either.
    let mut replay = app.connect_since(&bob, 0).await;
    let (to_alice, to_bob) = (app.sentinel(&alice).await, app.sentinel(&bob).await);
    alice_socket.expect_nothing_before(to_alice, &[]).await;
    replay.expect_nothing_before(to_bob, &[]).await;
}
both_backends!(typing_is_forwarded_as_a_lease);

async fn renewals_are_throttled(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let mut alice_phone = app.connect(&alice).await;
    let mut alice_laptop = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    let mut carol_socket = app.connect(&carol).await;

    let first = Instant::now();
    alice_phone.send_json(typing_to(bob.id)).await;
    alice_phone.send_json(typing_to(bob.id)).await;
    // The throttle is per typer, not per socket.
    alice_laptop.send_json(typing_to(bob.id)).await;
    assert_eq!(alice_phone.sync().await, Vec::<Value>::new());
    assert_eq!(alice_laptop.sync().await, Vec::<Value>::new());
    assert!(first.elapsed() < MIN_RENEWAL, "the test ran too slowly");
    let sentinel = app.sentinel(&bob).await;
    let forwarded = bob_socket.frames_before(sentinel, &[]).await;
    assert_eq!(forwarded.len(), 1, "{forwarded:?}");

    // Each recipient has its own lease.
    alice_phone.send_json(typing_to(carol.id)).await;
    assert_eq!(carol_socket.next_of("typing").await["user_id"], alice.id);

    // After the minimum gap, a renewal goes through with a later expiry.
    tokio::time::sleep_until(first + MIN_RENEWAL + Duration::from_millis(100)).await;
    alice_phone.send_json(typing_to(bob.id)).await;
    let renewed = bob_socket.next_of("typing").await;
    assert_eq!(renewed["typing"], true);
    assert!(timestamp(&renewed["expires_at"]) > timestamp(&forwarded[0]["expires_at"]));
}
both_backends!(renewals_are_throttled);

async fn a_message_clears_the_typers_indicator(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;

    // A message to someone else does not end alice's typing to bob.
    alice_socket.send_json(typing_to(bob.id)).await;
    assert_eq!(bob_socket.next_of("typing").await["typing"], true);
    assert_eq!(
        alice_socket.send_message(carol.id, "hi").await["type"],
        "ack"
    );
    let sentinel = app.sentinel(&bob).await;
    bob_socket.expect_nothing_before(sentinel, &[]).await;

    // A message to bob does, just before the message itself.
    let id = alice_socket.send_message(bob.id, "done typing").await["message_id"].clone();
    assert_eq!(
        next_stream_or_typing(&mut bob_socket).await,
        json!({"type": "typing", "user_id": alice.id, "typing": false, "expires_at": null})
    );
    let message = next_stream_or_typing(&mut bob_socket).await;
    assert_eq!(message["type"], "message");
    assert_eq!(message["id"], id);

    // So does one sent over REST.
    alice_socket.send_json(typing_to(bob.id)).await;
    assert_eq!(bob_socket.next_of("typing").await["typing"], true);
    app.send_over_rest(&alice, bob.id, "over REST").await;
    assert_eq!(
        next_stream_or_typing(&mut bob_socket).await["typing"],
        false
    );
    assert_eq!(
        next_stream_or_typing(&mut bob_socket).await["content"],
        "over REST"
    );

    // Without a running lease, a message clears nothing.
    assert_eq!(alice_socket.next_json().await["content"], "over REST");
    alice_socket.send_message(bob.id, "again").await;
    let frame = next_stream_or_typing(&mut bob_socket).await;
    assert_eq!(frame["type"], "message", "{frame}");
    let sentinel = app.sentinel(&bob).await;
    bob_socket.expect_nothing_before(sentinel, &[]).await;
}
both_backends!(a_message_clears_the_typers_indicator);

async fn going_offline_clears_the_typers_indicator(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_phone = app.connect(&alice).await;
    let alice_laptop = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;

    alice_phone.send_json(typing_to(bob.id)).await;
    assert_eq!(bob_socket.next_of("typing").await["typing"], true);

    // Alice is still online on her laptop.
    alice_phone.close().await;
    let sentinel = app.sentinel(&bob).await;
    bob_socket.expect_nothing_before(sentinel, &[]).await;

    alice_laptop.close().await;
    let cleared = bob_socket.next_of("typing").await;
    assert_eq!(
        cleared,
        json!({"type": "typing", "user_id": alice.id, "typing": false, "expires_at": null})
    );
}
both_backends!(going_offline_clears_the_typers_indicator);

async fn typing_to_yourself_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;

    alice_socket.send_json(typing_to(alice.id)).await;
    let error = alice_socket.next_json().await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["code"], "validation_failed", "{error}");
    assert_eq!(error["client_id"], Value::Null, "{error}");
    assert!(error.get("retry_after_ms").is_none(), "{error}");

    for bad in [
        json!({"type": "typing"}),
        json!({"type": "typing", "recipient_id": "bob"}),
        json!({"type": "typing", "recipient_id": bob.id, "typing": true}),
    ] {
        alice_socket.send_json(bad.clone()).await;
        let error = alice_socket.next_json().await;
        assert_eq!(error["code"], "invalid_frame", "{bad}: {error}");
    }
    // Typing to someone who does not exist is ignored.
    alice_socket.send_json(typing_to(999_999)).await;
    assert_eq!(alice_socket.sync().await, Vec::<Value>::new());
    let sentinel = app.sentinel(&bob).await;
    bob_socket.expect_nothing_before(sentinel, &[]).await;

    // The socket stays open.
    alice_socket.send_json(typing_to(bob.id)).await;
    assert_eq!(bob_socket.next_of("typing").await["user_id"], alice.id);
}
both_backends!(typing_to_yourself_is_refused);

fn typing_to(recipient: i64) -> Value {
    json!({"type": "typing", "recipient_id": recipient})
}

/// The next frame that is a typing frame or not a notice at all.
async fn next_stream_or_typing(socket: &mut Socket) -> Value {
    loop {
        let frame = socket.next_frame().await;
        if !["delivered", "read", "presence"].contains(&frame["type"].as_str().unwrap_or_default())
        {
            return frame;
        }
    }
}
