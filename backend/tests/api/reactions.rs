//! Reactions: the `react` frame and `PUT`/`DELETE /messages/{id}/reactions/{emoji}`,
//! the `reaction` stream frame (live and replayed), the summary every message row
//! carries, and who may react with what.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{expect_error, spawn_app, spawn_app_with, Backend, TestApp, TestUser};

/// 👍, URL-encoded.
const THUMBS: &str = "%F0%9F%91%8D";
/// ❤ without its variation selector: stored as ❤️.
const HEART: &str = "%E2%9D%A4";

async fn put(app: &TestApp, user: &TestUser, message: &Value, emoji: &str) -> Response {
    let path = format!("/messages/{message}/reactions/{emoji}");
    app.call(user, Method::PUT, &path, None).await
}

async fn delete(app: &TestApp, user: &TestUser, message: &Value, emoji: &str) -> Response {
    let path = format!("/messages/{message}/reactions/{emoji}");
    app.call(user, Method::DELETE, &path, None).await
}

async fn reactions_reach_every_socket_of_both_sides_and_the_replay(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_phone = app.connect(&alice).await;
    let mut alice_laptop = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    let ack = alice_phone.send_message(bob.id, "pizza?").await;
    let id = ack["message_id"].clone();
    bob_socket.next_json().await;
    alice_laptop.next_json().await;

    bob_socket
        .send_json(json!({"type": "react", "message_id": id, "emoji": "👍", "on": true}))
        .await;
    let mut cursor = None;
    for socket in [&mut bob_socket, &mut alice_phone, &mut alice_laptop] {
        let frame = socket.next_json().await;
        let position = frame["cursor"].as_i64().expect("a stream position");
        assert_eq!(
            frame,
            json!({"type": "reaction", "cursor": position, "message_id": id, "user_id": bob.id,
                   "recipient_id": alice.id, "emoji": "👍", "on": true, "at": frame["at"]})
        );
        assert_eq!(*cursor.get_or_insert(position), position);
    }

    // Over REST, as the other side; the answer is the summary after the change.
    let response = put(&app, &alice, &id, HEART).await;
    assert_eq!(response.status(), StatusCode::OK);
    let summary: Value = response.json().await.unwrap();
    assert_eq!(
        summary,
        json!({"message_id": id, "reactions": [
            {"emoji": "👍", "count": 1, "user_ids": [bob.id]},
            {"emoji": "❤️", "count": 1, "user_ids": [alice.id]},
        ]})
    );
    for socket in [&mut bob_socket, &mut alice_phone, &mut alice_laptop] {
        assert_eq!(socket.next_json().await["emoji"], "❤️");
    }
    // Setting it again stores nothing and sends nothing.
    let again = put(&app, &alice, &id, "%E2%9D%A4%EF%B8%8F").await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap(), summary);
    bob_socket
        .send_json(json!({"type": "react", "message_id": id, "emoji": "👍", "on": true}))
        .await;
    let sentinel = app.sentinel(&bob).await;
    bob_socket.expect_nothing_before(sentinel, &[]).await;

    // Taking one back.
    let response = delete(&app, &bob, &id, THUMBS).await;
    assert_eq!(response.status(), StatusCode::OK);
    let frame = alice_laptop.next_of("reaction").await;
    assert_eq!(frame["on"], false);
    assert_eq!(frame["emoji"], "👍");
    let taken_back = delete(&app, &bob, &id, THUMBS).await;
    assert_eq!(taken_back.status(), StatusCode::OK);

    // History rows and the replay show where things stand, and the replay has
    // every change in order.
    let page = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert_eq!(
        page[0]["reactions"],
        json!([{"emoji": "❤️", "count": 1, "user_ids": [alice.id]}])
    );
    let mut replay = app.connect_since(&bob, 0).await;
    let message = replay.next_json().await;
    assert_eq!(message["reactions"], page[0]["reactions"]);
    let mut seen = Vec::new();
    for _ in 0..3 {
        // (The sentinel's message comes between them.)
        let frame = replay.next_of("reaction").await;
        seen.push((frame["emoji"].clone(), frame["on"].clone()));
    }
    assert_eq!(
        seen,
        [
            (json!("👍"), json!(true)),
            (json!("❤️"), json!(true)),
            (json!("👍"), json!(false))
        ]
    );

    // A deleted message loses its reactions and takes no more.
    let response = app
        .call(&alice, Method::DELETE, &format!("/messages/{id}"), None)
        .await;
    let tombstone: Value = response.json().await.unwrap();
    assert_eq!(tombstone["reactions"], json!([]));
    let response = put(&app, &bob, &id, THUMBS).await;
    expect_error(
        response,
        StatusCode::CONFLICT,
        "message_deleted",
        "a deleted message",
    )
    .await;
}

