//! Who is connected: every open socket of every user, each reached through its
//! bounded mailbox. The hub never touches the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytestring::ByteString;
use tokio::sync::mpsc::{self, error::TrySendError};

use crate::db::{MessageId, UserId};

/// How many frames may wait for one socket. A client that falls this far behind is
/// disconnected; what it missed stays in the database for its next connection.
pub const MAILBOX_CAPACITY: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionId(u64);

/// A message on its way to one socket. The frame is serialised once and shared by
/// every socket it goes to.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub message_id: MessageId,
    pub recipient_id: UserId,
    pub frame: ByteString,
}

struct Connection {
    id: ConnectionId,
    mailbox: mpsc::Sender<Delivery>,
}

#[derive(Default)]
pub struct Hub {
    connections: Mutex<HashMap<UserId, Vec<Connection>>>,
    next_id: AtomicU64,
}

impl Hub {
    /// Adds a socket for `user`; it receives what is routed to `user` from now on.
    pub fn register(&self, user: UserId) -> (ConnectionId, mpsc::Receiver<Delivery>) {
        let id = ConnectionId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let (mailbox, inbox) = mpsc::channel(MAILBOX_CAPACITY);
        self.lock()
            .entry(user)
            .or_default()
            .push(Connection { id, mailbox });
        (id, inbox)
    }

    pub fn unregister(&self, user: UserId, id: ConnectionId) {
        let mut connections = self.lock();
        if let Some(sockets) = connections.get_mut(&user) {
            sockets.retain(|c| c.id != id);
            if sockets.is_empty() {
                connections.remove(&user);
            }
        }
    }

    pub fn is_online(&self, user: UserId) -> bool {
        self.lock().contains_key(&user)
    }

    /// Hands `delivery` to every socket of `user` except `skip`; returns how many
    /// took it. A socket whose mailbox is full is dropped from the hub: its session
    /// sees its mailbox close and disconnects the client.
    pub fn route(&self, user: UserId, skip: Option<ConnectionId>, delivery: &Delivery) -> usize {
        let mut connections = self.lock();
        let Some(sockets) = connections.get_mut(&user) else {
            return 0;
        };
        let mut reached = 0;
        sockets.retain(|socket| {
            if Some(socket.id) == skip {
                return true;
            }
            match socket.mailbox.try_send(delivery.clone()) {
                Ok(()) => {
                    reached += 1;
                    true
                }
                Err(TrySendError::Full(_)) => {
                    log::warn!(
                        "user {user}: socket {:?} is too slow, disconnecting it",
                        socket.id
                    );
                    false
                }
                Err(TrySendError::Closed(_)) => false,
            }
        });
        if sockets.is_empty() {
            connections.remove(&user);
        }
        reached
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<UserId, Vec<Connection>>> {
        // The map stays consistent even if a holder panicked: every update is one call.
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Delivery {
    pub fn new(message_id: MessageId, recipient_id: UserId, json: String) -> Self {
        Self {
            message_id,
            recipient_id,
            frame: ByteString::from(json),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> Delivery {
        Delivery::new(MessageId(1), UserId(2), "{}".into())
    }

    #[test]
    fn routes_to_every_socket_but_the_skipped_one() {
        let hub = Hub::default();
        let (first, mut first_inbox) = hub.register(UserId(2));
        let (_, mut second_inbox) = hub.register(UserId(2));
        assert_eq!(hub.route(UserId(2), Some(first), &delivery()), 1);
        assert!(first_inbox.try_recv().is_err());
        assert!(second_inbox.try_recv().is_ok());
        assert_eq!(hub.route(UserId(3), None, &delivery()), 0);
    }

    #[test]
    fn a_full_mailbox_disconnects_its_socket() {
        let hub = Hub::default();
        let (_, mut inbox) = hub.register(UserId(2));
        for _ in 0..MAILBOX_CAPACITY {
            assert_eq!(hub.route(UserId(2), None, &delivery()), 1);
        }
        assert_eq!(hub.route(UserId(2), None, &delivery()), 0);
        assert!(!hub.is_online(UserId(2)));
        // The session drains what was queued, then sees the mailbox closed.
        for _ in 0..MAILBOX_CAPACITY {
            assert!(inbox.try_recv().is_ok());
        }
        assert!(matches!(
            inbox.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
    }

    #[test]
    fn unregistering_the_last_socket_takes_the_user_offline() {
        let hub = Hub::default();
        let (a, _inbox_a) = hub.register(UserId(2));
        let (b, _inbox_b) = hub.register(UserId(2));
        hub.unregister(UserId(2), a);
        assert!(hub.is_online(UserId(2)));
        hub.unregister(UserId(2), b);
        assert!(!hub.is_online(UserId(2)));
    }
}
