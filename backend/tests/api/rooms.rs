//! Rooms over REST: creating and listing them, and every membership rule — a
//! private room does not exist for outsiders (404), a public one is visible but
//! only members read and post (403), only owners manage private groups.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{expect_error, expect_invalid, keys, spawn_app, Backend, TestApp, TestUser};

async fn rooms_are_created_and_listed(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;

    let response = app
        .call(
            &alice,
            Method::POST,
            "/rooms",
            Some(json!({"name": "  General ", "kind": "public"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let general: Value = response.json().await.unwrap();
    assert_eq!(
        keys(&general),
        [
            "created_at",
            "history_limit",
            "id",
            "joined",
            "kind",
            "last_message",
            "member_count",
            "mention_count",
            "muted_until",
            "name",
            "owner_id",
            "role",
            "unread_count"
        ]
    );
    assert_eq!(general["name"], "General", "the name is trimmed");
    assert_eq!(general["kind"], "public");
    assert_eq!(general["owner_id"], alice.id);
    assert_eq!(general["role"], "owner");
    assert_eq!(general["joined"], true);
    assert_eq!(general["member_count"], 1);
    assert_eq!(general["unread_count"], 0);
    assert_eq!(general["last_message"], Value::Null);
    assert_eq!(general["history_limit"], Value::Null);

    // Public names are unique in any letter case; private group names are not.
    let taken = app
        .call(
            &bob,
            Method::POST,
            "/rooms",
            Some(json!({"name": "GENERAL", "kind": "public"})),
        )
        .await;
    expect_error(
        taken,
        StatusCode::CONFLICT,
        "room_name_taken",
        "a taken public name",
    )
    .await;
    let secret = app.create_room(&bob, "general", "private").await;
    let family = app.create_room(&bob, "family", "private").await;
    let random = app.create_room(&bob, "random", "public").await;

    // Public rooms for everyone, private ones for their members.
    let alice_sees = room_ids(&app, &alice, "/rooms").await;
    assert!(alice_sees.contains(&general["id"].as_i64().unwrap()));
    assert!(alice_sees.contains(&random));
    assert!(!alice_sees.contains(&secret) && !alice_sees.contains(&family));
    let bob_sees = room_ids(&app, &bob, "/rooms").await;
    assert_eq!(bob_sees.len(), 4);
    // Most recently active first.
    assert_eq!(bob_sees[0], random);
    let listed = app
        .listed_room(&bob, general["id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (listed["joined"].clone(), listed["role"].clone()),
        (json!(false), Value::Null)
    );

    // Search by part of the name, any letter case; LIKE wildcards match themselves.
    assert_eq!(room_ids(&app, &bob, "/rooms?q=NER").await.len(), 2);
    assert_eq!(room_ids(&app, &bob, "/rooms?q=fam").await, [family]);
    assert!(room_ids(&app, &bob, "/rooms?q=%25").await.is_empty());
    assert_eq!(room_ids(&app, &bob, "/rooms?limit=1").await, [random]);
    let joined = room_ids(&app, &bob, "/rooms?joined=true").await;
    assert_eq!(joined, [random, family, secret]);
    assert_eq!(
        room_ids(&app, &alice, "/rooms?joined=true&q=gen")
            .await
            .len(),
        1
    );

    for (body, field) in [
        (json!({"name": " ", "kind": "public"}), "name"),
        (json!({"name": "x".repeat(65), "kind": "public"}), "name"),
    ] {
        let response = app.call(&alice, Method::POST, "/rooms", Some(body)).await;
        expect_invalid(response, field, "a bad room name").await;
    }
    let response = app
        .call(
            &alice,
            Method::POST,
            "/rooms",
            Some(json!({"name": "x".repeat(64), "kind": "private"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED, "64 characters fit");
    for body in [
        json!({"name": "x", "kind": "secret"}),
        json!({"name": "x"}),
        json!({"kind": "public"}),
    ] {
        let response = app
            .call(&alice, Method::POST, "/rooms", Some(body.clone()))
            .await;
        expect_error(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_body",
            &body.to_string(),
        )
        .await;
    }
    for query in ["limit=0", "limit=201", "limit=x", "joined=maybe"] {
        let response = app.get(&format!("/rooms?{query}"), &alice.token).await;
        assert!(response.status().is_client_error(), "{query}");
    }
    let long = "q".repeat(65);
    expect_invalid(
        app.get(&format!("/rooms?q={long}"), &alice.token).await,
        "q",
        "long q",
    )
    .await;

    for (method, path) in [
        (Method::GET, "/rooms"),
        (Method::POST, "/rooms"),
        (Method::GET, "/rooms/1"),
        (Method::PATCH, "/rooms/1"),
        (Method::POST, "/rooms/1/join"),
        (Method::POST, "/rooms/1/leave"),
        (Method::GET, "/rooms/1/members"),
        (Method::POST, "/rooms/1/members"),
        (Method::DELETE, "/rooms/1/members/1"),
        (Method::GET, "/rooms/1/messages"),
        (Method::POST, "/rooms/1/messages"),
    ] {
        app.expect_auth_required(method, path, Some(&json!({})))
            .await;
    }
}
both_backends!(rooms_are_created_and_listed);

async fn room_ids(app: &TestApp, user: &TestUser, path: &str) -> Vec<i64> {
    let response = app.get(path, &user.token).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    let rooms: Vec<Value> = response.json().await.unwrap();
    rooms
        .iter()
        .map(|room| room["id"].as_i64().unwrap())
        .collect()
}

/// Every request an outsider could make about a room.
fn every_request(room: i64, member: i64) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/rooms/{room}"), None),
        (
            Method::PATCH,
            format!("/rooms/{room}"),
            Some(json!({"history_limit": 5})),
        ),
        (Method::POST, format!("/rooms/{room}/join"), None),
        (Method::POST, format!("/rooms/{room}/leave"), None),
        (Method::GET, format!("/rooms/{room}/members"), None),
        (
            Method::POST,
            format!("/rooms/{room}/members"),
            Some(json!({"user_id": member})),
        ),
        (
            Method::DELETE,
            format!("/rooms/{room}/members/{member}"),
            None,
        ),
        (Method::GET, format!("/rooms/{room}/messages"), None),
        (
            Method::POST,
            format!("/rooms/{room}/messages"),
            Some(json!({"content": "hi"})),
        ),
    ]
}

async fn a_private_room_does_not_exist_for_outsiders(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.signup("owner").await;
    let bob = app.signup("bob").await;
    let eve = app.signup("eve").await;
    let group = app.create_room(&owner, "plans", "private").await;
    app.add_member(&owner, group, &bob).await;

    // Exactly what a room that does not exist gets.
    for (method, path, body) in every_request(group, bob.id) {
        let what = format!("an outsider: {method} {path}");
        let response = app.call(&eve, method.clone(), &path, body.clone()).await;
        let refused = expect_error(response, StatusCode::NOT_FOUND, "room_not_found", &what).await;
        let missing = path.replace(&format!("/rooms/{group}"), "/rooms/999999");
        let response = app.call(&eve, method, &missing, body).await;
        let absent =
            expect_error(response, StatusCode::NOT_FOUND, "room_not_found", &missing).await;
        assert_eq!(
            refused["message"]
                .as_str()
                .unwrap()
                .replace(&group.to_string(), "N"),
            absent["message"].as_str().unwrap().replace("999999", "N"),
        );
    }
    assert!(app.listed_room(&eve, group).await.is_none());
    let members: Vec<Value> = app
        .get(&format!("/rooms/{group}/members"), &bob.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        members.len(),
        2,
        "nothing an outsider did changed the group"
    );

    // A member who is not the owner cannot manage the group.
    for (method, path, body) in [
        (
            Method::POST,
            format!("/rooms/{group}/members"),
            json!({"user_id": eve.id}),
        ),
        (
            Method::DELETE,
            format!("/rooms/{group}/members/{}", owner.id),
            json!({}),
        ),
        (
            Method::PATCH,
            format!("/rooms/{group}"),
            json!({"history_limit": 5}),
        ),
    ] {
        let response = app.call(&bob, method, &path, Some(body)).await;
        expect_error(response, StatusCode::FORBIDDEN, "not_room_owner", &path).await;
    }
    // The owner's own mistakes.
    let members = format!("/rooms/{group}/members");
    let response = app
        .call(
            &owner,
            Method::POST,
            &members,
            Some(json!({"user_id": 999999})),
        )
        .await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "user_not_found",
        "adding nobody",
    )
    .await;
    let path = format!("/rooms/{group}/members/{}", eve.id);
    let response = app.call(&owner, Method::DELETE, &path, None).await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "member_not_found",
        "removing an outsider",
    )
    .await;
    for body in [json!({}), json!({"user_id": "bob"}), json!({"user_id": -1})] {
        let response = app
            .call(&owner, Method::POST, &members, Some(body.clone()))
            .await;
        assert!(response.status().is_client_error(), "{body}");
    }
    // Adding someone twice stores nothing new.
    let response = app
        .call(
            &owner,
            Method::POST,
            &members,
            Some(json!({"user_id": bob.id})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let member: Value = response.json().await.unwrap();
    assert_eq!(
        keys(&member),
        ["joined_at", "online", "role", "user_id", "username"]
    );
    assert_eq!(
        (member["username"].clone(), member["role"].clone()),
        (json!("bob"), json!("member"))
    );
    // A member may join again (nothing changes) but a private group has no open door.
    let response = app
        .call(&bob, Method::POST, &format!("/rooms/{group}/join"), None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let history = app
        .room_history(&owner, &format!("/rooms/{group}/messages"))
        .await;
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["joined", "added"],
        "one event per change: {history}"
    );

    // Once removed, bob is an outsider too.
    let path = format!("/rooms/{group}/members/{}", bob.id);
    let response = app.call(&owner, Method::DELETE, &path, None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for (method, path, body) in every_request(group, owner.id) {
        let response = app.call(&bob, method, &path, body).await;
        expect_error(response, StatusCode::NOT_FOUND, "room_not_found", &path).await;
    }
}
both_backends!(a_private_room_does_not_exist_for_outsiders);

async fn a_public_room_is_read_and_written_by_its_members(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.signup("owner").await;
    let bob = app.signup("bob").await;
    let room = app.create_room(&owner, "lobby", "public").await;

    // Visible, but closed to non-members until they join.
    let response = app.get(&format!("/rooms/{room}"), &bob.token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.get(&format!("/rooms/{room}/members"), &bob.token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let history = format!("/rooms/{room}/messages");
    let response = app.get(&history, &bob.token).await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "not_a_member",
        "reading before joining",
    )
    .await;
    let body = json!({"content": "hi"});
    let response = app
        .call(&bob, Method::POST, &history, Some(body.clone()))
        .await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "not_a_member",
        "posting before joining",
    )
    .await;
    let response = app
        .call(
            &bob,
            Method::PATCH,
            &format!("/rooms/{room}"),
            Some(json!({"history_limit": 3})),
        )
        .await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "not_room_owner",
        "configuring",
    )
    .await;
    // Leaving a room one is not in changes nothing.
    let response = app
        .call(&bob, Method::POST, &format!("/rooms/{room}/leave"), None)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    // People join and leave public rooms themselves: the owner does not manage them.
    let members = format!("/rooms/{room}/members");
    let response = app
        .call(
            &owner,
            Method::POST,
            &members,
            Some(json!({"user_id": bob.id})),
        )
        .await;
    expect_error(
        response,
        StatusCode::CONFLICT,
        "room_is_public",
        "adding to a public room",
    )
    .await;

    let response = app
        .call(&bob, Method::POST, &format!("/rooms/{room}/join"), None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let joined: Value = response.json().await.unwrap();
    assert_eq!(
        (joined["joined"].clone(), joined["member_count"].clone()),
        (json!(true), json!(2))
    );
    app.join_room(&bob, room).await;
    let path = format!("/rooms/{room}/members/{}", bob.id);
    let response = app.call(&owner, Method::DELETE, &path, None).await;
    expect_error(
        response,
        StatusCode::CONFLICT,
        "room_is_public",
        "removing from a public room",
    )
    .await;

    let response = app.call(&bob, Method::POST, &history, Some(body)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let sent: Value = response.json().await.unwrap();
    assert_eq!(sent["type"], "message");
    assert_eq!(sent["room_id"], room);
    assert!(sent.get("recipient_id").is_none());

    // Leaving (or removing oneself, the same thing) closes the room again.
    let response = app.call(&bob, Method::DELETE, &path, None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.get(&history, &bob.token).await;
    expect_error(
        response,
        StatusCode::FORBIDDEN,
        "not_a_member",
        "reading after leaving",
    )
    .await;
    let page = app.room_history(&owner, &history).await;
    let items: Vec<(String, Value)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["type"].as_str().unwrap().to_owned(), i["action"].clone()))
        .collect();
    assert_eq!(
        items,
        [
            ("member".into(), json!("joined")),
            ("member".into(), json!("joined")),
            ("message".into(), Value::Null),
            ("member".into(), json!("left")),
        ]
    );

    for path in ["/rooms/abc", "/rooms/abc/messages", "/rooms/1/members/x"] {
        let method = if path.ends_with('x') {
            Method::DELETE
        } else {
            Method::GET
        };
        let response = app.call(&owner, method, path, None).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_path", path).await;
    }
}
both_backends!(a_public_room_is_read_and_written_by_its_members);

async fn a_leaving_owner_hands_the_room_over(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.signup("owner").await;
    let bob = app.signup("bob").await;
    let carol = app.signup("carol").await;
    let group = app.create_room(&owner, "trip", "private").await;
    app.add_member(&owner, group, &bob).await;
    app.add_member(&owner, group, &carol).await;

    let response = app
        .call(&owner, Method::POST, &format!("/rooms/{group}/leave"), None)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let room: Value = app
        .get(&format!("/rooms/{group}"), &bob.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(room["owner_id"], bob.id, "the longest-standing member");
    assert_eq!(room["role"], "owner");
    let members: Vec<Value> = app
        .get(&format!("/rooms/{group}/members"), &carol.token)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<(&str, &str)> = members
        .iter()
        .map(|m| (m["username"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(names, [("bob", "owner"), ("carol", "member")]);
    // The new owner manages the group.
    let path = format!("/rooms/{group}/members/{}", carol.id);
    let response = app.call(&bob, Method::DELETE, &path, None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}
both_backends!(a_leaving_owner_hands_the_room_over);

async fn the_owner_sets_the_history_limit(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.signup("owner").await;
    let room = app.create_room(&owner, "logs", "public").await;
    let path = format!("/rooms/{room}");

    let response = app
        .call(
            &owner,
            Method::PATCH,
            &path,
            Some(json!({"history_limit": 50})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["history_limit"], 50);
    // Absent leaves it; null gives the server's default back.
    let response = app
        .call(&owner, Method::PATCH, &path, Some(json!({})))
        .await;
    let same: Value = response.json().await.unwrap();
    assert_eq!(same["history_limit"], 50);
    let response = app
        .call(
            &owner,
            Method::PATCH,
            &path,
            Some(json!({"history_limit": null})),
        )
        .await;
    let reset: Value = response.json().await.unwrap();
    assert_eq!(reset["history_limit"], Value::Null);

    for limit in [json!(0), json!(-5), json!(1_000_001)] {
        let body = json!({ "history_limit": limit });
        let response = app.call(&owner, Method::PATCH, &path, Some(body)).await;
        expect_invalid(response, "history_limit", &limit.to_string()).await;
    }
    let response = app
        .call(
            &owner,
            Method::PATCH,
            &path,
            Some(json!({"history_limit": "ten"})),
        )
        .await;
    expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_body",
        "a string limit",
    )
    .await;
}
both_backends!(the_owner_sets_the_history_limit);

/// A public room's newest message is shown only to members, in the list and in
/// the room itself: outsiders cannot read its history either.
async fn a_public_rooms_newest_message_is_for_members_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.signup("owner").await;
    let bob = app.signup("bob").await;
    let room = app.create_room(&owner, "lobby", "public").await;
    let body = json!({"content": "members only"});
    let response = app
        .call(
            &owner,
            Method::POST,
            &format!("/rooms/{room}/messages"),
            Some(body),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let listed = app.listed_room(&owner, room).await.expect("listed");
    assert_eq!(
        listed["last_message"]["content"], "members only",
        "{listed}"
    );
    let listed = app.listed_room(&bob, room).await.expect("listed");
    assert_eq!(listed["joined"], false);
    assert_eq!(listed["last_message"], Value::Null, "{listed}");
    let response = app.get(&format!("/rooms/{room}"), &bob.token).await;
    let shown: Value = response.json().await.unwrap();
    assert_eq!(shown["last_message"], Value::Null, "{shown}");

    app.join_room(&bob, room).await;
    let listed = app.listed_room(&bob, room).await.expect("listed");
    assert_eq!(
        listed["last_message"]["content"], "members only",
        "{listed}"
    );
}
both_backends!(a_public_rooms_newest_message_is_for_members_only);
