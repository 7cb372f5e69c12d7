//! Ordering under concurrent writers: every node writes while a reader resumes
//! with `since` on a different node each round.

use std::collections::HashSet;

use super::load::{pipelined_sends, sent_to, stream_of, Reader};
use super::{expect_nothing_before, spawn_cluster};
use crate::on_three_nodes_and_one;

const SENDERS: usize = 3;
const PER_SENDER: usize = 150;
const ROUNDS: usize = 4;

/// Senders on nodes 0, 1 and 2 pipeline messages to one reader, who disconnects
/// and resumes with `since=<last cursor>` on the next node, four times, while they
/// write. In the end the reader saw every acked message once, in stream order, with
/// no gap against the stream the database holds; each socket's rows after `ready`
/// came after its replay.
async fn concurrent_writers_on_every_node_and_a_reader_resuming_on_each_in_turn(nodes: usize) {
    let cluster = spawn_cluster(nodes).await;
    let reader_user = cluster.signup("reader", 0).await;
    let total = SENDERS * PER_SENDER;

    let mut reader = Reader::default();
    let mut socket = cluster.node(0).connect_since(&reader_user, 0).await;
    reader.replayed(&mut socket, "the reader's first socket, on node 0");

    let mut senders = Vec::new();
    for i in 0..SENDERS {
        let user = cluster.signup(&format!("sender{i}"), i).await;
        let sender = cluster.node(i).connect(&user).await;
        let label = format!("s{i}");
        senders.push(tokio::spawn(pipelined_sends(
            sender,
            label,
            vec![reader_user.id],
            PER_SENDER,
        )));
    }

    for round in 0..ROUNDS {
        let node = round % 3;
        let what = format!("the reader's socket on node {node} (round {round})");
        if round > 0 {
            // Gone (with whatever it had not read yet), then back elsewhere.
            drop(socket);
            socket = cluster
                .node(node)
                .connect_since(&reader_user, reader.cursor)
                .await;
            reader.replayed(&mut socket, &what);
        }
        // A quarter of the way on, while the senders still write.
        reader
            .read_until(&mut socket, total * (round + 1) / ROUNDS, &what)
            .await;
    }

    let mut acked = Vec::new();
    let mut sockets = Vec::new();
    for sender in senders {
        let (sender_socket, sent) = sender.await.expect("a sender");
        acked.extend(sent);
        sockets.push(sender_socket);
    }
    let acked = sent_to(&acked, reader_user.id);
    assert_eq!(acked.len(), total);
    let seen: HashSet<i64> = reader.seen.iter().copied().collect();
    assert_eq!(seen.len(), reader.seen.len(), "nothing seen twice");
    let mut seen_sorted: Vec<i64> = seen.into_iter().collect();
    seen_sorted.sort_unstable();
    assert_eq!(seen_sorted, acked, "the reader saw every acked message");
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
