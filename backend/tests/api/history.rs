//! `GET /messages/{user_id}`: pages of one conversation, oldest first, with each
//! message's delivery state.

// Test code fails by panicking; the test bodies are plain `async fn`s run by
// `both_backends!`, so clippy's allow-*-in-tests does not reach them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{
    expect_error, expect_invalid, keys, spawn_app, wait_until, Backend, Socket, TestApp, TestUser,
};

/// How long a delivery may take to be recorded.
const DELIVERY_WAIT: Duration = Duration::from_secs(5);

async fn history_shows_both_directions_oldest_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;

    let first = send(&mut alice_socket, bob.id, "hello bob").await;
    let second = send(&mut bob_socket, alice.id, "hi alice").await;
    let third = send(&mut alice_socket, bob.id, "how are you?").await;

    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(page.len(), 3);
    let expected = [
        (&first, alice.id, bob.id, "hello bob"),
        (&second, bob.id, alice.id, "hi alice"),
        (&third, alice.id, bob.id, "how are you?"),
    ];
    for (message, (ack, sender, recipient, content)) in page.iter().zip(expected) {
        assert_eq!(keys(message), FIELDS, "{message}");
        assert_eq!(message["id"], ack["message_id"], "{message}");
        assert_eq!(message["sender_id"], sender, "{message}");
        assert_eq!(message["recipient_id"], recipient, "{message}");
        assert_eq!(message["content"], content, "{message}");
        assert_eq!(message["created_at"], ack["created_at"], "{message}");
        assert!(message["delivered"].is_boolean(), "{message}");
    }
    assert!(ids(&page).windows(2).all(|w| w[0] < w[1]), "oldest first");

    // Bob sees the same conversation.
    let bobs_view = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert_eq!(ids(&bobs_view), ids(&page));
}

async fn created_at_is_utc_rfc3339(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut socket = app.connect(&alice).await;
    let before = Utc::now();
    assert_eq!(
        socket.send_message(bob.id, "what time is it?").await["type"],
        "ack"
    );
    let after = Utc::now();

    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    let created_at = page[0]["created_at"].as_str().expect("a string");
    assert!(created_at.ends_with('Z'), "{created_at} is in UTC");
    let created_at: DateTime<Utc> = DateTime::parse_from_rfc3339(created_at)
        .expect("RFC 3339")
        .into();
    // Stored to the millisecond.
    let slack = chrono::Duration::milliseconds(1);
    assert!(
        before - slack <= created_at && created_at <= after,
        "{created_at} is when it was sent ({before} .. {after})"
    );
}

async fn content_is_stored_trimmed(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut socket = app.connect(&alice).await;
    for content in ["  padded  ", "\n\ttabbed\n", "inner  space kept "] {
        assert_eq!(socket.send_message(bob.id, content).await["type"], "ack");
    }

    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(contents(&page), ["padded", "tabbed", "inner  space kept"]);
}

async fn other_conversations_are_left_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    let mut carol_socket = app.connect(&carol).await;

    send(&mut alice_socket, bob.id, "alice to bob").await;
    send(&mut carol_socket, alice.id, "carol to alice").await;
    send(&mut bob_socket, alice.id, "bob to alice").await;
    send(&mut carol_socket, bob.id, "carol to bob").await;
    send(&mut alice_socket, carol.id, "alice to carol").await;

    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(contents(&page), ["alice to bob", "bob to alice"]);
    let page = app
        .history(&alice, &format!("/messages/{}", carol.id))
        .await;
    assert_eq!(contents(&page), ["carol to alice", "alice to carol"]);
    let page = app.history(&bob, &format!("/messages/{}", carol.id)).await;
    assert_eq!(contents(&page), ["carol to bob"]);
}

/// The path names only the peer; the other side is always the caller.
async fn nobody_reads_other_peoples_conversations(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    send(&mut alice_socket, bob.id, "just between us").await;
    let ack = send(&mut bob_socket, alice.id, "our secret").await;
    let after_last = ack["message_id"].as_i64().expect("id") + 1;

    for path in [
        format!("/messages/{}", alice.id),
        format!("/messages/{}", bob.id),
        format!("/messages/{}?before={after_last}&limit=200", alice.id),
        format!("/messages/{}", carol.id),
    ] {
        let page = app.history(&carol, &path).await;
        assert!(page.is_empty(), "carol sees {page:?} at {path}");
    }
    // …while the conversation is there for its members.
    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(page.len(), 2);
}

/// 7 messages in both directions, with another conversation's ids in between, walked
/// back in pages of 3.
async fn before_and_limit_page_back_through_the_conversation(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    let mut carol_socket = app.connect(&carol).await;

    let mut sent = Vec::new();
    for i in 0..7 {
        let ack = if i % 2 == 0 {
            send(&mut alice_socket, bob.id, &format!("message {i}")).await
        } else {
            send(&mut bob_socket, alice.id, &format!("message {i}")).await
        };
        sent.push(ack["message_id"].as_i64().expect("id"));
        send(&mut carol_socket, alice.id, &format!("noise {i}")).await;
    }

    let path = format!("/messages/{}", bob.id);
    let mut pages = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let query = match before {
            Some(before) => format!("{path}?limit=3&before={before}"),
            None => format!("{path}?limit=3"),
        };
        let page = app.history(&alice, &query).await;
        if page.is_empty() {
            break;
        }
        assert!(pages.len() < 3, "more pages than messages: {page:?}");
        before = Some(page[0]["id"].as_i64().expect("id"));
        pages.push(ids(&page));
    }
    assert_eq!(pages, [&sent[4..7], &sent[1..4], &sent[..1]]);
}

