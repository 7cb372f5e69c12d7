//! `client_id` idempotency when the same send reaches two nodes at once: one row,
//! and both answers name it.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{expect_nothing_before, next_of, spawn_cluster};
use crate::on_three_nodes_and_one;

const ROUNDS: usize = 20;

/// Alice's two sockets, on nodes 0 and 1, send the same frame at the same time;
/// bob, on node 2, gets the message once.
async fn the_same_frame_through_two_nodes_at_once_is_stored_once(nodes: usize) {
    let cluster = spawn_cluster(nodes).await;
    let alice = cluster.signup("alice", 0).await;
    let bob = cluster.signup("bob", 1).await;
    let mut bob_2 = cluster.node(2).connect(&bob).await;
    let mut ids = Vec::new();
    for round in 0..ROUNDS {
        // New sockets each round, so that neither node's writer is warmed up first.
        let mut on_0 = cluster.node(0).connect(&alice).await;
        let mut on_1 = cluster.node(1).connect(&alice).await;
        let frame = json!({"type": "message", "recipient_id": bob.id, "content": format!("once {round}"), "client_id": format!("dup-{round}")});
        tokio::join!(on_0.send_json(frame.clone()), on_1.send_json(frame));
        let (a, b) = tokio::join!(
            next_of(
                &mut on_0,
                "ack",
                format!("the ack of dup-{round} on node 0")
            ),
            next_of(
                &mut on_1,
                "ack",
                format!("the ack of dup-{round} on node 1")
            ),
        );
        assert_eq!(a["message_id"], b["message_id"], "round {round}: {a} {b}");
        assert_eq!(a["created_at"], b["created_at"], "round {round}: {a} {b}");
        let duplicates = [&a, &b]
            .iter()
            .filter(|ack| ack["duplicate"] == true)
            .count();
        assert_eq!(duplicates, 1, "one stored, one duplicate: {a} {b}");
        ids.push(a["message_id"].as_i64().unwrap());
    }

    // Bob's socket got each message once, in order.
    for (round, id) in ids.iter().enumerate() {
        let what = format!("message {id} (dup-{round}) on bob's socket on node 2");
        let frame = next_of(&mut bob_2, "message", what).await;
        assert_eq!(frame["id"], *id, "{frame}");
    }
    let sentinel = cluster.sentinel(&bob, 0).await;
    expect_nothing_before(&mut bob_2, sentinel, "bob's socket on node 2").await;

    let stored = stored_from(
        &cluster
            .node(2)
            .history(&bob, &format!("/messages/{}?limit=200", alice.id))
            .await,
        alice.id,
    );
    assert_eq!(stored, ids, "one row per client_id");
}

/// The same over REST: one `201 Created`, one `200 OK`, both with the same message.
async fn the_same_rest_send_through_two_nodes_at_once_is_stored_once(nodes: usize) {
    let cluster = spawn_cluster(nodes).await;
    let alice = cluster.signup("alice", 0).await;
    let bob = cluster.signup("bob", 1).await;
    let path = format!("/messages/{}", bob.id);
    let mut ids = Vec::new();
    for round in 0..ROUNDS {
        let body =
            json!({"content": format!("once {round}"), "client_id": format!("rest-{round}")});
        let send = |node: usize| {
            cluster
                .node(node)
                .call(&alice, Method::POST, &path, Some(body.clone()))
        };
        let (a, b) = tokio::join!(send(0), send(1));
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CREATED],
            "round {round}"
        );
        let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
        for field in ["id", "created_at", "client_id", "content"] {
            assert_eq!(
                a[field], b[field],
                "round {round}: one stored message: {a} {b}"
            );
        }
        ids.push(a["id"].as_i64().unwrap());
    }
    let stored = stored_from(
        &cluster
            .node(2)
            .history(&bob, &format!("/messages/{}?limit=200", alice.id))
            .await,
        alice.id,
    );
    assert_eq!(stored, ids, "one row per client_id");
}

/// The ids of the messages `sender` sent in a page of history, oldest first.
fn stored_from(page: &[Value], sender: i64) -> Vec<i64> {
    page.iter()
        .filter(|m| m["sender_id"] == sender)
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

on_three_nodes_and_one!(
    the_same_frame_through_two_nodes_at_once_is_stored_once,
    the_same_rest_send_through_two_nodes_at_once_is_stored_once,
);
