//! Replies: `reply_to` on a send, the quote every frame and history row carries
//! (kept true when the original is edited or deleted), and the pages `around` a
//! message and `after` one that let a client jump to an old original.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{expect_error, spawn_app, Backend, TestApp, TestUser};

async fn reply(app: &TestApp, from: &TestUser, path: &str, body: Value) -> reqwest::Response {
    app.call(from, Method::POST, path, Some(body)).await
}

async fn a_reply_quotes_its_original_in_every_frame_and_row(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    let original = alice_socket.send_message(bob.id, "lunch at noon?").await;
    let original = original["message_id"].as_i64().unwrap();
    bob_socket.next_json().await;

    bob_socket
        .send_json(json!({"type": "message", "recipient_id": alice.id, "content": "yes!", "reply_to": original, "client_id": "b-1"}))
        .await;
    let ack = bob_socket.next_json().await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let id = ack["message_id"].as_i64().unwrap();
    let quote = json!({"id": original, "sender_id": alice.id, "preview": "lunch at noon?", "deleted": false, "attachments": 0});
    let frame = alice_socket.next_json().await;
    assert_eq!(frame["id"], id);
    assert_eq!(frame["reply_to"], quote);

    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(page[0]["reply_to"], Value::Null);
    assert_eq!(page[1]["reply_to"], quote);
    let mut replay = app.connect_since(&alice, original).await;
    assert_eq!(replay.next_json().await["reply_to"], quote);
    let events = app.get("/events?since=0", &bob.token).await;
    let events: Value = events.json().await.unwrap();
    assert_eq!(events["events"][1]["reply_to"], quote);

    // Over REST, with a long original: the quote is its first 200 characters.
    let long = "é".repeat(250);
    let long_id = app.send_over_rest(&bob, alice.id, &long).await["id"].clone();
    let response = reply(
        &app,
        &alice,
        &format!("/messages/{}", bob.id),
        json!({"content": "wow", "reply_to": long_id}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let sent: Value = response.json().await.unwrap();
    assert_eq!(sent["reply_to"]["preview"], "é".repeat(200));
    assert_eq!(sent["reply_to"]["sender_id"], bob.id);
}

async fn quotes_follow_edits_and_deletes_of_the_original(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let room = app.create_room(&alice, "general", "public").await;
    app.join_room(&bob, room).await;
    let path = format!("/rooms/{room}/messages");
    let original = reply(&app, &alice, &path, json!({"content": "draft"})).await;
    let original: Value = original.json().await.unwrap();
    let reply_row = reply(
        &app,
        &bob,
        &path,
        json!({"content": "ok", "reply_to": original["id"]}),
    )
    .await;
    assert_eq!(reply_row.status(), StatusCode::CREATED);
    let reply_row: Value = reply_row.json().await.unwrap();
    assert_eq!(reply_row["reply_to"]["preview"], "draft");

    let quote_now = |page: &Value| -> Value {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["id"] == reply_row["id"])
            .unwrap()["reply_to"]
            .clone()
    };
    let edit = format!("/messages/{}", original["id"]);
    let response = app
        .call(
            &alice,
            Method::PATCH,
            &edit,
            Some(json!({"content": "final"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = app.room_history(&bob, &path).await;
    assert_eq!(quote_now(&page)["preview"], "final");

    let response = app.call(&alice, Method::DELETE, &edit, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = app.room_history(&bob, &path).await;
    assert_eq!(
        quote_now(&page),
        json!({"id": original["id"], "sender_id": alice.id, "preview": "", "deleted": true, "attachments": 0})
    );
}

async fn a_reply_must_answer_a_live_message_of_its_own_chat(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let to_bob = format!("/messages/{}", bob.id);
    let theirs = app.send_over_rest(&carol, bob.id, "not yours").await["id"].clone();
    let mine = app.send_over_rest(&alice, bob.id, "mine").await["id"].clone();
    let room = app.create_room(&alice, "general", "public").await;
    let in_room = reply(
        &app,
        &alice,
        &format!("/rooms/{room}/messages"),
        json!({"content": "room"}),
    )
    .await;
    let in_room: Value = in_room.json().await.unwrap();
    let gone = app.send_over_rest(&alice, bob.id, "gone").await["id"].clone();
    let response = app
        .call(&alice, Method::DELETE, &format!("/messages/{gone}"), None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    for (target, what) in [
        (json!(999_999), "an unknown id"),
        (theirs.clone(), "a message of another conversation"),
        (
            in_room["id"].clone(),
            "a room message, in a direct conversation",
        ),
        (gone.clone(), "a deleted message"),
    ] {
        let response = reply(
            &app,
            &alice,
            &to_bob,
            json!({"content": "re", "reply_to": target}),
        )
        .await;
        expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "reply_target_not_found",
            what,
        )
        .await;
    }
    // A member event is not a message either.
    let events = app
        .room_history(&alice, &format!("/rooms/{room}/messages"))
        .await;
    let joined = events["items"][0]["id"].clone();
    let response = reply(
        &app,
        &alice,
        &format!("/rooms/{room}/messages"),
        json!({"content": "re", "reply_to": joined}),
    )
    .await;
    expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reply_target_not_found",
        "a member event",
    )
    .await;
    // The socket answers with an error frame, and stores nothing.
    let mut socket = app.connect(&alice).await;
    socket
        .send_json(
            json!({"recipient_id": bob.id, "content": "re", "reply_to": theirs, "client_id": "x"}),
        )
        .await;
    let refused = socket.next_json().await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["code"], "reply_target_not_found");
    assert_eq!(refused["client_id"], "x");
    socket
        .send_json(json!({"recipient_id": bob.id, "content": "re", "reply_to": "five"}))
        .await;
    assert_eq!(socket.next_json().await["code"], "invalid_frame");
    let page = app.history(&alice, &to_bob).await;
    assert_eq!(page.len(), 2, "only `mine` and the tombstone: {page:?}");

    // A resend under the same client_id is a duplicate even once its original
    // is gone: it was stored before.
    let body = json!({"content": "re", "reply_to": mine, "client_id": "r-1"});
    let first = reply(&app, &alice, &to_bob, body.clone()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let response = app
        .call(&alice, Method::DELETE, &format!("/messages/{mine}"), None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let again = reply(&app, &alice, &to_bob, body).await;
    assert_eq!(again.status(), StatusCode::OK, "a duplicate, not a refusal");
}

async fn pages_around_and_after_a_message(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let (from, to) = if n % 2 == 0 {
            (&alice, &bob)
        } else {
            (&bob, &alice)
        };
        ids.push(
            app.send_over_rest(from, to.id, &format!("m{n}")).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let page_ids = |page: &[Value]| {
        page.iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let dm = format!("/messages/{}", bob.id);
    let page = app
        .history(&alice, &format!("{dm}?around={}&limit=6", ids[10]))
        .await;
    assert_eq!(page_ids(&page), ids[8..14]);
    let page = app
        .history(&alice, &format!("{dm}?after={}&limit=3", ids[13]))
        .await;
    assert_eq!(page_ids(&page), ids[14..17]);
    let page = app
        .history(&alice, &format!("{dm}?after={}", ids[19]))
        .await;
    assert!(page.is_empty());
    let page = app
        .history(&alice, &format!("{dm}?around={}&limit=1", ids[0]))
        .await;
    assert_eq!(page_ids(&page), ids[0..1]);

    let room = app.create_room(&alice, "general", "public").await;
    let mut room_ids = Vec::new();
    for n in 0..10 {
        let response = reply(
            &app,
            &alice,
            &format!("/rooms/{room}/messages"),
            json!({"content": format!("r{n}")}),
        )
        .await;
        room_ids.push(
            response.json::<Value>().await.unwrap()["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let history = format!("/rooms/{room}/messages");
    let page = app
        .room_history(&alice, &format!("{history}?around={}&limit=4", room_ids[5]))
        .await;
    assert_eq!(page_ids(page["items"].as_array().unwrap()), room_ids[4..8]);
    assert_eq!(page["end_of_history"], false);
    let page = app
        .room_history(&alice, &format!("{history}?after={}&limit=50", room_ids[7]))
        .await;
    assert_eq!(page_ids(page["items"].as_array().unwrap()), room_ids[8..10]);
    // Around the first message: the member event before it is all that is older.
    let page = app
        .room_history(&alice, &format!("{history}?around={}&limit=4", room_ids[0]))
        .await;
    assert_eq!(page["items"][0]["type"], "member");
    assert_eq!(page["end_of_history"], true);

    // A message of another chat, or none: not found. Two anchors: refused.
    let carol = app.signup("carol").await;
    let elsewhere = app.send_over_rest(&carol, bob.id, "hi bob").await["id"].clone();
    for path in [
        format!("{dm}?around={elsewhere}"),
        format!("{dm}?around=999999"),
        format!("{history}?around={}", ids[0]),
    ] {
        let response = app.get(&path, &alice.token).await;
        expect_error(response, StatusCode::NOT_FOUND, "message_not_found", &path).await;
    }
    for query in [
        "around=1&before=5",
        "after=1&around=2",
        "around=0",
        "after=-1",
    ] {
        let response = app.get(&format!("{dm}?{query}"), &alice.token).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
    }
}

both_backends!(
    a_reply_quotes_its_original_in_every_frame_and_row,
    quotes_follow_edits_and_deletes_of_the_original,
    a_reply_must_answer_a_live_message_of_its_own_chat,
    pages_around_and_after_a_message,
);
