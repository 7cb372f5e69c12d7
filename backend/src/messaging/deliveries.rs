//! Recording that messages reached a recipient's socket, and telling their senders
//! (`delivered` receipts).
//!
//! Live deliveries from every socket go to one task, which stores whatever is
//! queued in one UPDATE, so a busy server records thousands of deliveries per
//! commit instead of one commit per socket write. A delivery not yet recorded when
//! the server stops is flushed again on the next connection, and clients drop
//! repeated ids, so no socket waits for this.

use std::collections::HashMap;

use actix_web::web;
use chrono::NaiveDateTime;
use tokio::sync::mpsc;

use crate::db::{self, Db, MessageId, UserId};
use crate::domain::time::{now, utc};
use crate::live::bus::{Bus, Event};
use crate::live::frames::ServerFrame;
use crate::live::hub::{Hub, Outbound};

use crate::metrics::Metrics;

/// Batches of ids waiting to be recorded; beyond this, sockets wait.
const QUEUE: usize = 1024;
/// At most this many ids go into one UPDATE (SQLite binds each one).
const MAX_IDS: usize = 1000;
/// At most this many ids go into one event for other nodes (its payload is limited).
const IDS_PER_EVENT: usize = 400;

pub struct Deliveries {
    db: Db,
    hub: web::Data<Hub>,
    bus: web::Data<Bus>,
    queue: mpsc::Sender<Vec<MessageId>>,
    metrics: web::Data<Metrics>,
}

impl Deliveries {
    /// Starts the recording task on the current runtime.
    pub fn start(
        db: Db,
        hub: web::Data<Hub>,
        bus: web::Data<Bus>,
        metrics: web::Data<Metrics>,
    ) -> Self {
        let (queue, batches) = mpsc::channel(QUEUE);
        tokio::spawn(run(
            db.clone(),
            (hub.clone(), bus.clone()),
            metrics.clone(),
            batches,
        ));
        Self {
            db,
            hub,
            bus,
            queue,
            metrics,
        }
    }

    /// Queues live deliveries to be recorded.
    pub async fn record(&self, ids: Vec<MessageId>) {
        if !ids.is_empty() && self.queue.send(ids).await.is_err() {
            log::error!("the delivery recorder has stopped");
        }
    }

    /// Records deliveries before returning: catch-up does this before it reports
    /// `ready`, so a client that reconnects at once is not sent them again.
    pub async fn record_now(&self, ids: &[MessageId]) {
        store(&self.db, self.sockets(), &self.metrics, ids).await;
    }

    /// Sends each sender a `delivered` receipt for their newly delivered messages.
    pub fn announce(&self, newly: Vec<(MessageId, UserId)>, at: NaiveDateTime) {
        self.metrics.messages_delivered(newly.len());
        announce(self.sockets(), newly, at);
    }

    fn sockets(&self) -> Sockets<'_> {
        Sockets {
            hub: &self.hub,
            bus: &self.bus,
        }
    }
}

/// Where receipts go: this node's sockets, and the other nodes'.
#[derive(Clone, Copy)]
struct Sockets<'a> {
    hub: &'a Hub,
    bus: &'a Bus,
}

async fn run(
    db: Db,
    (hub, bus): (web::Data<Hub>, web::Data<Bus>),
    metrics: web::Data<Metrics>,
    mut batches: mpsc::Receiver<Vec<MessageId>>,
) {
    let sockets = Sockets {
        hub: &hub,
        bus: &bus,
    };
    let mut received = Vec::new();
    while batches.recv_many(&mut received, QUEUE).await > 0 {
        let ids: Vec<MessageId> = received.drain(..).flatten().collect();
        for chunk in ids.chunks(MAX_IDS) {
            store(&db, sockets, &metrics, chunk).await;
        }
    }
}

async fn store(db: &Db, sockets: Sockets<'_>, metrics: &Metrics, ids: &[MessageId]) {
    if ids.is_empty() {
        return;
    }
    let at = now();
    match db::receipts::mark_delivered(db, ids, at).await {
        Ok(newly) => {
            metrics.messages_delivered(newly.len());
            announce(sockets, newly, at);
        }
        // The messages did reach a socket; at worst they are flushed again on the
        // next connection, and clients drop repeated ids.
        Err(e) => log::error!("recording {} deliveries: {e}", ids.len()),
    }
}

fn announce(sockets: Sockets<'_>, newly: Vec<(MessageId, UserId)>, at: NaiveDateTime) {
    let mut by_sender: HashMap<UserId, Vec<MessageId>> = HashMap::new();
    for (id, sender) in newly {
        by_sender.entry(sender).or_default().push(id);
    }
    for (sender, mut message_ids) in by_sender {
        message_ids.sort_unstable();
        let frame = ServerFrame::Delivered {
            message_ids: &message_ids,
            at: utc(at),
        };
        sockets
            .hub
            .route(sender, None, &Outbound::notice(frame.to_json()));
        // In pieces for other nodes: an event's payload is limited.
        for ids in message_ids.chunks(IDS_PER_EVENT) {
            let frame = ServerFrame::Delivered {
                message_ids: ids,
                at: utc(at),
            };
            sockets.bus.publish(Event::Notice {
                users: vec![sender],
                room: None,
                frame: frame.to_json(),
            });
        }
    }
}
