//! Rooms over the WebSocket: fan-out to every socket of every member, member
//! events in the stream, removal taking effect at once, replay to an offline
//! member, read markers, typing, bad frames, and the history limit.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{keys, spawn_app, wait_until, Backend, Socket, TestApp, TestUser};

/// Asserts that each socket of `user` is sent nothing before a sentinel (see
/// `TestApp::sentinel`) but frames of the types in `skip`.
async fn expect_nothing_more(
    app: &TestApp,
    user: &TestUser,
    sockets: Vec<&mut Socket>,
    skip: &[&str],
) {
    let sentinel = app.sentinel(user).await;
    for socket in sockets {
        socket.expect_nothing_before(sentinel, skip).await;
    }
}

async fn a_room_message_reaches_every_socket_of_every_member(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let eve = app.signup("eve").await;
    let room = app.create_room(&alice, "general", "public").await;
    app.join_room(&bob, room).await;
    app.join_room(&carol, room).await;

    let mut alice_phone = app.connect(&alice).await;
    let mut alice_laptop = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    let mut carol_phone = app.connect(&carol).await;
    let mut carol_laptop = app.connect(&carol).await;
    let mut eve_socket = app.connect(&eve).await;

    alice_phone
        .send_json(json!({"type": "message", "room_id": room, "content": " hello all ", "client_id": "c-1"}))
        .await;
    let ack = alice_phone.next_json().await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["client_id"], "c-1");
    assert_eq!(ack["delivered"], false, "delivery is not tracked for rooms");
    let id = ack["message_id"].clone();

    for socket in [
        &mut alice_laptop,
        &mut bob_socket,
        &mut carol_phone,
        &mut carol_laptop,
    ] {
        let frame = socket.next_json().await;
        assert_eq!(
            keys(&frame),
            [
                "attachments",
                "client_id",
                "content",
                "created_at",
                "cursor",
                "deleted_at",
                "edited_at",
                "id",
                "mentions",
                "reactions",
                "reply_to",
                "room_id",
                "sender_id",
                "type"
            ]
        );
        assert_eq!(frame["id"], id);
        assert_eq!(frame["room_id"], room);
        assert_eq!(frame["sender_id"], alice.id);
        assert_eq!(frame["content"], "hello all");
    }
    // Once per socket, to members only, and no per-member receipts.
    let alice_sockets = vec![&mut alice_phone, &mut alice_laptop];
    expect_nothing_more(&app, &alice, alice_sockets, &[]).await;
    expect_nothing_more(&app, &bob, vec![&mut bob_socket], &[]).await;
    let carol_sockets = vec![&mut carol_phone, &mut carol_laptop];
    expect_nothing_more(&app, &carol, carol_sockets, &[]).await;
    expect_nothing_more(&app, &eve, vec![&mut eve_socket], &[]).await;

    // A re-sent client_id stores nothing and reaches no one again.
    alice_phone
        .send_json(
            json!({"type": "message", "room_id": room, "content": "hello all", "client_id": "c-1"}),
        )
        .await;
    let again = alice_phone.next_json().await;
    assert_eq!(
        (again["message_id"].clone(), again["duplicate"].clone()),
        (id.clone(), json!(true))
    );
    expect_nothing_more(&app, &bob, vec![&mut bob_socket], &[]).await;

    // Edits and deletes reach the members as for direct messages.
    let path = format!("/messages/{}", id);
    let response = app
        .call(
            &alice,
            Method::PATCH,
            &path,
            Some(json!({"content": "hello, all"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let edited = carol_laptop.next_json().await;
    assert_eq!(edited["type"], "edited");
    assert_eq!(edited["room_id"], room);
    assert!(edited.get("recipient_id").is_none());
    let response = app.call(&bob, Method::DELETE, &path, None).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "only the sender");
    expect_nothing_more(&app, &eve, vec![&mut eve_socket], &[]).await;

    // Over REST too.
    let body = json!({"content": "from curl"});
    let response = app
        .call(
            &bob,
            Method::POST,
            &format!("/rooms/{room}/messages"),
            Some(body),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    for socket in [&mut alice_phone, &mut bob_socket, &mut carol_phone] {
        assert_eq!(socket.next_of("message").await["content"], "from curl");
    }
}
both_backends!(a_room_message_reaches_every_socket_of_every_member);

async fn membership_changes_are_stream_events_and_removal_is_immediate(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.signup("owner").await;
    let bob = app.signup("bob").await;
    let group = app.create_room(&owner, "plans", "private").await;
    let mut owner_socket = app.connect(&owner).await;
    let mut bob_phone = app.connect(&bob).await;
    let mut bob_laptop = app.connect(&bob).await;

    app.add_member(&owner, group, &bob).await;
    for socket in [&mut owner_socket, &mut bob_phone, &mut bob_laptop] {
        let event = socket.next_json().await;
        assert_eq!(
            keys(&event),
            [
                "action",
                "created_at",
                "cursor",
                "id",
                "room_id",
                "type",
                "user_id"
            ]
        );
        assert_eq!(event["type"], "member");
        assert_eq!(event["action"], "added");
        assert_eq!(event["user_id"], bob.id);
        assert_eq!(event["room_id"], group);
    }
    assert_eq!(
        owner_socket.send_to_room(group, "welcome").await["type"],
        "ack"
    );
    assert_eq!(bob_phone.next_json().await["content"], "welcome");
    assert_eq!(bob_laptop.next_json().await["content"], "welcome");

    let path = format!("/rooms/{group}/members/{}", bob.id);
    let response = app.call(&owner, Method::DELETE, &path, None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for socket in [&mut owner_socket, &mut bob_phone, &mut bob_laptop] {
        let event = socket.next_json().await;
        assert_eq!(
            (event["action"].clone(), event["user_id"].clone()),
            (json!("removed"), json!(bob.id))
        );
    }
    // From that position on, nothing of the room reaches bob's sockets.
    assert_eq!(
        owner_socket.send_to_room(group, "bob is gone").await["type"],
        "ack"
    );
    owner_socket
        .send_json(json!({"type": "typing", "room_id": group}))
        .await;
    assert_eq!(owner_socket.sync().await, Vec::<Value>::new());
    let bob_sockets = vec![&mut bob_phone, &mut bob_laptop];
    expect_nothing_more(&app, &bob, bob_sockets, &[]).await;
    let refused = bob_phone.send_to_room(group, "let me back").await;
    assert_eq!(
        (refused["type"].clone(), refused["code"].clone()),
        (json!("error"), json!("room_not_found"))
    );
    // His replay tells him he was added and removed; the room's rows are for
    // its members, and he no longer is one.
    let mut replay = app.connect_since(&bob, 0).await;
    let replayed = replay.catch_up();
    let seen: Vec<&str> = replayed
        .iter()
        .map(|frame| {
            frame["action"]
                .as_str()
                .or(frame["content"].as_str())
                .unwrap()
        })
        .collect();
    // (and the direct message the sentinel above was).
    assert_eq!(seen, ["added", "removed", "sentinel"]);
}
both_backends!(membership_changes_are_stream_events_and_removal_is_immediate);

async fn an_offline_member_catches_up_on_the_room(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let room = app.create_room(&alice, "general", "public").await;
    app.join_room(&bob, room).await;
    let bob_socket = app.connect_since(&bob, 0).await;
    let cursor = bob_socket.ready_cursor;
    bob_socket.close().await;

    let mut alice_socket = app.connect(&alice).await;
    let mut sent = Vec::new();
    for n in 0..5 {
        let ack = alice_socket.send_to_room(room, &format!("m{n}")).await;
        sent.push(ack["message_id"].as_i64().unwrap());
    }
    let group = app.create_room(&alice, "inner circle", "private").await;
    app.add_member(&alice, group, &bob).await;
    alice_socket.send_to_room(group, "psst").await;

    // A while later bob reconnects from his cursor: everything, once, in order.
    let mut bob_socket = app.connect_since(&bob, cursor).await;
    let mut frames = Vec::new();
    for _ in 0..8 {
        frames.push(bob_socket.next_json().await);
    }
    let got: Vec<&str> = frames
        .iter()
        .map(|f| f["content"].as_str().or(f["action"].as_str()).unwrap())
        .collect();
    // The group's whole history is his now, its creation included.
    assert_eq!(
        got,
        ["m0", "m1", "m2", "m3", "m4", "joined", "added", "psst"]
    );
    let cursors: Vec<i64> = frames
        .iter()
        .map(|f| f["cursor"].as_i64().unwrap())
        .collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
    assert_eq!(bob_socket.ready_cursor, *cursors.last().unwrap());
    // Nothing is written after it connected: the replay was exactly these.
    bob_socket.expect_caught_up();

    // /events is the same stream.
    let events: Value = app
        .get(&format!("/events?after={cursor}"), &bob.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events["events"].as_array().unwrap().len(), 8);
}
both_backends!(an_offline_member_catches_up_on_the_room);

async fn read_markers_and_unread_counts(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let room = app.create_room(&alice, "general", "public").await;
    let mut alice_socket = app.connect(&alice).await;
    alice_socket.send_to_room(room, "before bob").await;
    app.join_room(&bob, room).await;
    let listed = app.listed_room(&bob, room).await.unwrap();
    assert_eq!(
        listed["unread_count"], 0,
        "what came before joining is not unread"
    );

    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(alice_socket.send_to_room(room, &format!("m{n}")).await["message_id"].clone());
    }
    let listed = app.listed_room(&bob, room).await.unwrap();
    assert_eq!(listed["unread_count"], 3);
    assert_eq!(listed["last_message"]["content"], "m2");
    assert_eq!(listed["last_message"]["type"], "message");
    assert_eq!(
        app.listed_room(&alice, room).await.unwrap()["unread_count"],
        0,
        "own messages"
    );

    let mut bob_socket = app.connect(&bob).await;
    bob_socket
        .send_json(json!({"type": "read", "room_id": room, "up_to": ids[1]}))
        .await;
    let read = alice_socket.next_of("read").await;
    assert_eq!(keys(&read), ["at", "reader_id", "room_id", "type", "up_to"]);
    assert_eq!(
        (read["reader_id"].clone(), read["up_to"].clone()),
        (json!(bob.id), ids[1].clone())
    );
    assert_eq!(
        app.listed_room(&bob, room).await.unwrap()["unread_count"],
        1
    );

    // Markers only move forward, and never past the room's newest row.
    bob_socket
        .send_json(json!({"type": "read", "room_id": room, "up_to": ids[0]}))
        .await;
    // Only his own earlier marker, which every member's socket gets, came meanwhile.
    for frame in bob_socket.sync().await {
        assert_eq!((&frame["type"], &frame["up_to"]), (&json!("read"), &ids[1]));
    }
    expect_nothing_more(&app, &alice, vec![&mut alice_socket], &[]).await;
    bob_socket
        .send_json(json!({"type": "read", "room_id": room, "up_to": i64::MAX}))
        .await;
    let read = alice_socket.next_of("read").await;
    assert_eq!(read["up_to"], ids[2]);
    alice_socket.send_to_room(room, "later").await;
    assert_eq!(
        app.listed_room(&bob, room).await.unwrap()["unread_count"],
        1
    );
}
both_backends!(read_markers_and_unread_counts);

async fn typing_in_a_room_reaches_the_other_members(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let eve = app.signup("eve").await;
    let room = app.create_room(&alice, "general", "public").await;
    app.join_room(&bob, room).await;
    let mut alice_socket = app.connect(&alice).await;
    let mut bob_socket = app.connect(&bob).await;
    let mut eve_socket = app.connect(&eve).await;

    alice_socket
        .send_json(json!({"type": "typing", "room_id": room}))
        .await;
    let typing = bob_socket.next_of("typing").await;
    assert_eq!(
        keys(&typing),
        ["expires_at", "room_id", "type", "typing", "user_id"]
    );
    assert_eq!(
        (typing["user_id"].clone(), typing["typing"].clone()),
        (json!(alice.id), json!(true))
    );
    // Not to the typer, and not outside.
    expect_nothing_more(&app, &alice, vec![&mut alice_socket], &[]).await;
    expect_nothing_more(&app, &eve, vec![&mut eve_socket], &[]).await;

    // Her message ends it.
    alice_socket.send_to_room(room, "done").await;
    let stopped = bob_socket.next_of("typing").await;
    assert_eq!(
        (stopped["typing"].clone(), stopped["room_id"].clone()),
        (json!(false), json!(room))
    );

    // Outsiders are refused.
    eve_socket
        .send_json(json!({"type": "typing", "room_id": room}))
        .await;
    assert_eq!(eve_socket.next_json().await["code"], "not_a_member");
    eve_socket
        .send_json(json!({"type": "read", "room_id": room, "up_to": 1}))
        .await;
    assert_eq!(eve_socket.next_json().await["code"], "not_a_member");
}
both_backends!(typing_in_a_room_reaches_the_other_members);

async fn bad_room_frames_get_an_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let room = app.create_room(&alice, "general", "public").await;
    let private = app.create_room(&bob, "hidden", "private").await;
    let mut socket = app.connect(&alice).await;

    for (frame, code) in [
        (
            json!({"type": "message", "room_id": room, "recipient_id": bob.id, "content": "x", "client_id": "both"}),
            "invalid_frame",
        ),
        (json!({"type": "message", "content": "x"}), "invalid_frame"),
        (
            json!({"type": "message", "room_id": "general", "content": "x"}),
            "invalid_frame",
        ),
        (
            json!({"type": "message", "room_id": 999999, "content": "x"}),
            "room_not_found",
        ),
        (
            json!({"type": "message", "room_id": private, "content": "x"}),
            "room_not_found",
        ),
        (
            json!({"type": "message", "room_id": room, "content": " "}),
            "validation_failed",
        ),
        (
            json!({"type": "message", "room_id": room, "content": "x".repeat(4001)}),
            "validation_failed",
        ),
        (
            json!({"type": "read", "room_id": room, "peer_id": bob.id, "up_to": 1}),
            "invalid_frame",
        ),
        (
            json!({"type": "read", "room_id": room, "up_to": 0}),
            "validation_failed",
        ),
        (
            json!({"type": "read", "room_id": private, "up_to": 1}),
            "room_not_found",
        ),
        (
            json!({"type": "typing", "room_id": 999999}),
            "room_not_found",
        ),
        (
            json!({"type": "typing", "room_id": room, "recipient_id": bob.id}),
            "invalid_frame",
        ),
    ] {
        socket.send_json(frame.clone()).await;
        let error = socket.next_json().await;
        assert_eq!(
            (error["type"].clone(), error["code"].clone()),
            (json!("error"), json!(code)),
            "{frame}"
        );
    }
    let error = {
        socket
            .send_json(json!({"type": "message", "room_id": room, "recipient_id": 2, "content": "x", "client_id": "both"}))
            .await;
        socket.next_json().await
    };
    assert_eq!(
        error["client_id"], "both",
        "the client learns which send failed"
    );
    // The socket still works, and nothing was stored.
    assert_eq!(socket.send_to_room(room, "fine").await["type"], "ack");
    let page = app
        .room_history(&alice, &format!("/rooms/{room}/messages"))
        .await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        2,
        "the join and one message"
    );
}
both_backends!(bad_room_frames_get_an_error);

async fn old_history_is_pruned_beyond_the_limit(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let room = app.create_room(&alice, "busy", "public").await;
    let path = format!("/rooms/{room}");
    let response = app
        .call(
            &alice,
            Method::PATCH,
            &path,
            Some(json!({"history_limit": 5})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let mut socket = app.connect(&alice).await;
    let mut ids = Vec::new();
    for n in 0..13 {
        ids.push(
            socket.send_to_room(room, &format!("m{n}")).await["message_id"]
                .as_i64()
                .unwrap(),
        );
        if n == 4 {
            // Five messages fit (the room's creation goes first): an edit of the
            // oldest, which will go, goes with it.
            let response = app
                .call(
                    &alice,
                    Method::PATCH,
                    &format!("/messages/{}", ids[0]),
                    Some(json!({"content": "m0!"})),
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK);
            // So do its reactions (rows that name it).
            let react = format!("/messages/{}/reactions/%F0%9F%91%8D", ids[1]);
            let response = app.call(&alice, Method::PUT, &react, None).await;
            assert_eq!(response.status(), StatusCode::OK);
        }
    }

    let history = format!("/rooms/{room}/messages?limit=3");
    wait_until(Duration::from_secs(10), "the room pruned to 5", || async {
        let page = app
            .room_history(&alice, &format!("/rooms/{room}/messages"))
            .await;
        page["items"].as_array().unwrap().len() == 5
    })
    .await;
    let newest = app.room_history(&alice, &history).await;
    let contents: Vec<&str> = newest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["m10", "m11", "m12"]);
    assert_eq!(newest["end_of_history"], false);
    let before = newest["items"][0]["id"].clone();
    let older = app
        .room_history(&alice, &format!("{history}&before={before}"))
        .await;
    let contents: Vec<&str> = older["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["m8", "m9"]);
    assert_eq!(
        (
            older["end_of_history"].clone(),
            older["history_pruned"].clone()
        ),
        (json!(true), json!(true))
    );
    // Paging past the limit is not an error: an empty page that says so.
    let past = app
        .room_history(&alice, &format!("{history}&before={}", ids[2]))
        .await;
    assert_eq!(past["items"], json!([]));
    assert_eq!(
        (
            past["end_of_history"].clone(),
            past["history_pruned"].clone()
        ),
        (json!(true), json!(true))
    );
    // Replay no longer has what was pruned (the edit included).
    let mut replay = app.connect_since(&alice, 0).await;
    let first = replay.next_json().await;
    assert_eq!(first["content"], "m8", "{first}");

    // A room within its limit says it is complete.
    let quiet = app.create_room(&alice, "quiet", "public").await;
    let page = app
        .room_history(&alice, &format!("/rooms/{quiet}/messages"))
        .await;
    assert_eq!(
        (
            page["end_of_history"].clone(),
            page["history_pruned"].clone()
        ),
        (json!(true), json!(false))
    );
    for query in ["limit=0", "limit=201", "before=0", "before=x"] {
        let response = app
            .get(&format!("/rooms/{quiet}/messages?{query}"), &alice.token)
            .await;
        assert!(response.status().is_client_error(), "{query}");
    }
}
both_backends!(old_history_is_pruned_beyond_the_limit);
