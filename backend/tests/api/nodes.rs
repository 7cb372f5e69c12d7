//! Several nodes on one PostgreSQL: typing, read and delivered receipts, logout
//! and presence reach the sockets of every node, and a node that dies without a
//! word takes its users offline within the staleness bound.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use parley::Config;

use crate::helpers::{expect_error, spawn_app_with, wait_until, Backend, TestApp};

/// The staleness bound the nodes run with here: short, so that a dead node is
/// swept quickly (and a user shown offline within this plus a quarter of it).
const STALE: Duration = Duration::from_secs(2);
/// The close code for a revoked token.
const TOKEN_ENDED: u16 = 4401;
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// `n` servers over one fresh PostgreSQL database.
async fn spawn_nodes(n: usize) -> Vec<TestApp> {
    spawn_nodes_with(n, |_| {}).await
}

/// Like [`spawn_nodes`], with a change to each node's configuration.
async fn spawn_nodes_with(n: usize, tweak: impl Fn(&mut Config)) -> Vec<TestApp> {
    let url = crate::postgres::fresh_database().await;
    let mut nodes = Vec::with_capacity(n);
    for _ in 0..n {
        let url = url.clone();
        nodes.push(
            spawn_app_with(Backend::Postgres, |config| {
                config.database_url = url;
                config.node_stale_after = STALE;
                tweak(config);
            })
            .await,
        );
    }
    nodes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_and_its_end_reach_other_nodes() {
    let nodes = spawn_nodes(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let alice = a.signup("alice").await;
    let bob = b.signup("bob").await;
    let room = a.create_room(&alice, "lobby", "public").await;
    b.join_room(&bob, room).await;
    let mut alice_socket = a.connect(&alice).await;
    let mut bob_socket = b.connect(&bob).await;

    // To a user: started on node a, seen on node b; ended by alice's message,
    // which node b routes.
    alice_socket
        .send_json(json!({"type": "typing", "recipient_id": bob.id}))
        .await;
    let typing = bob_socket.next_of("typing").await;
    assert_eq!(
        (&typing["user_id"], &typing["typing"]),
        (&json!(alice.id), &json!(true)),
        "{typing}"
    );
    assert!(typing["expires_at"].is_string(), "{typing}");
    alice_socket.send_message(bob.id, "hi").await;
    let stopped = bob_socket.next_of("typing").await;
    assert_eq!(
        stopped,
        json!({"type": "typing", "user_id": alice.id, "typing": false, "expires_at": null})
    );

    // In a room: ended by alice going offline on node a.
    alice_socket
        .send_json(json!({"type": "typing", "room_id": room}))
        .await;
    let typing = bob_socket.next_of("typing").await;
    assert_eq!(
        (&typing["room_id"], &typing["typing"]),
        (&json!(room), &json!(true)),
        "{typing}"
    );
    alice_socket.close().await;
    let stopped = bob_socket.next_of("typing").await;
    assert_eq!(
        stopped,
        json!({"type": "typing", "user_id": alice.id, "room_id": room, "typing": false, "expires_at": null})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_reach_other_nodes() {
    let nodes = spawn_nodes(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let alice = a.signup("alice").await;
    let bob = b.signup("bob").await;
    let mut alice_socket = a.connect(&alice).await;
    let mut bob_on_b = b.connect(&bob).await;
    let mut bob_on_a = a.connect(&bob).await;

    // Written to bob's socket on node b: the `delivered` receipt comes from b.
    let ack = alice_socket.send_message(bob.id, "hello").await;
    let id = ack["message_id"].as_i64().unwrap();
    bob_on_b.next_of("message").await;
    let delivered = alice_socket.next_of("delivered").await;
    assert_eq!(delivered["message_ids"], json!([id]), "{delivered}");

    // Read on node b: the sender on node a is told, and so is the reader's socket
    // on node a.
    bob_on_b
        .send_json(json!({"type": "read", "peer_id": alice.id, "up_to": id}))
        .await;
    for socket in [&mut alice_socket, &mut bob_on_a] {
        let read = socket.next_of("read").await;
        assert_eq!(
            (&read["reader_id"], &read["peer_id"], &read["up_to"]),
            (&json!(bob.id), &json!(alice.id), &json!(id)),
            "{read}"
        );
    }

    // A room's read marker: every member's sockets, on every node.
    let room = a.create_room(&alice, "lobby", "public").await;
    b.join_room(&bob, room).await;
    let posted = alice_socket.send_to_room(room, "to the room").await;
    let up_to = posted["message_id"].as_i64().unwrap();
    bob_on_b
        .send_json(json!({"type": "read", "room_id": room, "up_to": up_to}))
        .await;
    let read = alice_socket.next_of("read").await;
    assert_eq!(
        (&read["reader_id"], &read["room_id"], &read["up_to"]),
        (&json!(bob.id), &json!(room), &json!(up_to)),
        "{read}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_on_one_node_ends_the_token_on_every_node() {
    let nodes = spawn_nodes(2).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let alice = a.signup("alice").await;
    let laptop = b.log_in("alice").await;
    let mut on_b = b.connect(&alice).await;
    let mut laptop_socket = b.connect(&laptop).await;
    // Node b has checked the token once (and could have cached the answer).
    assert_eq!(b.get("/me", &alice.token).await.status(), StatusCode::OK);

    let response = a
        .request(Method::POST, "/logout", &alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let close = on_b.next_close(CLOSE_WAIT).await.expect("a close frame");
    assert_eq!(u16::from(close.code), TOKEN_ENDED);
    // Refused on node b by the time it closed the socket.
    let response = b.get("/me", &alice.token).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token", "/me").await;
    assert_eq!(
        b.upgrade_status(&alice.token).await,
        StatusCode::UNAUTHORIZED
    );
    // The other token and its socket are untouched.
    assert_eq!(b.get("/me", &laptop.token).await.status(), StatusCode::OK);
    let to_laptop = b.sentinel(&laptop).await;
    laptop_socket.expect_nothing_before(to_laptop, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_spans_nodes_and_outlives_no_dead_node() {
    let mut nodes = spawn_nodes(3).await;
    let alice = nodes[0].signup("alice").await;
    let bob = nodes[1].signup("bob").await;
    nodes[0].send_over_rest(&alice, bob.id, "hi").await;
    let mut alice_socket = nodes[0].connect(&alice).await;

    // Online while bob has a socket on any node: told on node a, listed there.
    let bob_socket = nodes[1].connect(&bob).await;
    let online = alice_socket.next_of("presence").await;
    assert_eq!(
        online,
        json!({"type": "presence", "user_id": bob.id, "online": true, "last_seen": null})
    );
    assert_eq!(nodes[0].listed_user(&alice, bob.id).await["online"], true);
    // A second socket on another node changes nothing; closing the first one
    // leaves bob online.
    let bob_on_c = nodes[2].connect(&bob).await;
    bob_socket.close().await;
    // Node b has seen it go (and published whatever it would) when it logs so.
    let closed = format!("socket closed user={}", bob.id);
    wait_until(CLOSE_WAIT, "bob's socket on node b closed", || async {
        nodes[1].log.to_string().contains(&closed)
    })
    .await;
    let to_alice = nodes[0].sentinel(&alice).await;
    alice_socket
        .expect_nothing_before(to_alice, &["delivered"])
        .await;
    assert_eq!(nodes[0].listed_user(&alice, bob.id).await["online"], true);

    // Node c dies without a word (no shutdown, no cleanup): bob goes offline
    // once its heartbeat is stale.
    let dead = nodes.pop().unwrap();
    drop(bob_on_c);
    drop(dead);
    let offline = alice_socket.next_of("presence").await;
    assert_eq!(
        (&offline["user_id"], &offline["online"]),
        (&json!(bob.id), &json!(false)),
        "{offline}"
    );
    assert!(offline["last_seen"].is_string(), "{offline}");
    let listed = nodes[0].listed_user(&alice, bob.id).await;
    assert_eq!(listed["online"], false, "{listed}");
    assert!(listed["last_seen"].is_string(), "{listed}");
    // Swept, not cleaned up by the dead node.
    let swept = format!("user {}: their last node stopped answering", bob.id);
    assert!(nodes
        .iter()
        .any(|node| node.log.to_string().contains(&swept)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_send_budget_is_shared_by_every_node() {
    // Four sends, and practically no refill (one per 100 s).
    let nodes = spawn_nodes_with(3, |config| {
        config.send_rate = 0.01;
        config.send_burst = 4.0;
    })
    .await;
    let alice = nodes[0].signup("alice").await;
    let bob = nodes[1].signup("bob").await;
    for i in 0..4 {
        nodes[0]
            .send_over_rest(&alice, bob.id, &format!("{i}"))
            .await;
    }
    // Once the other nodes have charged alice's sends to her there, she has
    // nothing left anywhere.
    for node in &nodes[1..] {
        wait_until(CLOSE_WAIT, "the sends charged on every node", || async {
            sends_drained(node).await >= 4
        })
        .await;
    }
    for node in &nodes {
        let response = node
            .request(Method::POST, &format!("/messages/{}", bob.id), &alice.token)
            .json(&json!({"content": "one more"}))
            .send()
            .await
            .unwrap();
        expect_error(
            response,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "send",
        )
        .await;
    }
    // Bob's budget is his own.
    nodes[2].send_over_rest(&bob, alice.id, "hi").await;
}

/// The send tokens `node` charged for sends made through other nodes.
async fn sends_drained(node: &TestApp) -> u64 {
    let scrape = node.client.get(node.url("/metrics")).send().await.unwrap();
    let text = scrape.text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("parley_sends_drained_total "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}
