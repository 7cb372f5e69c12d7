//! Direct messages across nodes: a message stored through one node reaches every
//! socket of both sides on every node, once.

use serde_json::json;

use super::{expect_nothing_before, next_json, spawn_cluster};
use crate::on_three_nodes_and_one;

/// Alice writes on node 0; bob listens on nodes 1 and 2, and alice's other
/// socket is on node 2.
async fn a_socket_send_reaches_every_other_socket_on_every_node_once(nodes: usize) {
    let cluster = spawn_cluster(nodes).await;
    let alice = cluster.signup("alice", 0).await;
    // Registered through another node: one database, one user table.
    let bob = cluster.signup("bob", 1).await;
    let mut alice_0 = cluster.node(0).connect(&alice).await;
    let mut alice_2 = cluster.node(2).connect(&alice).await;
    let mut bob_1 = cluster.node(1).connect(&bob).await;
    let mut bob_2 = cluster.node(2).connect(&bob).await;

    alice_0
        .send_json(
            json!({"type": "message", "recipient_id": bob.id, "content": "hi", "client_id": "a-1"}),
        )
        .await;
    let ack = next_json(&mut alice_0, "the ack of alice's message on node 0").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let id = ack["message_id"].as_i64().unwrap();

    for (socket, name) in [
        (&mut bob_1, "bob's socket on node 1"),
        (&mut bob_2, "bob's socket on node 2"),
        (&mut alice_2, "alice's other socket on node 2"),
    ] {
        let what = format!("message {id}, sent through node 0, on {name}");
        let frame = next_json(socket, &what).await;
        assert_eq!(
            json!([
                frame["type"],
                frame["id"],
                frame["cursor"],
                frame["sender_id"],
                frame["recipient_id"],
                frame["content"],
                frame["client_id"]
            ]),
            json!(["message", id, id, alice.id, bob.id, "hi", "a-1"]),
            "{name}: {frame}"
        );
    }

    // Once each, and the sending socket only got its ack.
    let sentinel = cluster.sentinel(&bob, 0).await;
    expect_nothing_before(&mut bob_1, sentinel, "bob's socket on node 1").await;
    expect_nothing_before(&mut bob_2, sentinel, "bob's socket on node 2").await;
    let sentinel = cluster.sentinel(&alice, 1).await;
    expect_nothing_before(&mut alice_0, sentinel, "alice's sending socket on node 0").await;
    expect_nothing_before(&mut alice_2, sentinel, "alice's other socket on node 2").await;
}

/// Bob sends over REST through node 1: the sockets of both on nodes 0 and 2 get it.
async fn a_rest_send_reaches_sockets_on_other_nodes(nodes: usize) {
    let cluster = spawn_cluster(nodes).await;
    let alice = cluster.signup("alice", 0).await;
    let bob = cluster.signup("bob", 2).await;
    let mut alice_0 = cluster.node(0).connect(&alice).await;
    let mut alice_2 = cluster.node(2).connect(&alice).await;
    let mut bob_0 = cluster.node(0).connect(&bob).await;

    let mut ids = Vec::new();
    for n in 0..3 {
        let sent = cluster
            .node(1)
            .send_over_rest(&bob, alice.id, &format!("over rest {n}"))
            .await;
        ids.push(sent["id"].as_i64().unwrap());
    }
    for (socket, name) in [
        (&mut alice_0, "alice's socket on node 0"),
        (&mut alice_2, "alice's socket on node 2"),
        (
            &mut bob_0,
            "bob's socket on node 0 (his REST sends reach all his sockets)",
        ),
    ] {
        for (n, id) in ids.iter().enumerate() {
            let what = format!("message {id}, sent over REST through node 1, on {name}");
            let frame = next_json(socket, &what).await;
            assert_eq!(frame["type"], "message", "{name}: {frame}");
            assert_eq!(frame["id"], *id, "{name}: in id order: {frame}");
            assert_eq!(frame["content"], format!("over rest {n}"), "{name}");
        }
    }
    let sentinel = cluster.sentinel(&alice, 2).await;
    expect_nothing_before(&mut alice_0, sentinel, "alice's socket on node 0").await;
    expect_nothing_before(&mut alice_2, sentinel, "alice's socket on node 2").await;
    let sentinel = cluster.sentinel(&bob, 2).await;
    expect_nothing_before(&mut bob_0, sentinel, "bob's socket on node 0").await;
}

on_three_nodes_and_one!(
    a_socket_send_reaches_every_other_socket_on_every_node_once,
    a_rest_send_reaches_sockets_on_other_nodes,
);
