//! The stream: `since` replay, the `ready` cursor, and replay racing live traffic.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;

use crate::both_backends;
use crate::helpers::{spawn_app, Backend};

async fn a_device_catches_up_from_its_cursor(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    let mut phone = app.connect(&alice).await;
    assert_eq!(phone.ready_cursor, 0);
    let first = phone.send_message(bob.id, "one").await["message_id"]
        .as_i64()
        .unwrap();

    // Bob's laptop reads up to `first`, then is away while three things happen:
    // a message each way, and an edit of the first.
    let laptop = app.connect(&bob).await;
    assert_eq!(laptop.ready_cursor, first);
    laptop.close().await;
    let second = phone.send_message(bob.id, "two").await["message_id"]
        .as_i64()
        .unwrap();
    let mut bob_phone = app.connect(&bob).await;
    bob_phone.next_json().await; // "two", live
    let third = bob_phone.send_message(alice.id, "three").await["message_id"]
        .as_i64()
        .unwrap();
    let edited = app
        .client
        .patch(app.url(&format!("/messages/{first}")))
        .bearer_auth(&alice.token)
        .json(&json!({"content": "one (edited)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), 200);

    let mut laptop = app.connect_since(&bob, first).await;
    let replayed: Vec<_> = [
        laptop.next_json().await,
        laptop.next_json().await,
        laptop.next_json().await,
    ]
    .into_iter()
    .collect();
    assert_eq!(replayed[0]["type"], "message");
    assert_eq!(replayed[0]["id"], second);
    assert_eq!(replayed[1]["type"], "message");
    assert_eq!(replayed[1]["id"], third, "sent from bob's other device");
    assert_eq!(replayed[2]["type"], "edited");
    assert_eq!(replayed[2]["message_id"], first);
    assert_eq!(replayed[2]["content"], "one (edited)");
    let cursors: Vec<i64> = replayed
        .iter()
        .map(|f| f["cursor"].as_i64().unwrap())
        .collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
    assert_eq!(laptop.ready_cursor, cursors[2]);
    // Nothing is written after it connected: the replay was exactly these.
    laptop.expect_caught_up();

    // The same stream over REST.
    let events: serde_json::Value = app
        .get(&format!("/events?after={first}"), &bob.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events["events"].as_array().unwrap().len(), 3);
    assert_eq!(events["cursor"], cursors[2]);
    assert_eq!(events["has_more"], false);
}
both_backends!(a_device_catches_up_from_its_cursor);

/// Replay and live traffic race: a device reconnecting with its cursor while the
/// peer streams messages gets every one exactly once, in order.
async fn replay_and_live_traffic_race(backend: Backend) {
    // Fewer than a socket's mailbox holds (256) after the first `connect_after`:
    // see websocket::race_round.
    const COUNT: usize = 250;
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    for connect_after in [20, 150] {
        let mut sender = app.connect(&alice).await;
        let start = sender.send_message(bob.id, "start").await["message_id"]
            .as_i64()
            .unwrap();
        let bob_id = bob.id;
        let sending = tokio::spawn(async move {
            for n in 0..COUNT {
                sender
                    .send_json(json!({"recipient_id": bob_id, "content": format!("m{n}")}))
                    .await;
            }
            let mut acked = HashSet::new();
            while acked.len() < COUNT {
                let frame = sender.next_frame().await;
                // Bob coming online, and his socket's receipts whenever they come.
                if !["presence", "delivered"].contains(&frame["type"].as_str().unwrap()) {
                    assert_eq!(frame["type"], "ack", "{frame}");
                    acked.insert(frame["message_id"].as_i64().unwrap());
                }
            }
            // Kept open: closing it would send bob a `presence` frame.
            (sender, acked)
        });
        loop {
            let stored = app
                .history(&bob, &format!("/messages/{}?limit=200", alice.id))
                .await;
            if stored
                .iter()
                .filter(|m| m["id"].as_i64().unwrap() > start)
                .count()
                >= connect_after
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut receiver = app.connect_since(&bob, start).await;
        let mut received = Vec::new();
        while received.len() < COUNT {
            let frame = receiver.next_frame().await;
            assert_eq!(frame["type"], "message", "{frame}");
            received.push(frame["id"].as_i64().unwrap());
        }
        let (sender, acked) = sending.await.unwrap();
        // Every message was routed before its ack: nothing more may come before this.
        let sentinel = app.sentinel(&bob).await;
        receiver.expect_nothing_before(sentinel, &[]).await;
        drop(sender);
        assert!(
            received.windows(2).all(|w| w[0] < w[1]),
            "out of order or repeated"
        );
        assert_eq!(received.into_iter().collect::<HashSet<_>>(), acked);
        receiver.close().await;
    }
}
both_backends!(replay_and_live_traffic_race);

/// The same client_id sent at once from two sockets is stored once; both get the
/// same message id, one of them marked duplicate.
async fn concurrent_duplicates_are_stored_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let alice = app.signup("alice").await;
    let bob = app.signup("bob").await;
    for round in 0..20 {
        let mut one = app.connect(&alice).await;
        let mut two = app.connect(&alice).await;
        let frame =
            json!({"recipient_id": bob.id, "content": "once", "client_id": format!("dup-{round}")});
        tokio::join!(one.send_json(frame.clone()), two.send_json(frame));
        let (a, b) = tokio::join!(one.next_of("ack"), two.next_of("ack"));
        assert_eq!(a["message_id"], b["message_id"]);
        assert_ne!(a["duplicate"], b["duplicate"], "{a} {b}");
    }
    let stored = app
        .history(&bob, &format!("/messages/{}?limit=200", alice.id))
        .await;
    assert_eq!(stored.len(), 20);
}
both_backends!(concurrent_duplicates_are_stored_once);
