//! Editing and deleting over REST: `PATCH`/`DELETE /messages/{message_id}`, the
//! `edited`/`deleted` stream frames, and who may change what.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{expect_error, expect_invalid, spawn_app, Backend, TestApp, TestUser};

async fn the_sender_edits_and_both_sides_see_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_phone = app.connect(&alice).await;
    let mut alice_laptop = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    let ack = alice_phone.send_message(bob.id, "helo").await;
    let id = ack["message_id"].as_i64().unwrap();
    assert_eq!(bob_socket.next_json().await["id"], id);
    assert_eq!(alice_laptop.next_json().await["id"], id);
    // Delivery is recorded before the edit, so the two cannot race.
    alice_phone.next_of("delivered").await;

    let response = edit(&app, &alice, id, "  hello ").await;
    assert_eq!(response.status(), StatusCode::OK);
    let edited: Value = response.json().await.unwrap();
    assert_eq!(edited["id"], id);
    assert_eq!(edited["content"], "hello", "stored trimmed");
    assert_eq!(edited["created_at"], ack["created_at"]);
    assert_eq!(edited["deleted_at"], Value::Null);
    assert!(edited["edited_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));

    // Every socket of both users, the editing device's included, gets the frame.
    let mut cursor = None;
    for socket in [&mut alice_phone, &mut alice_laptop, &mut bob_socket] {
        let frame = socket.next_json().await;
        let position = frame["cursor"].as_i64().expect("a cursor");
        assert!(position > id, "an edit is a new position in the stream");
        assert_eq!(
            frame,
            json!({
                "type": "edited", "cursor": position, "message_id": id,
                "sender_id": alice.id, "recipient_id": bob.id, "content": "hello",
                "edited_at": edited["edited_at"],
            })
        );
        assert_eq!(*cursor.get_or_insert(position), position);
    }
    // One frame each. The laptop's receipt for the message comes whenever it does.
    let (to_alice, to_bob) = (app.sentinel(&alice).await, app.sentinel(&bob).await);
    alice_phone.expect_nothing_before(to_alice, &[]).await;
    alice_laptop
        .expect_nothing_before(to_alice, &["delivered"])
        .await;
    bob_socket.expect_nothing_before(to_bob, &[]).await;

    // History shows the message as it now reads, and the edit is not a message.
    let page = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0], edited);

    // Edited again: the latest content wins.
    let again: Value = edit(&app, &alice, id, "hello, bob")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["content"], "hello, bob");
    assert_eq!(bob_socket.next_json().await["content"], "hello, bob");
    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(page[0]["content"], "hello, bob");
}
both_backends!(the_sender_edits_and_both_sides_see_it);

