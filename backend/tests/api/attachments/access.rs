//! Who may fetch a file with a token: its uploader, and whoever can see a message
//! that carries it. Everyone else gets the 404 of an id that does not exist.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{id, noise, png, send_frame, send_rest, spawn, upload, Store};
use crate::both_backends;
use crate::helpers::{expect_error, Backend, TestApp, TestUser};

/// Asserts that `user` gets the file `id` and its thumbnail (if `thumbnail`).
async fn can_fetch(app: &TestApp, user: &TestUser, id: &str, thumbnail: bool, what: &str) {
    let response = app.get(&format!("/attachments/{id}"), &user.token).await;
    assert_eq!(response.status(), StatusCode::OK, "{what}");
    if thumbnail {
        let response = app
            .get(&format!("/attachments/{id}/thumbnail"), &user.token)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{what}: the thumbnail");
    }
}

/// Asserts that `user` gets `404 attachment_not_found` for file `id` and its
/// thumbnail, as for an id that does not exist.
async fn cannot_fetch(app: &TestApp, user: &TestUser, id: &str, what: &str) {
    for path in [
        format!("/attachments/{id}"),
        format!("/attachments/{id}/thumbnail"),
    ] {
        let response = app.get(&path, &user.token).await;
        expect_error(
            response,
            StatusCode::NOT_FOUND,
            "attachment_not_found",
            what,
        )
        .await;
    }
}

async fn a_direct_messages_files_are_for_its_two_users(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let eve = app.signup("eve").await;
    let photo = upload(&app, &alice, "photo.png", &png(16, 16)).await;
    let photo_id = id(&photo);

    can_fetch(
        &app,
        &alice,
        &photo_id,
        true,
        "the uploader, before sending",
    )
    .await;
    cannot_fetch(&app, &bob, &photo_id, "bob, before it is sent to him").await;
    cannot_fetch(
        &app,
        &eve,
        "AAAAAAAAAAAAAAAAAAAAAA",
        "an id that does not exist",
    )
    .await;
    cannot_fetch(&app, &eve, "not even an id", "a malformed id").await;
    app.expect_auth_required(Method::GET, &format!("/attachments/{photo_id}"), None)
        .await;

    let mut alice_socket = app.connect(&alice).await;
    let ack = send_frame(
        &mut alice_socket,
        json!({"recipient_id": bob.id}),
        "",
        std::slice::from_ref(&photo_id),
        "p-1",
    )
    .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    can_fetch(&app, &alice, &photo_id, true, "the sender").await;
    can_fetch(&app, &bob, &photo_id, true, "the recipient").await;
    cannot_fetch(&app, &eve, &photo_id, "an outsider").await;
}
both_backends!(a_direct_messages_files_are_for_its_two_users);

async fn a_rooms_files_are_for_its_members(backend: Backend) {
    let app = spawn(backend, Store::Local, |_| {}).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let eve = app.signup("eve").await;
    let group = app.create_room(&alice, "group", "private").await;
    app.add_member(&alice, group, &bob).await;
    app.add_member(&alice, group, &carol).await;
    let channel = app.create_room(&alice, "channel", "public").await;
    app.join_room(&bob, channel).await;

    let in_group = id(&upload(&app, &alice, "group.png", &png(16, 16)).await);
    let in_channel = id(&upload(&app, &alice, "channel.bin", &noise(16)).await);
    for (room, file) in [(group, &in_group), (channel, &in_channel)] {
        let path = format!("/rooms/{room}/messages");
        let response = send_rest(
            &app,
            &alice,
            &path,
            "",
            std::slice::from_ref(file),
            &format!("{room}"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    can_fetch(&app, &bob, &in_group, true, "a member of the group").await;
    can_fetch(&app, &carol, &in_group, true, "another member of the group").await;
    cannot_fetch(&app, &eve, &in_group, "not in the group").await;
    can_fetch(&app, &bob, &in_channel, false, "a member of the channel").await;
    cannot_fetch(&app, &carol, &in_channel, "has not joined the channel").await;
    cannot_fetch(&app, &eve, &in_channel, "has not joined the channel").await;

    // Joining brings the history, and its files; leaving or being removed
    // takes them away, as with the history.
    app.join_room(&eve, channel).await;
    can_fetch(&app, &eve, &in_channel, false, "joined the channel").await;
    let response = app
        .call(
            &alice,
            Method::DELETE,
            &format!("/rooms/{group}/members/{}", carol.id),
            None,
        )
        .await;
    assert!(
        response.status().is_success(),
        "remove carol: {}",
        response.status()
    );
    cannot_fetch(&app, &carol, &in_group, "removed from the group").await;
    can_fetch(&app, &bob, &in_group, true, "still in the group").await;
}
both_backends!(a_rooms_files_are_for_its_members);
