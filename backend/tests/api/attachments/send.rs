//! Sending attachments: over the socket and both REST sends, what frames and
//! history rows carry, and the attachments that cannot be sent.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{
    assert_carries, assert_serves, fetch_bytes, id, link, noise, png, send_frame, send_rest, spawn,
    upload, Store,
};
use crate::both_backends;
use crate::helpers::{expect_error, Backend};

async fn attachments_sent_over_the_socket_reach_both_sides(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let mut alice_phone = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    let photo = upload(&app, &alice, "photo.png", &png(60, 40)).await;
    let file_bytes = noise(300);
    let file = upload(&app, &alice, "data.bin", &file_bytes).await;
    let ids = [id(&photo), id(&file)];

    let ack = send_frame(
        &mut alice_socket,
        json!({"recipient_id": bob.id}),
        "",
        &ids,
        "a-1",
    )
    .await;
    assert_eq!(
        ack["type"], "ack",
        "content may be empty with attachments: {ack}"
    );
    let message_id = ack["message_id"].as_i64().unwrap();
    for (who, socket) in [
        ("bob", &mut bob_socket),
        ("alice's phone", &mut alice_phone),
    ] {
        let frame = socket.next_json().await;
        assert_eq!(
            (
                frame["type"].clone(),
                frame["id"].clone(),
                frame["content"].clone()
            ),
            (json!("message"), json!(message_id), json!("")),
            "{who}: {frame}"
        );
        let carried = assert_carries(&frame, &[&photo, &file]);
        assert_serves(&app, &link(&carried[0], "url"), &photo).await;
        assert_eq!(
            fetch_bytes(&app, &link(&carried[1], "url")).await,
            file_bytes
        );
        fetch_bytes(&app, &link(&carried[0], "thumbnail_url")).await;
    }

    // History carries them on both sides; a message without any carries [].
    let text = app.send_over_rest(&alice, bob.id, "no files").await;
    assert_eq!(text["attachments"], json!([]), "{text}");
    for (viewer, peer) in [(&bob, alice.id), (&alice, bob.id)] {
        let page = app.history(viewer, &format!("/messages/{peer}")).await;
        let row = page
            .iter()
            .find(|row| row["id"] == message_id)
            .unwrap_or_else(|| panic!("message {message_id} in {page:?}"));
        let carried = assert_carries(row, &[&photo, &file]);
        assert_eq!(
            fetch_bytes(&app, &link(&carried[1], "url")).await,
            file_bytes
        );
        let text_row = page
            .iter()
            .find(|row| row["content"] == "no files")
            .unwrap();
        assert_eq!(text_row["attachments"], json!([]), "{text_row}");
    }
    // A replay carries them too.
    let mut replay = app.connect_since(&bob, 0).await;
    let replayed = replay.next_json().await;
    assert_eq!(replayed["id"], message_id, "{replayed}");
    assert_carries(&replayed, &[&photo, &file]);
}
both_backends!(attachments_sent_over_the_socket_reach_both_sides);

async fn attachments_sent_over_rest_reach_a_conversation_and_a_room(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let room = app.create_room(&alice, "photos", "private").await;
    app.add_member(&alice, room, &bob).await;
    let mut bob_socket = app.connect(&bob).await;

    let photo = upload(&app, &alice, "photo.png", &png(20, 20)).await;
    let response = send_rest(
        &app,
        &alice,
        &format!("/messages/{}", bob.id),
        "look",
        &[id(&photo)],
        "r-1",
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let message: Value = response.json().await.unwrap();
    assert_carries(&message, &[&photo]);
    let frame = bob_socket.next_json().await;
    assert_eq!(frame["id"], message["id"], "{frame}");
    assert_carries(&frame, &[&photo]);

    let in_room = upload(&app, &alice, "room.bin", &noise(64)).await;
    let path = format!("/rooms/{room}/messages");
    let response = send_rest(&app, &alice, &path, "", &[id(&in_room)], "r-2").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let message: Value = response.json().await.unwrap();
    assert_carries(&message, &[&in_room]);
    let frame = bob_socket.next_json().await;
    assert_eq!(
        (frame["id"].clone(), frame["room_id"].clone()),
        (message["id"].clone(), json!(room)),
        "{frame}"
    );
    let carried = assert_carries(&frame, &[&in_room]);
    assert_eq!(
        fetch_bytes(&app, &link(&carried[0], "url")).await,
        noise(64)
    );
    let page = app.room_history(&bob, &path).await;
    let row = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["id"] == message["id"])
        .expect("the message in the room's history")
        .clone();
    assert_carries(&row, &[&in_room]);
}
both_backends!(attachments_sent_over_rest_reach_a_conversation_and_a_room);