async fn the_sender_deletes_and_both_sides_see_a_tombstone(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    let id = alice_socket.send_message(bob.id, "oops").await["message_id"]
        .as_i64()
        .unwrap();
    assert_eq!(bob_socket.next_json().await["id"], id);
    alice_socket.next_of("delivered").await;

    let response = delete(&app, &alice, id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tombstone: Value = response.json().await.unwrap();
    assert_eq!(tombstone["id"], id);
    assert_eq!(tombstone["content"], "");
    assert!(tombstone["deleted_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    // Delivery is not undone by deleting.
    assert_eq!(tombstone["delivered"], true);
    assert!(tombstone["delivered_at"].is_string());

    for socket in [&mut alice_socket, &mut bob_socket] {
        let frame = socket.next_json().await;
        let position = frame["cursor"].as_i64().expect("a cursor");
        assert!(position > id);
        assert_eq!(
            frame,
            json!({
                "type": "deleted", "cursor": position, "message_id": id,
                "sender_id": alice.id, "recipient_id": bob.id,
                "deleted_at": tombstone["deleted_at"],
            })
        );
    }
    let page = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert_eq!(page, std::slice::from_ref(&tombstone));

    // Deleting again is a no-op: the same tombstone and no second frame.
    let response = delete(&app, &alice, id).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap(), tombstone);
    let events: Value = app.get("/events", &bob.token).await.json().await.unwrap();
    assert_eq!(events["events"].as_array().unwrap().len(), 2, "{events}");
    let (to_alice, to_bob) = (app.sentinel(&alice).await, app.sentinel(&bob).await);
    alice_socket.expect_nothing_before(to_alice, &[]).await;
    bob_socket.expect_nothing_before(to_bob, &[]).await;

    // A deleted message cannot be edited.
    let response = edit(&app, &alice, id, "back again").await;
    expect_error(response, StatusCode::CONFLICT, "message_deleted", "edit").await;
    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(page, [tombstone]);
    let to_bob = app.sentinel(&bob).await;
    bob_socket.expect_nothing_before(to_bob, &[]).await;
}
both_backends!(the_sender_deletes_and_both_sides_see_a_tombstone);

async fn only_the_sender_may_change_a_message(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let mut alice_socket = app.connect(&alice).await;
    let id = alice_socket.send_message(bob.id, "mine").await["message_id"]
        .as_i64()
        .unwrap();
    let edit_event = edit(&app, &alice, id, "still mine").await;
    assert_eq!(edit_event.status(), StatusCode::OK);
    let edit_event = alice_socket.next_json().await["cursor"].as_i64().unwrap();

    // The recipient knows the message exists, but may not change it.
    let response = edit(&app, &bob, id, "yours now").await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden", "bob edits").await;
    let response = delete(&app, &bob, id).await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden", "bob deletes").await;

    // To anyone else it does not exist, like a message that never did, or an
    // edit event (a stream position, not a message).
    for (who, message) in [
        (&carol, id),
        (&alice, 999_999),
        (&carol, 999_999),
        (&alice, edit_event),
    ] {
        let response = edit(&app, who, message, "hijacked").await;
        expect_error(response, StatusCode::NOT_FOUND, "message_not_found", "edit").await;
        let response = delete(&app, who, message).await;
        expect_error(
            response,
            StatusCode::NOT_FOUND,
            "message_not_found",
            "delete",
        )
        .await;
    }

    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["content"], "still mine");
    assert_eq!(page[0]["deleted_at"], Value::Null);
    let sentinel = app.sentinel(&alice).await;
    alice_socket.expect_nothing_before(sentinel, &[]).await;
}
both_backends!(only_the_sender_may_change_a_message);

async fn edits_and_deletes_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let id = alice_socket.send_message(bob.id, "original").await["message_id"]
        .as_i64()
        .unwrap();

    for content in ["", " \n\t ", &"x".repeat(4001)] {
        let response = edit(&app, &alice, id, content).await;
        expect_invalid(response, "content", "edit content").await;
    }
    assert_eq!(
        edit(&app, &alice, id, &"é".repeat(4000)).await.status(),
        StatusCode::OK,
        "4000 characters is the limit, not 4000 bytes"
    );

    let path = format!("/messages/{id}");
    for (body, code) in [
        ("{nope", "malformed_json"),
        (r#"{"content": 5}"#, "invalid_body"),
        (r#"{"text": "hi"}"#, "invalid_body"),
    ] {
        let response = app
            .request(Method::PATCH, &path, &alice.token)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, code, body).await;
    }

    for method in [Method::PATCH, Method::DELETE] {
        let response = app
            .request(method.clone(), "/messages/abc", &alice.token)
            .json(&json!({"content": "x"}))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_path", "abc").await;

        app.expect_auth_required(method, &path, Some(&json!({"content": "x"})))
            .await;
    }

    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(page[0]["content"], "é".repeat(4000));
    assert_eq!(page[0]["deleted_at"], Value::Null);
}
both_backends!(edits_and_deletes_are_validated);

async fn changes_are_in_the_stream_and_replays_show_the_current_state(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let first = alice_socket.send_message(bob.id, "first").await["message_id"]
        .as_i64()
        .unwrap();
    let second = alice_socket.send_message(bob.id, "second").await["message_id"]
        .as_i64()
        .unwrap();
    let edited: Value = edit(&app, &alice, first, "first, edited")
        .await
        .json()
        .await
        .unwrap();
    let deleted: Value = delete(&app, &alice, second).await.json().await.unwrap();

    // Both devices replay the same stream: the messages as they read now, then the
    // edit and the delete.
    for user in [&alice, &bob] {
        let mut socket = app.connect_since(user, 0).await;
        let replayed = [
            socket.next_json().await,
            socket.next_json().await,
            socket.next_json().await,
            socket.next_json().await,
        ];
        // Nothing is written after: the replay was exactly these.
        socket.expect_caught_up();
        assert_eq!(replayed[0]["type"], "message");
        assert_eq!(replayed[0]["id"], first);
        assert_eq!(replayed[0]["content"], "first, edited");
        assert_eq!(replayed[0]["edited_at"], edited["edited_at"]);
        assert_eq!(replayed[1]["type"], "message");
        assert_eq!(replayed[1]["id"], second);
        assert_eq!(replayed[1]["content"], "");
        assert_eq!(replayed[1]["deleted_at"], deleted["deleted_at"]);
        assert_eq!(replayed[2]["type"], "edited");
        assert_eq!(replayed[2]["message_id"], first);
        assert_eq!(replayed[3]["type"], "deleted");
        assert_eq!(replayed[3]["message_id"], second);
        assert_eq!(socket.ready_cursor, replayed[3]["cursor"]);

        // /events holds the very same frames.
        let events: Value = app.get("/events", &user.token).await.json().await.unwrap();
        assert_eq!(events["events"], json!(replayed));

        // A device that had both messages replays only the changes.
        let mut socket = app.connect_since(user, second).await;
        assert_eq!(socket.next_json().await, replayed[2]);
        assert_eq!(socket.next_json().await, replayed[3]);
        socket.expect_caught_up();
    }
}
both_backends!(changes_are_in_the_stream_and_replays_show_the_current_state);

/// "Content is gone" once a message is deleted: not only the message itself but
/// the edits that carried its text before.
async fn deleting_erases_the_text_of_earlier_edits(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let id = alice_socket.send_message(bob.id, "harmless").await["message_id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        edit(&app, &alice, id, "regrettable").await.status(),
        StatusCode::OK
    );
    let response = delete(&app, &alice, id).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tombstone: Value = response.json().await.unwrap();
    assert_eq!(tombstone["content"], "");
    assert_eq!(
        tombstone["edited_at"],
        Value::Null,
        "a tombstone is not edited"
    );

    for user in [&alice, &bob] {
        let events: Value = app.get("/events", &user.token).await.json().await.unwrap();
        let text = events.to_string();
        assert!(
            !text.contains("regrettable") && !text.contains("harmless"),
            "deleted text is still in the stream: {text}"
        );
        let kinds: Vec<&str> = events["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["message", "edited", "deleted"]);
        assert_eq!(events["events"][1]["content"], "");
        let mut socket = app.connect_since(user, 0).await;
        for _ in 0..3 {
            let frame = socket.next_json().await;
            assert!(
                !frame.to_string().contains("regrettable"),
                "deleted text is replayed: {frame}"
            );
        }
    }
}
both_backends!(deleting_erases_the_text_of_earlier_edits);

async fn edit(app: &TestApp, user: &TestUser, id: i64, content: &str) -> Response {
    app.request(Method::PATCH, &format!("/messages/{id}"), &user.token)
        .json(&json!({ "content": content }))
        .send()
        .await
        .unwrap()
}

async fn delete(app: &TestApp, user: &TestUser, id: i64) -> Response {
    app.request(Method::DELETE, &format!("/messages/{id}"), &user.token)
        .send()
        .await
        .unwrap()
}
