//! Presence: people who share a conversation are told when the other comes online
//! or goes offline, and `/users` and `/conversations` show it with `last_seen`.

use chrono::Utc;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{keys, spawn_app, timestamp, Backend, Socket, TestApp, TestUser};

/// Asserts that `socket` is sent nothing before a sentinel. Presence is routed
/// before the socket that came online gets `ready`, and before the server answers
/// the close of the socket that went offline; so whatever the connects and closes
/// the test has seen complete sent `user` comes before the sentinel.
async fn expect_no_presence(app: &TestApp, user: &TestUser, socket: &mut Socket, skip: &[&str]) {
    let sentinel = app.sentinel(user).await;
    socket.expect_nothing_before(sentinel, skip).await;
}

async fn peers_are_told_when_a_user_comes_and_goes(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let dave = app.signup("dave").await;
    app.send_over_rest(&alice, bob.id, "hi").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut carol_socket = app.connect(&carol).await;

    let bob_phone = app.connect(&bob).await;
    let online = alice_socket.next_of("presence").await;
    assert_eq!(
        online,
        json!({"type": "presence", "user_id": bob.id, "online": true, "last_seen": null})
    );
    // Carol shares no conversation with bob.
    expect_no_presence(&app, &carol, &mut carol_socket, &[]).await;
    let seen = contact(&app, &alice, bob.id).await;
    assert_eq!(
        (&seen["online"], &seen["last_seen"]),
        (&json!(true), &Value::Null)
    );
    let peer = app.conversation_with(&alice, bob.id).await["peer"].clone();
    assert_eq!(
        (&peer["online"], &peer["last_seen"]),
        (&json!(true), &Value::Null)
    );

    // A second socket, and closing one of two, change nothing.
    let bob_laptop = app.connect(&bob).await;
    bob_phone.close().await;
    // Alice's receipt for "hi", when bob's phone flushed it, comes when it does.
    expect_no_presence(&app, &alice, &mut alice_socket, &["delivered"]).await;

    let before = Utc::now();
    bob_laptop.close().await;
    let offline = alice_socket.next_of("presence").await;
    assert_eq!(offline["user_id"], bob.id);
    assert_eq!(offline["online"], false);
    let last_seen = timestamp(&offline["last_seen"]);
    assert!(
        last_seen >= before - chrono::Duration::milliseconds(1) && last_seen <= Utc::now(),
        "last_seen {last_seen} is not when bob left"
    );
    expect_no_presence(&app, &carol, &mut carol_socket, &[]).await;

    for shown in [
        contact(&app, &alice, bob.id).await,
        app.conversation_with(&alice, bob.id).await["peer"].clone(),
    ] {
        assert_eq!(shown["online"], false, "{shown}");
        assert_eq!(
            shown["last_seen"], offline["last_seen"],
            "shown as announced"
        );
    }
    // Someone who never connected is offline and has never been seen.
    let never = contact(&app, &alice, dave.id).await;
    assert_eq!(
        (&never["online"], &never["last_seen"]),
        (&json!(false), &Value::Null)
    );

    // Coming back clears last_seen again.
    let _bob_again = app.connect(&bob).await;
    let back = alice_socket.next_of("presence").await;
    assert_eq!(
        (&back["online"], &back["last_seen"]),
        (&json!(true), &Value::Null)
    );
    let seen = contact(&app, &alice, bob.id).await;
    assert_eq!(
        (&seen["online"], &seen["last_seen"]),
        (&json!(true), &Value::Null)
    );
}
both_backends!(peers_are_told_when_a_user_comes_and_goes);

async fn presence_reaches_both_sides_of_a_conversation(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    // Bob wrote to carol: that is a conversation for both of them.
    app.send_over_rest(&bob, carol.id, "hello carol").await;
    let mut carol_socket = app.connect(&carol).await;
    let mut alice_socket = app.connect(&alice).await;

    let bob_socket = app.connect(&bob).await;
    assert_eq!(carol_socket.next_of("presence").await["user_id"], bob.id);
    expect_no_presence(&app, &alice, &mut alice_socket, &[]).await;

    bob_socket.close().await;
    let offline = carol_socket.next_of("presence").await;
    assert_eq!(offline["online"], false);
    expect_no_presence(&app, &alice, &mut alice_socket, &[]).await;

    // Alice is nobody's peer: her coming and going is announced to nobody.
    alice_socket.close().await;
    expect_no_presence(&app, &carol, &mut carol_socket, &[]).await;
}
both_backends!(presence_reaches_both_sides_of_a_conversation);

/// `user` as `viewer` sees them in `GET /users`.
async fn contact(app: &TestApp, viewer: &TestUser, user: i64) -> Value {
    let found = app.listed_user(viewer, user).await;
    assert_eq!(keys(&found), ["id", "last_seen", "online", "username"]);
    found
}
