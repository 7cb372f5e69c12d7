//! Ephemeral events between nodes (PostgreSQL): typing, receipts, revoked tokens
//! and presence changes, which live in one node's memory and must reach sockets
//! on every node. Each goes out once, as a small JSON `NOTIFY` on
//! [`db::events::EVENTS`], and every other node applies it to its own sockets
//! (`messaging`'s tail listens). Nothing is stored: an event lost while a node's
//! listening connection is down is gone, like a frame to a closed socket.
//!
//! Publishing never waits: events go to a bounded queue, which one task per node
//! empties into the database; when it is full they are dropped and counted
//! (`parley_bus_events_dropped`). Events of one node are sent in the order they
//! were published, on one connection, so others hear them in that order.
//! On SQLite one process serves the database: nothing is sent.

use actix_web::web;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::{self, error::TrySendError};

use crate::db::{self, Db, RoomId, UserId};
use crate::metrics::Metrics;

/// Events waiting to be sent; beyond this, new ones are dropped.
const QUEUE: usize = 4096;
/// At most this many events are sent on one checkout of a connection.
const BATCH: usize = 64;

/// What happened on the node that publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A notice frame (a receipt) for the sockets of `users` and, with `room`, of
    /// every member of that room (resolved by each node: member lists are long).
    Notice {
        users: Vec<UserId>,
        room: Option<RoomId>,
        frame: String,
    },
    /// `user` started (or stopped) typing to `recipient` or in `room`.
    Typing {
        user: UserId,
        recipient: Option<UserId>,
        room: Option<RoomId>,
        typing: bool,
    },
    /// A token was revoked (logout): refuse it and close its sockets.
    Revoked {
        user: UserId,
        token_id: String,
        expires_at: u64,
    },
    /// Sends (and edits, deletes) each user made through the node since its last
    /// such event: every node charges them to its own bucket of that user.
    Consumed { sends: Vec<(UserId, u32)> },
    /// `user` came online or went offline (`last_seen`, when offline) on every
    /// node: each node reads which, and tells their peers.
    Presence {
        user: UserId,
        last_seen: Option<NaiveDateTime>,
    },
}

/// An event as sent: with the node it comes from, which ignores its own.
#[derive(Serialize, Deserialize)]
struct Envelope {
    node: i64,
    #[serde(flatten)]
    event: Event,
}

/// This node's end of the bus.
pub struct Bus {
    node: i64,
    /// `None` on SQLite.
    queue: Option<mpsc::Sender<String>>,
    metrics: web::Data<Metrics>,
}

impl Bus {
    /// Starts the publishing task for node `node` on the current runtime
    /// (PostgreSQL only).
    pub fn start(db: Db, node: i64, metrics: web::Data<Metrics>) -> Self {
        let queue = db.is_shared().then(|| {
            let (queue, events) = mpsc::channel(QUEUE);
            tokio::spawn(publish(db, events, metrics.clone()));
            queue
        });
        Self {
            node,
            queue,
            metrics,
        }
    }

    /// Whether other nodes may hear: events are sent (PostgreSQL).
    pub fn is_shared(&self) -> bool {
        self.queue.is_some()
    }

    /// This node's id (random, per process).
    pub fn node(&self) -> i64 {
        self.node
    }

    /// Queues `event` for the other nodes, or drops it (see the module's comment).
    pub fn publish(&self, event: Event) {
        let Some(queue) = &self.queue else {
            return;
        };
        let payload = match serde_json::to_string(&Envelope {
            node: self.node,
            event,
        }) {
            Ok(payload) => payload,
            Err(e) => {
                log::error!("encoding an event for other nodes: {e}");
                return;
            }
        };
        if payload.len() > db::events::MAX_PAYLOAD {
            log::warn!("an event of {} bytes is too large to send", payload.len());
            self.metrics.bus_dropped(1);
            return;
        }
        match queue.try_send(payload) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => self.metrics.bus_dropped(1),
            Err(TrySendError::Closed(_)) => log::error!("the event publisher has stopped"),
        }
    }

    /// The event in `payload`, unless this node sent it or it cannot be read.
    pub fn receive(&self, payload: &str) -> Option<Event> {
        match serde_json::from_str::<Envelope>(payload) {
            Ok(envelope) if envelope.node == self.node => None,
            Ok(envelope) => Some(envelope.event),
            Err(e) => {
                log::warn!("an event from another node cannot be read: {e}");
                None
            }
        }
    }
}

/// The publishing task: sends what is queued, in order.
async fn publish(db: Db, mut events: mpsc::Receiver<String>, metrics: web::Data<Metrics>) {
    let mut batch = Vec::with_capacity(BATCH);
    while events.recv_many(&mut batch, BATCH).await > 0 {
        if let Err(e) = db::events::publish(&db, &batch).await {
            log::warn!("sending {} events to other nodes: {e}", batch.len());
            metrics.bus_dropped(batch.len());
        }
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_ignores_its_own_events() {
        let envelope = |node| {
            serde_json::to_string(&Envelope {
                node,
                event: Event::Presence {
                    user: UserId(3),
                    last_seen: None,
                },
            })
            .unwrap()
        };
        let bus = Bus {
            node: 1,
            queue: None,
            metrics: web::Data::new(Metrics::default()),
        };
        assert_eq!(bus.receive(&envelope(1)), None);
        assert_eq!(
            bus.receive(&envelope(2)),
            Some(Event::Presence {
                user: UserId(3),
                last_seen: None
            })
        );
        assert_eq!(bus.receive("{\"node\": 2}"), None);
    }
}
