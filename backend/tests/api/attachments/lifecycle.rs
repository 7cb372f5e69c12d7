//! What deletes the files: deleting the message that carries them, pruning the
//! room it was in, and an upload left unsent past `ATTACHMENT_UPLOAD_TTL`. Each
//! looks into the store itself (the directory or the bucket).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{
    fetch, fetch_bytes, id, link, noise, png, send_frame, send_rest, spawn, upload, AttachmentApp,
    Store,
};
use crate::every_backend_and_store;
use crate::helpers::{expect_error, wait_until, Backend};

/// How long a test waits for files to go from the store.
const SWEEP_WAIT: Duration = Duration::from_secs(30);

/// Waits until the store holds exactly `keys`.
async fn wait_for_keys(app: &AttachmentApp, keys: &[String], what: &str) {
    wait_until(SWEEP_WAIT, what, || async {
        app.store.keys().await == keys
    })
    .await;
}

/// Asserts that a file's signed link and its id with a token both give 404.
async fn assert_gone(
    app: &AttachmentApp,
    user: &crate::helpers::TestUser,
    attachment: &Value,
    what: &str,
) {
    let response = fetch(app, &link(attachment, "url")).await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "attachment_not_found",
        what,
    )
    .await;
    let response = app
        .get(&format!("/attachments/{}", id(attachment)), &user.token)
        .await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "attachment_not_found",
        what,
    )
    .await;
}

async fn deleting_a_message_deletes_its_files(backend: Backend, store: Store) {
    let app = spawn(backend, store, |_| {}).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let unsent = upload(&app, &alice, "unsent.bin", &noise(50)).await;
    let before = app.store.keys().await;
    assert!(!before.is_empty(), "the unsent upload is stored");

    let photo = upload(&app, &alice, "photo.png", &png(400, 300)).await;
    let file = upload(&app, &alice, "file.bin", &noise(100)).await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    let ack = send_frame(
        &mut alice_socket,
        json!({"recipient_id": bob.id}),
        "two files",
        &[id(&photo), id(&file)],
        "x-1",
    )
    .await;
    let message_id = ack["message_id"].as_i64().expect("an ack");
    assert_eq!(bob_socket.next_json().await["id"], message_id);
    assert!(app.store.keys().await.len() > before.len());

    let response = app
        .call(
            &alice,
            Method::DELETE,
            &format!("/messages/{message_id}"),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tombstone: Value = response.json().await.unwrap();
    assert_eq!(tombstone["attachments"], json!([]), "{tombstone}");
    let deleted = bob_socket.next_json().await;
    assert_eq!(
        (deleted["type"].clone(), deleted["message_id"].clone()),
        (json!("deleted"), json!(message_id)),
        "{deleted}"
    );
    for attachment in [&photo, &file] {
        assert_gone(&app, &alice, attachment, "the sender, after the delete").await;
        assert_gone(&app, &bob, attachment, "the recipient, after the delete").await;
    }
    let response = fetch(&app, &link(&photo, "thumbnail_url")).await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "attachment_not_found",
        "thumbnail",
    )
    .await;
    let page = app.history(&bob, &format!("/messages/{}", alice.id)).await;
    assert_eq!(page[0]["attachments"], json!([]), "{page:?}");
    let mut replay = app.connect_since(&bob, 0).await;
    let replayed = replay.next_json().await;
    assert_eq!(
        (replayed["id"].clone(), replayed["attachments"].clone()),
        (json!(message_id), json!([])),
        "{replayed}"
    );

    wait_for_keys(&app, &before, "the files and thumbnail gone from the store").await;
    assert_eq!(fetch_bytes(&app, &link(&unsent, "url")).await, noise(50));
}
every_backend_and_store!(deleting_a_message_deletes_its_files);

/// An upload not sent within `ATTACHMENT_UPLOAD_TTL` is deleted; one that was
/// sent stays.
async fn unsent_uploads_are_deleted_after_the_ttl(backend: Backend, store: Store) {
    let app = spawn(backend, store, |config| {
        // Long enough for the first upload to be sent before it expires.
        config.attachment_upload_ttl = Duration::from_secs(5);
    })
    .await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let sent = upload(&app, &alice, "sent.png", &png(100, 100)).await;
    let path = format!("/messages/{}", bob.id);
    let response = send_rest(&app, &alice, &path, "", &[id(&sent)], "t-1").await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "sent within the TTL"
    );
    let kept = app.store.keys().await;

    let unsent = upload(&app, &alice, "unsent.png", &png(100, 100)).await;
    assert!(app.store.keys().await.len() > kept.len());
    wait_for_keys(&app, &kept, "the unsent upload swept from the store").await;
    assert_gone(&app, &alice, &unsent, "swept").await;
    let response = send_rest(&app, &alice, &path, "", &[id(&unsent)], "t-2").await;
    expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_attachment",
        "swept",
    )
    .await;
    fetch_bytes(&app, &link(&sent, "url")).await;
    fetch_bytes(&app, &link(&sent, "thumbnail_url")).await;
}
every_backend_and_store!(unsent_uploads_are_deleted_after_the_ttl);

async fn pruning_a_room_deletes_its_files(backend: Backend, store: Store) {
    let app = spawn(backend, store, |_| {}).await;
    let alice = app.signup("alice").await;
    let room = app.create_room(&alice, "busy", "public").await;
    let response = app
        .call(
            &alice,
            Method::PATCH,
            &format!("/rooms/{room}"),
            Some(json!({"history_limit": 3})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let path = format!("/rooms/{room}/messages");
    let photo = upload(&app, &alice, "photo.png", &png(64, 64)).await;
    let response = send_rest(&app, &alice, &path, "", &[id(&photo)], "p-0").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(!app.store.keys().await.is_empty());

    for n in 1..=4 {
        let response = send_rest(
            &app,
            &alice,
            &path,
            &format!("m{n}"),
            &[],
            &format!("p-{n}"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    wait_for_keys(&app, &[], "the pruned message's files gone from the store").await;
    assert_gone(&app, &alice, &photo, "pruned").await;
}
every_backend_and_store!(pruning_a_room_deletes_its_files);
