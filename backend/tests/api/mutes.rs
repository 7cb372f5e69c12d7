//! Muting: `PUT /conversations/{user_id}/mute` and `PUT /rooms/{id}/mute`, the
//! `muted` frame every socket of the user gets, and `muted_until` in the lists.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{expect_error, expect_invalid, spawn_app, Backend};

async fn a_mute_reaches_every_device_and_the_lists(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    app.send_over_rest(&bob, alice.id, "hi").await;
    let mut phone = app.connect(&alice).await;
    let mut laptop = app.connect(&alice).await;
    let until = (Utc::now() + Duration::hours(8)).to_rfc3339();
    let path = format!("/conversations/{}/mute", bob.id);
    let response = app
        .call(&alice, Method::PUT, &path, Some(json!({"until": until})))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let muted: Value = response.json().await.unwrap();
    let muted_until = muted["muted_until"].clone();
    assert!(muted_until.as_str().is_some_and(|t| t.ends_with('Z')));
    for socket in [&mut phone, &mut laptop] {
        assert_eq!(
            socket.next_of("muted").await,
            json!({"type": "muted", "peer_id": bob.id, "until": muted_until})
        );
    }
    assert_eq!(
        app.conversation_with(&alice, bob.id).await["muted_until"],
        muted_until
    );
    assert_eq!(
        app.conversation_with(&bob, alice.id).await["muted_until"],
        Value::Null,
        "alice's alone"
    );

    let response = app
        .call(&alice, Method::PUT, &path, Some(json!({"until": null})))
        .await;
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"muted_until": null})
    );
    for socket in [&mut phone, &mut laptop] {
        assert_eq!(socket.next_of("muted").await["until"], Value::Null);
    }
    assert_eq!(
        app.conversation_with(&alice, bob.id).await["muted_until"],
        Value::Null
    );

    // A room: for its members, until "forever".
    let room = app.create_room(&bob, "general", "public").await;
    let room_path = format!("/rooms/{room}/mute");
    let forever = json!({"until": "9999-12-31T23:59:59Z"});
    let response = app
        .call(&alice, Method::PUT, &room_path, Some(forever.clone()))
        .await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "not_a_member",
        "before joining",
    )
    .await;
    app.join_room(&alice, room).await;
    let response = app
        .call(&alice, Method::PUT, &room_path, Some(forever))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(laptop.next_of("muted").await["room_id"], room);
    let listed = app.listed_room(&alice, room).await.unwrap();
    assert_eq!(listed["muted_until"], "9999-12-31T23:59:59Z");
    assert_eq!(
        app.listed_room(&bob, room).await.unwrap()["muted_until"],
        Value::Null
    );
}

async fn mutes_refuse_what_makes_no_sense(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let path = format!("/conversations/{}/mute", bob.id);
    let past = (Utc::now() - Duration::minutes(1)).to_rfc3339();
    let response = app
        .call(&alice, Method::PUT, &path, Some(json!({"until": past})))
        .await;
    expect_invalid(response, "until", "a time in the past").await;
    let response = app.call(&alice, Method::PUT, &path, Some(json!({}))).await;
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "until is required"
    );
    let response = app
        .call(
            &alice,
            Method::PUT,
            &path,
            Some(json!({"until": "tomorrow"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let own = format!("/conversations/{}/mute", alice.id);
    let response = app
        .call(&alice, Method::PUT, &own, Some(json!({"until": null})))
        .await;
    expect_invalid(response, "id", "yourself").await;
    let response = app
        .call(
            &alice,
            Method::PUT,
            "/conversations/999999/mute",
            Some(json!({"until": null})),
        )
        .await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "user_not_found",
        "no such user",
    )
    .await;
    let response = app
        .call(
            &alice,
            Method::PUT,
            "/rooms/999999/mute",
            Some(json!({"until": null})),
        )
        .await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "room_not_found",
        "no such room",
    )
    .await;
    app.expect_auth_required(Method::PUT, &path, Some(&json!({"until": null})))
        .await;
}

both_backends!(
    a_mute_reaches_every_device_and_the_lists,
    mutes_refuse_what_makes_no_sense
);