/// Someone else's upload, an unknown id, one already sent, eleven at once:
/// refused over the socket and REST, and nothing is stored.
async fn attachments_that_cannot_be_sent_are_refused(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let room = app.create_room(&alice, "room", "public").await;
    let mut alice_socket = app.connect(&alice).await;

    let bobs = upload(&app, &bob, "bobs.bin", &noise(10)).await;
    let used = upload(&app, &alice, "used.bin", &noise(10)).await;
    let ack = send_frame(
        &mut alice_socket,
        json!({"recipient_id": bob.id}),
        "",
        &[id(&used)],
        "u-1",
    )
    .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let fresh = upload(&app, &alice, "fresh.bin", &noise(10)).await;
    let mut eleven = Vec::new();
    for n in 0..11 {
        eleven.push(id(
            &upload(&app, &alice, &format!("f{n}.bin"), &noise(10)).await
        ));
    }

    let refusals: [(&str, Vec<String>); 3] = [
        ("someone else's upload", vec![id(&fresh), id(&bobs)]),
        (
            "an unknown id",
            vec!["AAAAAAAAAAAAAAAAAAAAAA".into(), id(&fresh)],
        ),
        ("an id already sent", vec![id(&fresh), id(&used)]),
    ];
    for (n, (what, ids)) in refusals.iter().enumerate() {
        let error = send_frame(
            &mut alice_socket,
            json!({"recipient_id": bob.id}),
            "",
            ids,
            &format!("bad-{n}"),
        )
        .await;
        assert_eq!(
            (error["type"].clone(), error["code"].clone()),
            (json!("error"), json!("invalid_attachment")),
            "socket, {what}: {error}"
        );
        for path in [
            format!("/messages/{}", bob.id),
            format!("/rooms/{room}/messages"),
        ] {
            let response = send_rest(&app, &alice, &path, "", ids, &format!("bad-rest-{n}")).await;
            expect_error(
                response,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_attachment",
                &format!("{path}, {what}"),
            )
            .await;
        }
    }
    // More than ten is refused before anything is looked up.
    let error = send_frame(
        &mut alice_socket,
        json!({"room_id": room}),
        "x",
        &eleven,
        "eleven",
    )
    .await;
    assert_eq!(error["type"], "error", "eleven attachments: {error}");
    let response = send_rest(
        &app,
        &alice,
        &format!("/messages/{}", bob.id),
        "x",
        &eleven,
        "e",
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "eleven over REST"
    );
    // Without attachments, empty content is still refused.
    let error = send_frame(
        &mut alice_socket,
        json!({"recipient_id": bob.id}),
        "  ",
        &[],
        "empty",
    )
    .await;
    assert_eq!(error["code"], "validation_failed", "{error}");

    // Nothing was stored: the one message sent is all there is, and the upload
    // named in the refused sends can still be sent, as can ten at once.
    let page = app.history(&alice, &format!("/messages/{}", bob.id)).await;
    assert_eq!(page.len(), 1, "{page:?}");
    let ack = send_frame(
        &mut alice_socket,
        json!({"recipient_id": bob.id}),
        "",
        &[id(&fresh)],
        "ok-1",
    )
    .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let ack = send_frame(
        &mut alice_socket,
        json!({"room_id": room}),
        "",
        &eleven[..10],
        "ok-10",
    )
    .await;
    assert_eq!(ack["type"], "ack", "ten is the most: {ack}");
}
both_backends!(attachments_that_cannot_be_sent_are_refused);

/// A resend with the same client_id and the same attachments is the duplicate
/// of the stored message, not a refusal for attachments already used.
async fn a_resend_with_the_same_attachments_is_a_duplicate(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut alice_socket = app.connect(&alice).await;
    let file = upload(&app, &alice, "once.bin", &noise(20)).await;
    let ids = [id(&file)];

    let target = json!({"recipient_id": bob.id});
    let ack = send_frame(&mut alice_socket, target.clone(), "", &ids, "d-1").await;
    assert_eq!(
        (ack["type"].clone(), ack["duplicate"].clone()),
        (json!("ack"), json!(false)),
        "{ack}"
    );
    let again = send_frame(&mut alice_socket, target, "", &ids, "d-1").await;
    assert_eq!(
        (
            again["type"].clone(),
            again["duplicate"].clone(),
            again["message_id"].clone()
        ),
        (json!("ack"), json!(true), ack["message_id"].clone()),
        "{again}"
    );
    let response = send_rest(
        &app,
        &alice,
        &format!("/messages/{}", bob.id),
        "",
        &ids,
        "d-1",
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK, "a REST resend");
    let original: Value = response.json().await.unwrap();
    assert_eq!(original["id"], ack["message_id"]);
    assert_carries(&original, &[&file]);
    let page = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert_eq!(page.len(), 1, "{page:?}");
}
both_backends!(a_resend_with_the_same_attachments_is_a_duplicate);

/// Edits change the text only: the attachments stay, and an edit that names
/// attachments does not change them.
async fn an_edit_keeps_the_attachments(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let file = upload(&app, &alice, "kept.bin", &noise(30)).await;
    let other = upload(&app, &alice, "other.bin", &noise(40)).await;
    let path = format!("/messages/{}", bob.id);
    let response = send_rest(&app, &alice, &path, "first", &[id(&file)], "e-1").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let message: Value = response.json().await.unwrap();
    let edit = format!("/messages/{}", message["id"]);

    let response = app
        .call(
            &alice,
            Method::PATCH,
            &edit,
            Some(json!({"content": "second"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json!({"content": "third", "attachments": [id(&other)]});
    let response = app.call(&alice, Method::PATCH, &edit, Some(body)).await;
    assert!(
        response.status().is_client_error() || response.status() == StatusCode::OK,
        "{}",
        response.status()
    );
    let page = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert_eq!(page.len(), 1, "{page:?}");
    assert_carries(&page[0], &[&file]);
    // The other upload is still unsent: it can go in a message of its own.
    let response = send_rest(&app, &alice, &path, "", &[id(&other)], "e-2").await;
    assert_eq!(response.status(), StatusCode::CREATED);
}
both_backends!(an_edit_keeps_the_attachments);
