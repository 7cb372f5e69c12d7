//! Rooms across nodes: fan-out to members on every node, edits and deletes made
//! through another node, and membership changes taking effect on every node as
//! soon as they are answered.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::load::{connect_caught_up, post_to_room};
use super::{expect_nothing_before, next_json, spawn_cluster};
use crate::helpers::expect_error;
use crate::on_three_nodes_and_one;

/// Alice posts through node 0 to a room whose members' sockets are on nodes 0, 1
/// and 2; she edits it through node 1 and deletes it through node 2.
async fn a_room_message_its_edit_and_its_delete_reach_members_on_every_node_once(nodes: usize) {
    let cluster = spawn_cluster(nodes).await;
    let alice = cluster.signup("alice", 0).await;
    let bob = cluster.signup("bob", 1).await;
    let carol = cluster.signup("carol", 2).await;
    let eve = cluster.signup("eve", 1).await;
    let room = cluster
        .node(0)
        .create_room(&alice, "general", "public")
        .await;
    cluster.node(1).join_room(&bob, room).await;
    cluster.node(2).join_room(&carol, room).await;

    let placement = [
        (&alice, 0, "alice's sending socket on node 0"),
        (&alice, 2, "alice's other socket on node 2"),
        (&bob, 1, "bob's socket on node 1"),
        (&carol, 2, "carol's socket on node 2"),
        (&carol, 0, "carol's socket on node 0"),
        (&eve, 1, "eve's socket on node 1 (not a member)"),
    ];
    let mut sockets = Vec::new();
    for (user, node, name) in placement {
        sockets.push((user, connect_caught_up(&cluster, node, user).await, name));
    }

    let alice_0 = &mut sockets[0].1;
    alice_0
        .send_json(
            json!({"type": "message", "room_id": room, "content": "hello all", "client_id": "r-1"}),
        )
        .await;
    let ack = next_json(alice_0, "the ack of alice's room message on node 0").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let id = ack["message_id"].as_i64().unwrap();
    let (members, _outsider) = sockets.split_at_mut(5);
    for (_, socket, name) in &mut members[1..] {
        let what = format!("room message {id}, posted through node 0, on {name}");
        let frame = next_json(socket, what).await;
        assert_eq!(
            json!([
                frame["type"],
                frame["id"],
                frame["room_id"],
                frame["content"]
            ]),
            json!(["message", id, room, "hello all"]),
            "{name}: {frame}"
        );
    }

    let path = format!("/messages/{id}");
    let body = json!({"content": "hello, all"});
    let response = cluster
        .node(1)
        .call(&alice, Method::PATCH, &path, Some(body))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = cluster
        .node(2)
        .call(&alice, Method::DELETE, &path, None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    for (_, socket, name) in members.iter_mut() {
        let what = format!("the edit of {id}, made through node 1, on {name}");
        let edited = next_json(socket, what).await;
        assert_eq!(
            json!([edited["type"], edited["message_id"], edited["content"]]),
            json!(["edited", id, "hello, all"]),
            "{name}: {edited}"
        );
        let what = format!("the delete of {id}, made through node 2, on {name}");
        let deleted = next_json(socket, what).await;
        assert_eq!(
            json!([deleted["type"], deleted["message_id"]]),
            json!(["deleted", id]),
            "{name}: {deleted}"
        );
    }

    // Once each, and nothing to the outsider.
    for user in [&alice, &bob, &carol, &eve] {
        let sentinel = cluster.sentinel(user, 1).await;
        for (owner, socket, name) in &mut sockets {
            if owner.id == user.id {
                expect_nothing_before(socket, sentinel, &*name).await;
            }
        }
    }
}

const ROUNDS: usize = 5;

/// The owner adds and removes bob through node 0, round after round; right after
/// each answer, bob posts through node 1 (socket) and node 2 (REST): accepted while
/// a member, `room_not_found` once removed.
async fn a_member_removed_through_one_node_is_refused_on_another_at_once(nodes: usize) {
    let cluster = spawn_cluster(nodes).await;
    let owner = cluster.signup("owner", 0).await;
    let bob = cluster.signup("bob", 1).await;
    let group = cluster
        .node(0)
        .create_room(&owner, "plans", "private")
        .await;
    let mut bob_1 = connect_caught_up(&cluster, 1, &bob).await;
    let rest_path = format!("/rooms/{group}/messages");
    let member_path = format!("/rooms/{group}/members/{}", bob.id);
    for round in 0..ROUNDS {
        cluster.node(0).add_member(&owner, group, &bob).await;
        let what = format!(
            "bob's post through node 1 right after his addition through node 0 (round {round})"
        );
        let answer = post_to_room(&mut bob_1, group, "in", &what).await;
        assert_eq!(answer["type"], "ack", "{what}: {answer}");
        let body = json!({"content": "in, over rest"});
        let response = cluster
            .node(2)
            .call(&bob, Method::POST, &rest_path, Some(body))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "bob's REST post through node 2 (round {round})"
        );

        let response = cluster
            .node(0)
            .call(&owner, Method::DELETE, &member_path, None)
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let what = format!(
            "bob's post through node 1 right after his removal through node 0 (round {round})"
        );
        let answer = post_to_room(&mut bob_1, group, "out", &what).await;
        assert_eq!(
            json!([answer["type"], answer["code"]]),
            json!(["error", "room_not_found"]),
            "{what}: {answer}"
        );
        let body = json!({"content": "out, over rest"});
        let response = cluster
            .node(2)
            .call(&bob, Method::POST, &rest_path, Some(body))
            .await;
        let what = format!("bob's REST post through node 2 after his removal (round {round})");
        expect_error(response, StatusCode::NOT_FOUND, "room_not_found", &what).await;
    }
}

