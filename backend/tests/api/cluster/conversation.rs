//! Replies, reactions, mentions and mutes across nodes: each is a stream row or a
//! bus event, so it reaches sockets on every node once, and the replay on any node.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::load::connect_caught_up;
use super::{expect_nothing_before, next_json, next_of, spawn_cluster};
use crate::on_three_nodes_and_one;

/// Bob replies through node 1 and reacts through node 2 to what alice posted
/// through node 0; members' sockets on every node see each once, and a replay on
/// another node has them in order.
async fn replies_reactions_and_mentions_reach_every_node_once(nodes: usize) {
    let cluster = spawn_cluster(nodes).await;
    let alice = cluster.signup("alice", 0).await;
    let bob = cluster.signup("bob", 1).await;
    let room = cluster
        .node(0)
        .create_room(&alice, "general", "public")
        .await;
    cluster.node(1).join_room(&bob, room).await;
    let mut alice_far = connect_caught_up(&cluster, 2, &alice).await;
    let mut bob_near = connect_caught_up(&cluster, 1, &bob).await;
    let path = format!("/rooms/{room}/messages");

    let posted = cluster
        .node(0)
        .call(
            &alice,
            Method::POST,
            &path,
            Some(json!({"content": "@bob lunch?"})),
        )
        .await;
    let posted: Value = posted.json().await.unwrap();
    assert_eq!(posted["mentions"], json!([bob.id]));
    let frame = next_json(&mut bob_near, "alice's message on node 1").await;
    assert_eq!(frame["mentions"], json!([bob.id]));
    next_json(&mut alice_far, "her own message on node 2").await;

    let reply = cluster
        .node(1)
        .call(
            &bob,
            Method::POST,
            &path,
            Some(json!({"content": "yes", "reply_to": posted["id"]})),
        )
        .await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    let frame = next_json(&mut alice_far, "bob's reply on node 2").await;
    assert_eq!(frame["reply_to"]["id"], posted["id"]);
    assert_eq!(frame["reply_to"]["preview"], "@bob lunch?");

    let react = format!("/messages/{}/reactions/%F0%9F%91%8D", posted["id"]);
    let response = cluster.node(2).call(&bob, Method::PUT, &react, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    for (socket, what) in [(&mut alice_far, "node 2"), (&mut bob_near, "node 1")] {
        let frame = next_of(socket, "reaction", format!("the reaction on {what}")).await;
        assert_eq!(frame["user_id"], bob.id);
        assert_eq!(frame["emoji"], "👍");
    }
    // Once each.
    let sentinel = cluster.sentinel(&alice, 0).await;
    expect_nothing_before(&mut alice_far, sentinel, "alice on node 2").await;

    // A replay on node 0 has the message with its summary, then the reply and
    // the reaction, in order.
    let mut replay = cluster
        .node(0)
        .connect_since(&alice, posted["id"].as_i64().unwrap() - 1)
        .await;
    let message = next_json(&mut replay, "the message, replayed").await;
    assert_eq!(
        message["reactions"],
        json!([{"emoji": "👍", "count": 1, "user_ids": [bob.id]}])
    );
    assert_eq!(
        next_json(&mut replay, "the reply, replayed").await["reply_to"]["id"],
        posted["id"]
    );
    assert_eq!(
        next_json(&mut replay, "the reaction, replayed").await["type"],
        "reaction"
    );
}

/// A mute made through node 0 reaches the user's socket on node 2.
async fn a_mute_reaches_the_users_sockets_on_every_node(nodes: usize) {
    let cluster = spawn_cluster(nodes).await;
    let alice = cluster.signup("alice", 0).await;
    let bob = cluster.signup("bob", 0).await;
    let mut far = connect_caught_up(&cluster, 2, &alice).await;
    let path = format!("/conversations/{}/mute", bob.id);
    let body = json!({"until": "9999-12-31T23:59:59Z"});
    let response = cluster
        .node(0)
        .call(&alice, Method::PUT, &path, Some(body))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let frame = next_of(&mut far, "muted", "the mute on node 2").await;
    assert_eq!(
        frame,
        json!({"type": "muted", "peer_id": bob.id, "until": "9999-12-31T23:59:59Z"})
    );
}

on_three_nodes_and_one!(
    replies_reactions_and_mentions_reach_every_node_once,
    a_mute_reaches_the_users_sockets_on_every_node,
);
