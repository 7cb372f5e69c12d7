//! A bounded load for the tests that write while readers move between nodes: a
//! pipelined sender, a reader that keeps its cursor across reconnects, and the
//! database's own view of a user's stream to compare with.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{cursor, next_frame, next_json, Cluster};
use crate::helpers::{Socket, TestApp, TestUser};

/// Messages a sender keeps in flight: a send waits for the ack `WINDOW` sends back.
const WINDOW: usize = 10;

/// Sends `count` messages from `socket` to each of `recipients` in turn, `WINDOW`
/// at a time, each with the `client_id` `<label>-<n>`; returns (recipient,
/// message id) of each, in the order sent, and the socket, kept open (closing it
/// would send presence to the recipients). Acks come in that order, with ids that
/// increase.
pub async fn pipelined_sends(
    mut socket: Socket,
    label: String,
    recipients: Vec<i64>,
    count: usize,
) -> (Socket, Vec<(i64, i64)>) {
    let mut acked: Vec<(i64, i64)> = Vec::with_capacity(count);
    for start in (0..count).step_by(WINDOW) {
        let window = start..count.min(start + WINDOW);
        for n in window.clone() {
            let to = recipients[n % recipients.len()];
            let frame = json!({"type": "message", "recipient_id": to, "content": format!("{label}-{n}"), "client_id": format!("{label}-{n}")});
            socket.send_json(frame).await;
        }
        for n in window {
            let ack = next_json(&mut socket, format!("the ack of {label}-{n}")).await;
            assert_eq!(
                (ack["type"].as_str(), ack["client_id"].as_str()),
                (Some("ack"), Some(format!("{label}-{n}").as_str())),
                "{ack}"
            );
            let id = ack["message_id"].as_i64().unwrap();
            if let Some((_, previous)) = acked.last() {
                assert!(id > *previous, "{label}: ids increase in send order: {ack}");
            }
            acked.push((recipients[n % recipients.len()], id));
        }
    }
    (socket, acked)
}

/// What a reader has seen of its stream over its successive sockets: each message
/// id once, in order, and the highest cursor, to resume from.
#[derive(Default)]
pub struct Reader {
    pub seen: Vec<i64>,
    pub cursor: i64,
}

impl Reader {
    /// Checks the replay of `socket`, connected with `since=self.cursor`: every row
    /// after the cursor, in order, then `ready` at the last of them.
    pub fn replayed(&mut self, socket: &mut Socket, what: &str) {
        for frame in socket.catch_up() {
            self.take(&frame, &format!("{what}, replay"));
        }
        assert_eq!(
            socket.ready_cursor, self.cursor,
            "{what}: `ready` comes at the last replayed row"
        );
    }

    /// Reads `socket` until `total` messages were seen in all; every row comes
    /// after the ones before it.
    pub async fn read_until(&mut self, socket: &mut Socket, total: usize, what: &str) {
        while self.seen.len() < total {
            let awaited = format!("message {} of {total} on {what}", self.seen.len() + 1);
            let frame = next_json(socket, awaited).await;
            self.take(&frame, what);
        }
    }

    /// Reads `socket` until the server closes it (as a node that stops does).
    pub async fn read_to_close(&mut self, socket: &mut Socket, what: &str) {
        loop {
            let awaited = format!("a frame or the close of {what}");
            let result = tokio::time::timeout(super::FRAME_WAIT, socket.next_text()).await;
            match result {
                Ok(Some(frame)) if super::is_notice(&frame) => {}
                Ok(Some(frame)) => self.take(&frame, what),
                Ok(None) => return,
                Err(_) => panic!("timed out waiting for {awaited}"),
            }
        }
    }

    fn take(&mut self, frame: &Value, what: &str) {
        assert_eq!(frame["type"], "message", "{what}: {frame}");
        let position = cursor(frame);
        assert!(
            position > self.cursor,
            "{what}: row {position} comes after {}: out of order or repeated",
            self.cursor
        );
        self.cursor = position;
        self.seen.push(position);
    }
}

/// Every position in `user`'s stream, as `GET /events` on `node` reads it.
pub async fn stream_of(node: &TestApp, user: &TestUser) -> Vec<i64> {
    let events = events(&node.client, |path| node.url(path), &user.token).await;
    events.iter().map(cursor).collect()
}

/// Every row of the stream of `token`'s user, read page by page with
/// `GET /events` at the URLs `url` makes.
pub async fn events(
    client: &reqwest::Client,
    url: impl Fn(&str) -> String,
    token: &str,
) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let path = format!("/events?after={after}&limit=500");
        let response = client.get(url(&path)).bearer_auth(token).send().await;
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        let page: Value = response.json().await.unwrap();
        rows.extend(page["events"].as_array().unwrap().iter().cloned());
        after = page["cursor"].as_i64().unwrap();
        if page["has_more"] == false {
            return rows;
        }
    }
}

/// The ids of `acked` sent to `recipient`, sorted.
pub fn sent_to(acked: &[(i64, i64)], recipient: i64) -> Vec<i64> {
    let mut ids: Vec<i64> = acked
        .iter()
        .filter(|(to, _)| *to == recipient)
        .map(|(_, id)| *id)
        .collect();
    ids.sort_unstable();
    ids
}

/// Connects `user` to node `i` with `since=0` and reads the replay, so that
/// everything after `ready` is live and newer than what came before.
pub async fn connect_caught_up(cluster: &Cluster, i: usize, user: &TestUser) -> Socket {
    let mut socket = cluster.node(i).connect_since(user, 0).await;
    socket.catch_up();
    socket
}

/// Sends `content` to room `room` and returns the answer (ack or error), skipping
/// the stream frames that come first.
pub async fn post_to_room(socket: &mut Socket, room: i64, content: &str, what: &str) -> Value {
    socket
        .send_json(json!({"type": "message", "room_id": room, "content": content}))
        .await;
    loop {
        let frame = next_frame(socket, format!("the answer to {what}")).await;
        if ["ack", "error"].contains(&frame["type"].as_str().unwrap_or_default()) {
            return frame;
        }
    }
}
