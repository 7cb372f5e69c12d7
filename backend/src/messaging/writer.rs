//! The one task that writes the message stream. It takes whatever changes are
//! queued (up to a batch), stores them in one transaction, and only then answers
//! and routes them, in stream order. Because there is one writer, rows become
//! visible in id order: a socket that has read the stream up to some id can never
//! later see a smaller one appear.

use std::collections::HashSet;
use std::sync::Arc;

use actix_web::web;
use bytestring::ByteString;
use tokio::sync::{mpsc, oneshot};

use crate::db::messages::{Message, Write, Written};
use crate::db::{self, Db, UserId};
use crate::error::Error;
use crate::ws::hub::{ConnectionId, Hub, Outbound, Streamed};
use crate::ws::protocol::ServerFrame;
use crate::ws::typing::{self, Typing};

/// At most this many changes share a transaction.
const BATCH: usize = 256;

pub struct Job {
    pub write: Write,
    /// The connection that asked, which gets an ack instead of a copy.
    pub from: Option<ConnectionId>,
    pub reply: Reply,
}

/// The outcome, and for a new message whether it reached a recipient socket.
pub type Reply = oneshot::Sender<Result<(Written, bool), Error>>;

pub async fn run(
    db: Db,
    hub: web::Data<Hub>,
    typing: web::Data<Typing>,
    mut queue: mpsc::Receiver<Job>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut users = HashSet::new();
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        write(&db, &hub, &typing, &mut users, std::mem::take(&mut batch)).await;
    }
}

/// Stores one batch; `users` are the recipients known to exist (users are never
/// deleted, so each is looked up once).
async fn write(db: &Db, hub: &Hub, typing: &Typing, users: &mut HashSet<UserId>, jobs: Vec<Job>) {
    // A missing recipient would abort the whole transaction: refuse it up front.
    let unchecked: Vec<UserId> = jobs
        .iter()
        .filter_map(|job| match &job.write {
            Write::Send(send) => Some(send.recipient),
            Write::Change { .. } => None,
        })
        .filter(|recipient| !users.contains(recipient))
        .collect();
    if !unchecked.is_empty() {
        match db::users::existing(db, &unchecked).await {
            Ok(existing) => users.extend(existing),
            Err(e) => return fail_all(jobs.into_iter().map(|job| job.reply), e),
        }
    }
    let (jobs, unknown): (Vec<Job>, Vec<Job>) =
        jobs.into_iter().partition(|job| match &job.write {
            Write::Send(send) => users.contains(&send.recipient),
            Write::Change { .. } => true,
        });
    for job in unknown {
        if let Write::Send(send) = job.write {
            let _ = job.reply.send(Err(Error::UserNotFound(send.recipient.0)));
        }
    }

    let (writes, askers): (Vec<Write>, Vec<_>) = jobs
        .into_iter()
        .map(|job| (job.write, (job.from, job.reply)))
        .unzip();
    let written = match db::messages::write_batch(db, &writes).await {
        Ok(written) => written,
        Err(e) => return fail_all(askers.into_iter().map(|(_, reply)| reply), e),
    };
    for ((from, reply), written) in askers.into_iter().zip(written) {
        let delivered = route(hub, typing, from, &written);
        // The asker may have gone away; the change is stored all the same.
        let _ = reply.send(Ok((written, delivered)));
    }
}

/// Sends a committed change to every socket that should see it; true when a new
/// message reached one of its recipient's sockets.
fn route(hub: &Hub, typing: &Typing, from: Option<ConnectionId>, written: &Written) -> bool {
    match written {
        Written::Sent {
            message,
            duplicate: false,
        } => {
            if typing.stop(message.sender_id, message.recipient_id) {
                hub.route(
                    message.recipient_id,
                    None,
                    &typing::stopped(message.sender_id),
                );
            }
            let outbound = stream(message, Some(message.recipient_id));
            // The sender's other devices first: its `delivered` receipt, which a
            // recipient socket may produce at once on another thread, then always
            // comes after the copy it is about.
            hub.route(message.sender_id, from, &outbound);
            hub.route(message.recipient_id, None, &outbound) > 0
        }
        Written::Sent {
            message,
            duplicate: true,
        } => message.delivered_at.is_some(),
        Written::Changed { event, .. } => {
            let outbound = stream(event, None);
            hub.route(event.sender_id, None, &outbound);
            hub.route(event.recipient_id, None, &outbound);
            false
        }
        Written::Unchanged(_) | Written::Refused(_) => false,
    }
}

fn stream(row: &Message, delivers: Option<UserId>) -> Outbound {
    Outbound::Stream(Arc::new(Streamed {
        cursor: row.id,
        delivers,
        frame: ByteString::from(ServerFrame::stream(row).to_json()),
    }))
}

fn fail_all(replies: impl Iterator<Item = Reply>, cause: db::Error) {
    log::error!("storing a batch of message changes: {cause}");
    for reply in replies {
        let _ = reply.send(Err(Error::Internal));
    }
}
