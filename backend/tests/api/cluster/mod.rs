//! Several nodes on one PostgreSQL: `spawn_cluster(n)` starts n in-process servers
//! ("nodes") on one fresh database with one JWT secret, and the tests here spread
//! sockets over them. Each test runs twice: on three nodes, and with every socket
//! on one node, which shows that the test itself is sound when a three-node run
//! fails.

use std::fmt::Display;
use std::time::Duration;

use parley::config::Config;
use serde_json::Value;

use crate::helpers::{start, test_config, Socket, TestApp, TestUser, NOTICES};

mod conversation;
mod failover;
mod idempotency;
mod kill;
mod load;
mod resume;
mod rooms;
mod stream;

/// How long a test waits for a frame it expects, from any node.
const FRAME_WAIT: Duration = Duration::from_secs(10);

/// Writes a test once as `async fn name(nodes: usize)` and runs it on three nodes
/// (`name::three_nodes`) and on one (`name::one_node`, where `node(i)` is always
/// the same server).
#[macro_export]
macro_rules! on_three_nodes_and_one {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn three_nodes() {
                super::$name(3).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn one_node() {
                super::$name(1).await
            }
        }
    )+};
}

/// Nodes serving one deployment: one database, one JWT secret, each its own port.
pub struct Cluster {
    nodes: Vec<TestApp>,
    /// The user who sends sentinels, signed up on first use.
    sentinel_sender: tokio::sync::OnceCell<TestUser>,
}

/// Starts `n` nodes on one fresh PostgreSQL database, with the configuration of
/// `spawn_app` but for the port each binds.
pub async fn spawn_cluster(n: usize) -> Cluster {
    spawn_cluster_with(n, |_| {}).await
}

/// Like [`spawn_cluster`], with a change to every node's configuration.
pub async fn spawn_cluster_with(n: usize, tweak: impl Fn(&mut Config)) -> Cluster {
    assert!(n > 0, "a cluster has a node");
    let database_url = crate::postgres::fresh_database().await;
    let mut nodes = Vec::with_capacity(n);
    // One after the other: the first migrates the database, the others find it done.
    for _ in 0..n {
        let mut config = test_config(database_url.clone());
        tweak(&mut config);
        nodes.push(start(config, None).await);
    }
    let cluster = Cluster {
        nodes,
        sentinel_sender: tokio::sync::OnceCell::new(),
    };
    eprintln!("cluster: {}", cluster.describe());
    cluster
}

impl Cluster {
    /// Node `i`, counted round the cluster: on one node, every `i` is that node.
    pub fn node(&self, i: usize) -> &TestApp {
        &self.nodes[i % self.nodes.len()]
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Which port each node listens on, to read the logs printed on failure.
    pub fn describe(&self) -> String {
        let ports: Vec<String> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| format!("node {i} on port {}", node.port))
            .collect();
        ports.join(", ")
    }

    /// Stops node `i` as SIGTERM would (its sockets are closed with 1012) and waits
    /// until it has, while the others keep serving.
    pub async fn stop_node(&self, i: usize) {
        self.node(i).stop().await;
    }

    /// Registers `username` through node `i` and logs in there; the token works on
    /// every node.
    pub async fn signup(&self, username: &str, i: usize) -> TestUser {
        self.node(i).signup(username).await
    }

    /// Sends `to` a sentinel through node `i`: a direct message from a user of its
    /// own, over REST. Every node routes committed rows in id order, so on each
    /// socket of `to`, on any node, everything committed before this call (acks and
    /// HTTP answers the test saw) comes before it. Returns its id.
    pub async fn sentinel(&self, to: &TestUser, i: usize) -> i64 {
        let sender = self
            .sentinel_sender
            .get_or_init(|| async { self.node(0).signup("sentinel").await })
            .await;
        self.node(i).send_over_rest(sender, to.id, "sentinel").await["id"]
            .as_i64()
            .expect("sentinel id")
    }
}

/// The next frame of any type on `socket`; fails naming `what` was awaited if none
/// comes in time or the socket closes.
pub async fn next_frame(socket: &mut Socket, what: impl Display) -> Value {
    match tokio::time::timeout(FRAME_WAIT, socket.next_text()).await {
        Ok(Some(frame)) => frame,
        Ok(None) => panic!("the socket closed while waiting for {what}"),
        Err(_) => panic!("timed out after {FRAME_WAIT:?} waiting for {what}"),
    }
}

/// The next frame that is not a notice (receipt, typing, presence): a stream
/// frame, an ack or an error.
pub async fn next_json(socket: &mut Socket, what: impl Display) -> Value {
    loop {
        let frame = next_frame(socket, &what).await;
        if !is_notice(&frame) {
            return frame;
        }
    }
}

/// The next frame of type `kind`, skipping any other.
pub async fn next_of(socket: &mut Socket, kind: &str, what: impl Display) -> Value {
    loop {
        let frame = next_frame(socket, &what).await;
        if frame["type"] == kind {
            return frame;
        }
    }
}

/// Asserts that `socket` is sent nothing but notices before the sentinel message
/// `sentinel` (see [`Cluster::sentinel`]): what it was sent before was sent once.
pub async fn expect_nothing_before(socket: &mut Socket, sentinel: i64, what: impl Display) {
    let awaited = format!("sentinel {sentinel} on {what}");
    loop {
        let frame = next_frame(socket, &awaited).await;
        if frame["type"] == "message" && frame["id"] == sentinel {
            return;
        }
        assert!(
            is_notice(&frame),
            "{what}: expected nothing more before the sentinel, got {frame}"
        );
    }
}

pub fn is_notice(frame: &Value) -> bool {
    NOTICES.contains(&frame["type"].as_str().unwrap_or_default())
}

/// A frame's stream position.
pub fn cursor(frame: &Value) -> i64 {
    frame["cursor"]
        .as_i64()
        .unwrap_or_else(|| panic!("no cursor: {frame}"))
}