async fn only_people_in_the_chat_react_and_only_with_one_emoji(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let id = app.send_over_rest(&alice, bob.id, "hi").await["id"].clone();
    let response = put(&app, &carol, &id, THUMBS).await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "message_not_found",
        "a stranger",
    )
    .await;
    let response = put(&app, &alice, &json!(999_999), THUMBS).await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "message_not_found",
        "no such message",
    )
    .await;
    for emoji in ["x", "%F0%9F%91%8D%F0%9F%91%8D", "%3Athumbsup%3A", "%20"] {
        let response = put(&app, &bob, &id, emoji).await;
        expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_emoji",
            emoji,
        )
        .await;
    }
    app.expect_auth_required(
        Method::PUT,
        &format!("/messages/{id}/reactions/{THUMBS}"),
        None,
    )
    .await;

    // A room: members only.
    let room = app.create_room(&alice, "general", "public").await;
    let path = format!("/rooms/{room}/messages");
    let posted = app
        .call(
            &alice,
            Method::POST,
            &path,
            Some(json!({"content": "vote"})),
        )
        .await;
    let posted: Value = posted.json().await.unwrap();
    let response = put(&app, &carol, &posted["id"], THUMBS).await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "message_not_found",
        "not a member",
    )
    .await;
    app.join_room(&carol, room).await;
    assert_eq!(
        put(&app, &carol, &posted["id"], THUMBS).await.status(),
        StatusCode::OK
    );
    // A member event is not a message.
    let history = app.room_history(&alice, &path).await;
    let response = put(&app, &alice, &history["items"][0]["id"], THUMBS).await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "message_not_found",
        "a member event",
    )
    .await;

    // At most 20 different emoji on one message; more of one already there is fine.
    let emoji: Vec<&str> = vec![
        "😀", "😃", "😄", "😁", "😆", "😅", "🤣", "😂", "🙂", "🙃", "😉", "😊", "😇", "🥰", "😍",
        "🤩", "😘", "😗", "😚", "😙",
    ];
    let mut socket = app.connect(&alice).await;
    for e in &emoji[1..] {
        socket
            .send_json(json!({"type": "react", "message_id": posted["id"], "emoji": e, "on": true}))
            .await;
    }
    for _ in 1..emoji.len() {
        assert_eq!(socket.next_json().await["type"], "reaction");
    }
    socket
        .send_json(json!({"type": "react", "message_id": posted["id"], "emoji": "🎉", "on": true}))
        .await;
    let refused = socket.next_json().await;
    assert_eq!(refused["code"], "too_many_reactions", "{refused}");
    assert_eq!(
        put(&app, &new_member(&app, room).await, &posted["id"], THUMBS)
            .await
            .status(),
        StatusCode::OK
    );
    socket
        .send_json(
            json!({"type": "react", "message_id": posted["id"], "emoji": "nope", "on": true}),
        )
        .await;
    assert_eq!(socket.next_of("error").await["code"], "invalid_emoji");
    socket
        .send_json(json!({"type": "react", "message_id": posted["id"], "emoji": "👍"}))
        .await;
    assert_eq!(socket.next_of("error").await["code"], "invalid_frame");
}

/// A new member of `room` (signed up for it).
async fn new_member(app: &TestApp, room: i64) -> TestUser {
    let dave = app.signup("dave").await;
    app.join_room(&dave, room).await;
    dave
}

async fn reactions_count_against_the_send_rate(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.send_rate = 0.1;
        config.send_burst = 3.0;
    })
    .await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let id = app.send_over_rest(&alice, bob.id, "hi").await["id"].clone();
    assert_eq!(put(&app, &bob, &id, THUMBS).await.status(), StatusCode::OK);
    assert_eq!(
        delete(&app, &bob, &id, THUMBS).await.status(),
        StatusCode::OK
    );
    assert_eq!(put(&app, &bob, &id, HEART).await.status(), StatusCode::OK);
    let response = put(&app, &bob, &id, THUMBS).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "a fourth change",
    )
    .await;
}

both_backends!(
    reactions_reach_every_socket_of_both_sides_and_the_replay,
    only_people_in_the_chat_react_and_only_with_one_emoji,
    reactions_count_against_the_send_rate,
);
