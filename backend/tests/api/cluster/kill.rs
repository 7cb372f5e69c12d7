//! Three `parley` processes on one PostgreSQL database, and `kill -9` of one under
//! a pipelined send load: its senders reconnect to another node and resend what
//! was not acked with the same `client_id`s; every acked message is stored once,
//! and the other nodes' senders never notice.
//!
//! The kill comes at a chosen point, not at a time: every sender stops halfway
//! with a window of frames sent and their acks not read, and node 1 dies once all
//! are there; so the other nodes serve the second half after the kill. On node 1,
//! the window's acks may or may not have left; the frames each sends next go into
//! a dead connection. Either way they are resent through another node.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::load::events;
use crate::helpers::wait_until;
use crate::process::Server;

const NODES: usize = 3;
const SENDERS_PER_NODE: usize = 2;
const PER_SENDER: usize = 200;
/// Frames a sender keeps in flight (the server reads 32 ahead).
const WINDOW: usize = 20;
const KILLED: usize = 1;
/// How long a sender waits for an answer from a node that is up.
const ANSWER_WAIT: Duration = Duration::from_secs(10);
/// No node is killed yet.
const NONE: usize = usize::MAX;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_loses_no_acked_message_and_the_others_keep_serving() {
    let database_url = crate::postgres::fresh_database().await;
    // One after the other: the first migrates the database.
    let mut nodes: Vec<Server> = (0..NODES)
        .map(|_| Server::start_on(&database_url, &[]))
        .collect();
    let ports: Vec<u16> = nodes.iter().map(|node| node.port).collect();
    let client = reqwest::Client::new();
    let (recipient, recipient_token) = nodes[0].session(&client, "recipient").await;

    let killed = Arc::new(AtomicUsize::new(NONE));
    let at_gate = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for s in 0..NODES * SENDERS_PER_NODE {
        let home = s % NODES;
        let (_, token) = nodes[home].session(&client, &format!("sender{s}")).await;
        let sender = Sender {
            label: format!("s{s}"),
            token,
            ports: ports.clone(),
            node: home,
            killed: Arc::clone(&killed),
            gate: Some(Arc::clone(&at_gate)),
        };
        senders.push(tokio::spawn(sender.run(recipient)));
    }

    wait_until(
        Duration::from_secs(60),
        "every sender halfway, with frames in flight",
        || {
            let at_gate = Arc::clone(&at_gate);
            async move { at_gate.load(Ordering::SeqCst) == NODES * SENDERS_PER_NODE }
        },
    )
    .await;
    killed.store(KILLED, Ordering::SeqCst);
    nodes[KILLED].child.kill().expect("kill -9 node 1");
    nodes[KILLED].child.wait().expect("reap node 1");

    let mut acked: HashMap<String, i64> = HashMap::new();
    for (s, sender) in senders.into_iter().enumerate() {
        let outcome = sender.await.expect("a sender");
        // Node 1's senders move once; the others, who sent half their messages
        // after the kill, never notice.
        let expected = usize::from(s % NODES == KILLED);
        assert_eq!(
            outcome.reconnects,
            expected,
            "sender {s}, on node {}",
            s % NODES
        );
        if expected > 0 {
            assert!(outcome.resent > 0, "sender {s} resent what was in flight");
        }
        acked.extend(outcome.acked);
    }
    let total = NODES * SENDERS_PER_NODE * PER_SENDER;
    assert_eq!(acked.len(), total, "every message was acked in the end");

    // Every acked message is stored once, with the id its ack named.
    let stored = events(&client, |path| nodes[0].url(path), &recipient_token).await;
    let mut once: HashMap<String, i64> = HashMap::new();
    for message in &stored {
        let client_id = message["client_id"].as_str().unwrap().to_owned();
        let id = message["id"].as_i64().unwrap();
        assert!(
            once.insert(client_id.clone(), id).is_none(),
            "{client_id} stored twice"
        );
    }
    assert_eq!(
        once, acked,
        "stored exactly what was acked, under the acked ids"
    );
}

