//! A node stopped while the others keep serving: the users of its sockets resume
//! on another node with `since` and miss nothing.

use std::time::Duration;

use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::load::{pipelined_sends, sent_to, stream_of, Reader};
use super::{expect_nothing_before, next_json, spawn_cluster};
use crate::on_three_nodes_and_one;

/// Messages each sender sends in each half, alternately to each reader.
const PER_HALF: usize = 100;

/// Alice and bob read on node 1 while carol (node 0) and dave (node 2) write to
/// them; node 1 stops while they write the second half. Alice resumes on node 2
/// and bob on node 0, each with the cursor they had; in the end each saw every
/// message sent to them once, in stream order, and the senders never noticed.
///
/// On one node, stopping it would stop the senders too: there the readers'
/// sockets are dropped instead, which checks the rest of the test.
async fn the_users_of_a_stopped_node_resume_on_another_and_miss_nothing(nodes: usize) {
    let cluster = spawn_cluster(nodes).await;
    let alice = cluster.signup("alice", 1).await;
    let bob = cluster.signup("bob", 1).await;
    let mut alice_reader = Reader::default();
    let mut bob_reader = Reader::default();
    let mut alice_1 = cluster.node(1).connect_since(&alice, 0).await;
    alice_reader.replayed(&mut alice_1, "alice's socket on node 1");
    let mut bob_1 = cluster.node(1).connect_since(&bob, 0).await;
    bob_reader.replayed(&mut bob_1, "bob's socket on node 1");

    let mut senders = Vec::new();
    for (name, node) in [("carol", 0), ("dave", 2)] {
        let user = cluster.signup(name, node).await;
        let socket = cluster.node(node).connect(&user).await;
        let first_half = pipelined_sends(
            socket,
            format!("{name}-a"),
            vec![alice.id, bob.id],
            PER_HALF,
        );
        senders.push((name, tokio::spawn(first_half)));
    }
    // Half of what the first half sends her, live on node 1.
    alice_reader
        .read_until(&mut alice_1, PER_HALF / 2, "alice's socket on node 1")
        .await;
    let mut acked = Vec::new();
    let mut second_half = Vec::new();
    for (name, sender) in senders {
        let (socket, sent) = sender.await.expect("a sender, first half");
        acked.extend(sent);
        let sending = pipelined_sends(
            socket,
            format!("{name}-b"),
            vec![alice.id, bob.id],
            PER_HALF,
        );
        second_half.push(tokio::spawn(sending));
    }

    if cluster.len() > 1 {
        // Read while the node stops: it closes them once it has sent what it had.
        tokio::join!(
            cluster.stop_node(1),
            alice_reader.read_to_close(&mut alice_1, "alice's socket on node 1, stopping"),
            bob_reader.read_to_close(&mut bob_1, "bob's socket on node 1, stopping"),
        );
    }
    drop((alice_1, bob_1));

    let mut alice_2 = cluster
        .node(2)
        .connect_since(&alice, alice_reader.cursor)
        .await;
    alice_reader.replayed(&mut alice_2, "alice's socket on node 2, resuming");
    let mut bob_0 = cluster.node(0).connect_since(&bob, bob_reader.cursor).await;
    bob_reader.replayed(&mut bob_0, "bob's socket on node 0, resuming");
    alice_reader
        .read_until(&mut alice_2, PER_HALF * 2, "alice's socket on node 2")
        .await;
    bob_reader
        .read_until(&mut bob_0, PER_HALF * 2, "bob's socket on node 0")
        .await;

    let mut sockets = Vec::new();
    for sender in second_half {
        let (socket, sent) = sender
            .await
            .expect("a sender on a node that kept serving, second half");
        acked.extend(sent);
        sockets.push(socket);
    }
    for (user, reader) in [(&alice, &alice_reader), (&bob, &bob_reader)] {
        assert_eq!(
            reader.seen,
            sent_to(&acked, user.id),
            "user {}: every acked message, once",
            user.id
        );
        let stored = stream_of(cluster.node(2), user).await;
        assert_eq!(
            reader.seen, stored,
            "user {}: no gap against the database's stream",
            user.id
        );
    }
    let sentinel = cluster.sentinel(&alice, 0).await;
    expect_nothing_before(&mut alice_2, sentinel, "alice's socket on node 2").await;
    let sentinel = cluster.sentinel(&bob, 2).await;
    expect_nothing_before(&mut bob_0, sentinel, "bob's socket on node 0").await;
}

on_three_nodes_and_one!(the_users_of_a_stopped_node_resume_on_another_and_miss_nothing);

/// What the test above relies on, within each node: stopping node 1 closes its
/// sockets with 1012 and ends it, while nodes 0 and 2 keep serving theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_node_closes_its_sockets_while_the_others_keep_serving() {
    let cluster = spawn_cluster(3).await;
    let alice = cluster.signup("alice", 0).await;
    let bob = cluster.signup("bob", 2).await;
    let mut alice_1 = cluster.node(1).connect(&alice).await;
    let ((), close) = tokio::join!(
        cluster.stop_node(1),
        alice_1.next_close(Duration::from_secs(20)),
    );
    let close = close.expect("a close frame with a code");
    assert_eq!(close.code, CloseCode::Restart, "{close:?}");
    let refused = tokio::net::TcpStream::connect(("127.0.0.1", cluster.node(1).port)).await;
    assert!(refused.is_err(), "node 1 no longer listens");

    for node in [0, 2] {
        let mut alice_socket = cluster.node(node).connect(&alice).await;
        let mut bob_socket = cluster.node(node).connect(&bob).await;
        alice_socket
            .send_json(json!({"type": "message", "recipient_id": bob.id, "content": "still here"}))
            .await;
        // The message sent through the node before may reach these new sockets
        // first: this node routes it when it reads it, which can be after they
        // opened (a copy the client recognises by its id).
        let ack = alice_socket.next_of("ack").await;
        let sent = ack["message_id"].as_i64().expect("an id");
        let what = format!("alice's message on bob's socket on node {node}, its own");
        loop {
            let got = next_json(&mut bob_socket, what.clone()).await;
            let id = got["id"].as_i64().expect("a message");
            if id == sent {
                break;
            }
            assert!(
                id < sent,
                "node {node}: only an earlier message may come first: {got}"
            );
        }
    }
}