/// The same in a public room: bob leaves through node 0 and joins again through
/// node 2; his posts through node 1 follow at once (`not_a_member` while out).
async fn a_member_who_left_through_one_node_is_refused_on_another_at_once(nodes: usize) {
    let cluster = spawn_cluster(nodes).await;
    let owner = cluster.signup("owner", 0).await;
    let bob = cluster.signup("bob", 1).await;
    let room = cluster.node(0).create_room(&owner, "lobby", "public").await;
    let mut bob_1 = connect_caught_up(&cluster, 1, &bob).await;
    for round in 0..ROUNDS {
        cluster.node(2).join_room(&bob, room).await;
        let what =
            format!("bob's post through node 1 right after joining through node 2 (round {round})");
        let answer = post_to_room(&mut bob_1, room, "in", &what).await;
        assert_eq!(answer["type"], "ack", "{what}: {answer}");

        let leave = format!("/rooms/{room}/leave");
        let response = cluster.node(0).call(&bob, Method::POST, &leave, None).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let what =
            format!("bob's post through node 1 right after leaving through node 0 (round {round})");
        let answer = post_to_room(&mut bob_1, room, "out", &what).await;
        assert_eq!(
            json!([answer["type"], answer["code"]]),
            json!(["error", "not_a_member"]),
            "{what}: {answer}"
        );
    }
}

/// The owner adds carol through node 0 and at once posts through node 2: carol's
/// socket on node 1 gets the `added` event, then the message.
async fn a_member_added_through_one_node_gets_the_next_message_posted_through_another(
    nodes: usize,
) {
    let cluster = spawn_cluster(nodes).await;
    let owner = cluster.signup("owner", 0).await;
    let carol = cluster.signup("carol", 1).await;
    let group = cluster
        .node(0)
        .create_room(&owner, "plans", "private")
        .await;
    let mut carol_1 = connect_caught_up(&cluster, 1, &carol).await;
    let mut owner_2 = connect_caught_up(&cluster, 2, &owner).await;
    let member_path = format!("/rooms/{group}/members/{}", carol.id);
    for round in 0..ROUNDS {
        cluster.node(0).add_member(&owner, group, &carol).await;
        let what = format!("the owner's post through node 2 (round {round})");
        let ack = post_to_room(&mut owner_2, group, &format!("welcome {round}"), &what).await;
        assert_eq!(ack["type"], "ack", "{what}: {ack}");
        let id = ack["message_id"].as_i64().unwrap();

        let what = format!(
            "carol's `added` event, made through node 0, on her socket on node 1 (round {round})"
        );
        let added = next_json(&mut carol_1, what).await;
        assert_eq!(
            json!([added["type"], added["action"], added["user_id"]]),
            json!(["member", "added", carol.id]),
            "{added}"
        );
        let what = format!("message {id}, posted through node 2 right after carol's addition, on her socket on node 1 (round {round})");
        let message = next_json(&mut carol_1, what).await;
        assert_eq!(
            json!([message["type"], message["id"], message["content"]]),
            json!(["message", id, format!("welcome {round}")]),
            "{message}"
        );

        let response = cluster
            .node(0)
            .call(&owner, Method::DELETE, &member_path, None)
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let what = format!("carol's `removed` event on her socket on node 1 (round {round})");
        let removed = next_json(&mut carol_1, what).await;
        assert_eq!(removed["action"], "removed", "{removed}");
    }
    let sentinel = cluster.sentinel(&carol, 2).await;
    expect_nothing_before(&mut carol_1, sentinel, "carol's socket on node 1").await;
}

on_three_nodes_and_one!(
    a_room_message_its_edit_and_its_delete_reach_members_on_every_node_once,
    a_member_removed_through_one_node_is_refused_on_another_at_once,
    a_member_who_left_through_one_node_is_refused_on_another_at_once,
    a_member_added_through_one_node_gets_the_next_message_posted_through_another,
);
