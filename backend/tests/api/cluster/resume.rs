//! Ordering under concurrent writers: every node writes while a reader resumes
//! with `since` on a different node each round.

use super::load::{pipelined_sends, sent_to, stream_of, Reader};
use super::{expect_nothing_before, spawn_cluster};
use crate::on_three_nodes_and_one;

const SENDERS: usize = 3;
const ROUNDS: usize = 4;
/// Messages each sender sends in each round.
const PER_ROUND: usize = 40;

/// Senders on nodes 0, 1 and 2 pipeline messages to one reader, round after round;
/// as each round's writes start, the reader drops its socket and resumes with
/// `since=<last cursor>` on the next node. In the end the reader saw every acked
/// message once, in stream order, with no gap against the stream the database
/// holds; each socket's rows after `ready` came after its replay.
async fn concurrent_writers_on_every_node_and_a_reader_resuming_on_each_in_turn(nodes: usize) {
    let cluster = spawn_cluster(nodes).await;
    let reader_user = cluster.signup("reader", 0).await;

    let mut reader = Reader::default();
    let mut socket = cluster.node(0).connect_since(&reader_user, 0).await;
    reader.replayed(&mut socket, "the reader's first socket, on node 0");
    let mut senders = Vec::new();
    for i in 0..SENDERS {
        let user = cluster.signup(&format!("sender{i}"), i).await;
        senders.push(cluster.node(i).connect(&user).await);
    }

    let mut acked = Vec::new();
    for round in 0..ROUNDS {
        let writing: Vec<_> = senders
            .drain(..)
            .enumerate()
            .map(|(i, sender)| {
                let label = format!("s{i}-{round}");
                tokio::spawn(pipelined_sends(
                    sender,
                    label,
                    vec![reader_user.id],
                    PER_ROUND,
                ))
            })
            .collect();
        let node = round % 3;
        let what = format!("the reader's socket on node {node} (round {round})");
        if round > 0 {
            // Gone (with whatever it had not read yet), then back elsewhere while
            // this round's writes start.
            drop(socket);
            socket = cluster
                .node(node)
                .connect_since(&reader_user, reader.cursor)
                .await;
            reader.replayed(&mut socket, &what);
        }
        let so_far = SENDERS * PER_ROUND * (round + 1);
        reader.read_until(&mut socket, so_far, &what).await;
        for sending in writing {
            let (sender, sent) = sending.await.expect("a sender");
            acked.extend(sent);
            senders.push(sender);
        }
    }

    let acked = sent_to(&acked, reader_user.id);
    assert_eq!(acked.len(), SENDERS * PER_ROUND * ROUNDS);
    // (The reader checked that each row came after the one before.)
    assert_eq!(
        reader.seen, acked,
        "the reader saw every acked message, once"
    );
    let stored = stream_of(cluster.node(1), &reader_user).await;
    assert_eq!(reader.seen, stored, "no gap against the database's stream");

    // And nothing more came.
    let sentinel = cluster.sentinel(&reader_user, 2).await;
    let node = (ROUNDS - 1) % 3;
    expect_nothing_before(
        &mut socket,
        sentinel,
        format!("the reader's last socket, on node {node}"),
    )
    .await;
}

on_three_nodes_and_one!(concurrent_writers_on_every_node_and_a_reader_resuming_on_each_in_turn);