async fn the_default_page_is_the_newest_50(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;

    let mut sent = Vec::new();
    for i in 0..55 {
        let ack = if i % 3 == 0 {
            send(&mut bob_socket, alice.id, &format!("message {i}")).await
        } else {
            send(&mut alice_socket, bob.id, &format!("message {i}")).await
        };
        sent.push(ack["message_id"].as_i64().expect("id"));
    }

    let path = format!("/messages/{}", bob.id);
    let page = app.history(&alice, &path).await;
    assert_eq!(ids(&page), sent[5..]);
    assert_eq!(page[0]["content"], "message 5");

    let page = app.history(&alice, &format!("{path}?limit=200")).await;
    assert_eq!(ids(&page), sent, "the largest page holds them all");
    let page = app.history(&alice, &format!("{path}?limit=1")).await;
    assert_eq!(ids(&page), sent[54..]);
}

async fn limit_and_before_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let path = format!("/messages/{}", bob.id);

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=-1", "limit"),
        ("before=0", "before"),
        ("before=-5", "before"),
    ] {
        let response = app.get(&format!("{path}?{query}"), &alice.token).await;
        expect_invalid(response, field, query).await;
    }

    for query in ["limit=abc", "limit=1.5", "before=abc", "before=", "limit="] {
        let response = app.get(&format!("{path}?{query}"), &alice.token).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_query", "").await;
    }

    for query in ["limit=1", "limit=200", "before=1"] {
        app.history(&alice, &format!("{path}?{query}")).await;
    }
}

async fn an_unknown_peer_is_a_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    for id in [alice.id + 1000, 0, -1] {
        let response = app.get(&format!("/messages/{id}"), &alice.token).await;
        expect_error(response, StatusCode::NOT_FOUND, "user_not_found", "").await;
    }
}

async fn a_non_numeric_peer_is_a_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    app.signup("bob").await;
    for peer in ["bob", "1.5", "1e3", "99999999999999999999"] {
        let response = app.get(&format!("/messages/{peer}"), &alice.token).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_path", "").await;
    }
}

async fn delivered_turns_true_once_the_recipient_connects(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;

    let ack = alice_socket
        .send_message(bob.id, "while you were out")
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["delivered"], false, "bob is offline");
    let id = ack["message_id"].clone();
    let path = format!("/messages/{}", bob.id);
    let page = app.history(&alice, &path).await;
    assert_eq!(page[0]["id"], id);
    assert_eq!(page[0]["delivered"], false);

    // Connecting flushes what bob missed.
    let mut bob_socket = app.connect(&bob).await;
    let frame = bob_socket.next_json().await;
    assert_eq!(frame["type"], "message", "{frame}");
    assert_eq!(frame["id"], id, "{frame}");
    wait_until_delivered(&app, &alice, &path, &id).await;
    let bobs_view = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert_eq!(bobs_view[0]["delivered"], true);

    // Sent while bob is online, a message is delivered at once.
    let ack = alice_socket.send_message(bob.id, "welcome back").await;
    assert_eq!(ack["delivered"], true, "{ack}");
    let frame = bob_socket.next_json().await;
    assert_eq!(frame["id"], ack["message_id"], "{frame}");
    wait_until_delivered(&app, &alice, &path, &ack["message_id"]).await;
}

async fn history_needs_a_valid_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let bob = app.signup("bob").await;
    let path = format!("/messages/{}", bob.id);

    app.expect_auth_required(Method::GET, &path, None).await;
}

both_backends!(
    history_shows_both_directions_oldest_first,
    created_at_is_utc_rfc3339,
    content_is_stored_trimmed,
    other_conversations_are_left_out,
    nobody_reads_other_peoples_conversations,
    before_and_limit_page_back_through_the_conversation,
    the_default_page_is_the_newest_50,
    limit_and_before_are_validated,
    an_unknown_peer_is_a_404,
    a_non_numeric_peer_is_a_400,
    delivered_turns_true_once_the_recipient_connects,
    history_needs_a_valid_token,
);

/// A message's fields, sorted.
const FIELDS: [&str; 14] = [
    "attachments",
    "client_id",
    "content",
    "created_at",
    "deleted_at",
    "delivered",
    "delivered_at",
    "edited_at",
    "id",
    "reactions",
    "read_at",
    "recipient_id",
    "reply_to",
    "sender_id",
];

/// Sends a message and returns its ack, passing over the messages that arrive on
/// this socket meanwhile (when both sides of a conversation are connected).
async fn send(socket: &mut Socket, to: i64, content: &str) -> Value {
    socket
        .send_json(json!({"type": "message", "recipient_id": to, "content": content}))
        .await;
    loop {
        let frame = socket.next_json().await;
        match frame["type"].as_str() {
            Some("ack") => return frame,
            Some("message") => continue,
            _ => panic!("expected an ack for {content:?}, got {frame}"),
        }
    }
}

fn ids(page: &[Value]) -> Vec<i64> {
    page.iter()
        .map(|m| m["id"].as_i64().expect("numeric id"))
        .collect()
}

fn contents(page: &[Value]) -> Vec<&str> {
    page.iter()
        .map(|m| m["content"].as_str().expect("content"))
        .collect()
}

/// Polls `viewer`'s page at `path` until message `id` shows as delivered.
async fn wait_until_delivered(app: &TestApp, viewer: &TestUser, path: &str, id: &Value) {
    let what = format!("message {id} is still undelivered");
    wait_until(DELIVERY_WAIT, &what, || async {
        let page = app.history(viewer, path).await;
        let message = page
            .iter()
            .find(|m| &m["id"] == id)
            .unwrap_or_else(|| panic!("message {id} is not on {path}"));
        message["delivered"] == true
    })
    .await;
}