/// One sender: pipelines its messages to one node and, if that node dies, goes on
/// through the next one, first resending what was not acked.
struct Sender {
    label: String,
    token: String,
    ports: Vec<u16>,
    node: usize,
    killed: Arc<AtomicUsize>,
    /// Counts the sender in once it stops halfway (taken then: it stops once).
    gate: Option<Arc<AtomicUsize>>,
}

struct Outcome {
    /// `client_id` → the message id its ack named.
    acked: HashMap<String, i64>,
    reconnects: usize,
    /// Frames sent again after a reconnect.
    resent: usize,
}

impl Sender {
    async fn run(mut self, recipient: i64) -> Outcome {
        let mut acked = HashMap::new();
        let mut unacked: BTreeSet<usize> = BTreeSet::new();
        let mut next = 0;
        let mut reconnects = 0;
        let mut resent = 0;
        loop {
            let mut ws = self.connect().await;
            // Sent to a node that died: the answer may have been lost, the row not.
            resent += unacked.len();
            for &n in &unacked {
                if ws.send(self.frame(recipient, n)).await.is_err() {
                    break;
                }
            }
            let ended = loop {
                while unacked.len() < WINDOW && next < PER_SENDER {
                    unacked.insert(next);
                    let frame = self.frame(recipient, next);
                    next += 1;
                    if ws.send(frame).await.is_err() {
                        break;
                    }
                }
                if next == PER_SENDER / 2 {
                    self.wait_for_the_kill().await;
                }
                if unacked.is_empty() {
                    break false;
                }
                match self.answer(&mut ws).await {
                    Some(ack) => {
                        let client_id = ack["client_id"].as_str().unwrap().to_owned();
                        let n: usize = client_id.rsplit('-').next().unwrap().parse().unwrap();
                        assert!(
                            unacked.remove(&n),
                            "{}: an ack for nothing: {ack}",
                            self.label
                        );
                        acked.insert(client_id, ack["message_id"].as_i64().unwrap());
                    }
                    None => break true,
                }
            };
            if !ended {
                return Outcome {
                    acked,
                    reconnects,
                    resent,
                };
            }
            let dead = self.killed.load(Ordering::SeqCst);
            assert_eq!(
                dead, self.node,
                "{}: node {} dropped it, yet only node {dead} was killed",
                self.label, self.node
            );
            reconnects += 1;
            self.node = (self.node + 1) % self.ports.len();
        }
    }

    /// Halfway: waits, acks unread, until node 1 is dead.
    async fn wait_for_the_kill(&mut self) {
        let Some(gate) = self.gate.take() else {
            return;
        };
        gate.fetch_add(1, Ordering::SeqCst);
        let killed = Arc::clone(&self.killed);
        wait_until(Duration::from_secs(60), "the kill", || {
            let killed = Arc::clone(&killed);
            async move { killed.load(Ordering::SeqCst) != NONE }
        })
        .await;
    }

    async fn connect(&self) -> Ws {
        let url = format!(
            "ws://127.0.0.1:{}/ws?token={}",
            self.ports[self.node], self.token
        );
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .unwrap_or_else(|e| panic!("{} connects to node {}: {e}", self.label, self.node));
        ws
    }

    fn frame(&self, recipient: i64, n: usize) -> Message {
        let id = format!("{}-{n}", self.label);
        let frame =
            json!({"type": "message", "recipient_id": recipient, "content": id, "client_id": id});
        Message::text(frame.to_string())
    }

    /// The next ack, or `None` once the connection is gone. Anything else but
    /// `ready` fails the test; so does a node that stays silent.
    async fn answer(&self, ws: &mut Ws) -> Option<Value> {
        loop {
            let frame = tokio::time::timeout(ANSWER_WAIT, ws.next())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{}: timed out waiting for an ack from node {}",
                        self.label, self.node
                    )
                });
            let text = match frame {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
                Some(Ok(_)) => continue,
            };
            let frame: Value = serde_json::from_str(&text).unwrap();
            match frame["type"].as_str() {
                Some("ack") => return Some(frame),
                Some("ready") => {}
                _ => panic!(
                    "{}: expected an ack from node {}, got {frame}",
                    self.label, self.node
                ),
            }
        }
    }
}
