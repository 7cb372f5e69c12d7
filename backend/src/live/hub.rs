//! Who is connected: every open socket of every user, each reached through its
//! bounded mailbox. The hub never touches the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytestring::ByteString;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::sync::watch;

use crate::db::{MessageId, UserId};

/// How many frames may wait for one socket.
pub const MAILBOX_CAPACITY: usize = 256;
/// Slots that stream rows leave free for notices (receipts, typing, presence) and
/// the [`Outbound::Behind`] marker, so that a socket that is behind on rows still
/// gets them.
pub const NOTICE_HEADROOM: usize = 32;

// Backpressure between the writer and the sockets. The writer routes each row as
// soon as it is committed and never waits for a socket: one slow client must not
// hold up everyone else's sends. So a socket can fall behind the writer, on a busy
// or starved server as much as with a slow client. The invariant:
//
// * A socket is never disconnected because rows came faster than it could write
//   them. The mailbox is only the fast path: the rows are in the database. When a
//   row finds the mailbox at its row limit (capacity - NOTICE_HEADROOM), the socket
//   is marked behind and gets one `Behind` marker instead; rows for it are then not
//   queued until its task reaches the marker, calls `caught_up`, and replays the
//   stream from the database after the last row it wrote (as a reconnect with
//   `since` would). Order holds: everything before the marker was queued in
//   stream order, everything after the marker's row is read from the database or
//   queued after `caught_up`, and the replay's position dedups the overlap.
// * Memory stays bounded: at most MAILBOX_CAPACITY frames per socket, one flag.
// * A client that does not read is still disconnected: its task cannot write a
//   frame within the write timeout (1013), or, when notices alone fill its
//   mailbox, the hub drops it here.
// * Nothing acked is lost: rows are routed only after their commit.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionId(u64);

impl std::fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What a socket's task is handed. Frames are serialised once and shared by every
/// socket they go to; an `Outbound` is two words, so that a mailbox's slots cost
/// little on every idle socket.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A row of the stream.
    Stream(Arc<Streamed>),
    /// Anything not in the stream: receipts, typing, presence.
    Notice(Arc<ByteString>),
    /// The token this socket was opened with was revoked.
    Revoked,
    /// The mailbox was full: rows after the ones already queued were not. Catch
    /// up from the database, then call [`Hub::caught_up`].
    Behind,
}

/// A stream row as it goes out: its position, its frame, and the recipient for
/// whom writing it counts as delivery (for messages).
#[derive(Debug)]
pub struct Streamed {
    pub cursor: MessageId,
    pub delivers: Option<UserId>,
    pub frame: ByteString,
}

struct Connection {
    id: ConnectionId,
    token_id: String,
    mailbox: mpsc::Sender<Outbound>,
    /// Rows are not queued: the socket will read them from the database once it
    /// reaches its `Behind` marker.
    behind: bool,
}

pub struct Hub {
    connections: Mutex<HashMap<UserId, Vec<Connection>>>,
    next_id: AtomicU64,
    /// Becomes true when the server is shutting down.
    restart: watch::Sender<bool>,
    /// Sockets one user may have registered at once.
    max_per_user: usize,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_PER_USER)
    }
}

/// `register` found the user at the cap (`MAX_SOCKETS_PER_USER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManySockets(pub usize);

/// A newly registered socket.
pub struct Registration {
    pub id: ConnectionId,
    pub inbox: mpsc::Receiver<Outbound>,
    /// It is the user's only socket: they just came online.
    pub came_online: bool,
    /// Changes when the server shuts down: the socket should ask its client to
    /// reconnect.
    pub restart: watch::Receiver<bool>,
}

impl Hub {
    pub const DEFAULT_MAX_PER_USER: usize = 16;

    pub fn new(max_per_user: usize) -> Self {
        Self {
            connections: Mutex::default(),
            next_id: AtomicU64::default(),
            restart: watch::Sender::new(false),
            max_per_user: max_per_user.max(1),
        }
    }

    /// Adds a socket for `user`, unless they already have the most allowed; it
    /// receives what is routed to `user` from now on. The count and the insert
    /// happen under one lock, so concurrent upgrades cannot both take the last
    /// place.
    pub fn register(&self, user: UserId, token_id: &str) -> Result<Registration, TooManySockets> {
        let mut connections = self.lock();
        let sockets = connections.entry(user).or_default();
        if sockets.len() >= self.max_per_user {
            return Err(TooManySockets(self.max_per_user));
        }
        let id = ConnectionId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let (mailbox, inbox) = mpsc::channel(MAILBOX_CAPACITY);
        sockets.push(Connection {
            id,
            token_id: token_id.to_owned(),
            mailbox,
            behind: false,
        });
        Ok(Registration {
            id,
            inbox,
            came_online: sockets.len() == 1,
            restart: self.restart.subscribe(),
        })
    }

    /// Tells every socket, open now or opened from now on, that the server is
    /// shutting down.
    pub fn restart(&self) {
        self.restart.send_replace(true);
    }

    /// Removes a socket (if `route` has not already dropped it); true when the user
    /// has no socket left.
    pub fn unregister(&self, user: UserId, id: ConnectionId) -> bool {
        let mut connections = self.lock();
        let Some(sockets) = connections.get_mut(&user) else {
            return true;
        };
        sockets.retain(|c| c.id != id);
        if sockets.is_empty() {
            connections.remove(&user);
        }
        !connections.contains_key(&user)
    }

    /// How many users have at least one socket.
    pub fn online_users(&self) -> usize {
        self.lock().len()
    }

    /// Every user with at least one socket here.
    pub fn users(&self) -> Vec<UserId> {
        self.lock().keys().copied().collect()
    }

    pub fn is_online(&self, user: UserId) -> bool {
        self.lock().contains_key(&user)
    }

    /// Hands `outbound` to every socket of `user` except `skip`; returns how many
    /// took it. A row that does not fit marks its socket behind (see the invariant
    /// above); a notice that does not fit drops the socket from the hub: its task
    /// sees its mailbox close and disconnects the client.
    pub fn route(&self, user: UserId, skip: Option<ConnectionId>, outbound: &Outbound) -> usize {
        deliver(&mut self.lock(), user, skip, outbound)
    }

    /// Hands `outbound` to every socket of each of `users` (except `skip`), taking
    /// the lock once; returns how many sockets took it.
    pub fn route_all(
        &self,
        users: impl IntoIterator<Item = UserId>,
        skip: Option<ConnectionId>,
        outbound: &Outbound,
    ) -> usize {
        let mut connections = self.lock();
        users
            .into_iter()
            .map(|user| deliver(&mut connections, user, skip, outbound))
            .sum()
    }

    /// The socket reached its `Behind` marker and reads the stream from the
    /// database from now on: rows are queued for it again. Call before reading,
    /// so that no row falls between the read and the mailbox.
    pub fn caught_up(&self, user: UserId, id: ConnectionId) {
        let mut connections = self.lock();
        let sockets = connections.get_mut(&user).into_iter().flatten();
        for socket in sockets.filter(|socket| socket.id == id) {
            socket.behind = false;
        }
    }

    /// Every socket reads the stream from the database from where it is, as if its
    /// mailbox had filled: for rows that could not be routed in order.
    pub fn all_behind(&self) {
        let mut connections = self.lock();
        for sockets in connections.values_mut() {
            sockets.retain_mut(|socket| {
                if socket.behind {
                    return true;
                }
                socket.behind = true;
                // Full of notices: the socket is too slow, as in `deliver`.
                socket.mailbox.try_send(Outbound::Behind).is_ok()
            });
        }
        connections.retain(|_, sockets| !sockets.is_empty());
    }

    /// Tells every socket opened with `token_id` that its token is revoked.
    pub fn revoke(&self, user: UserId, token_id: &str) {
        let connections = self.lock();
        for socket in connections.get(&user).into_iter().flatten() {
            if socket.token_id == token_id {
                // A full mailbox means the socket is being dropped anyway.
                let _ = socket.mailbox.try_send(Outbound::Revoked);
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<UserId, Vec<Connection>>> {
        // The map stays consistent even if a holder panicked: every update is one call.
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// See [`Hub::route`].
fn deliver(
    connections: &mut HashMap<UserId, Vec<Connection>>,
    user: UserId,
    skip: Option<ConnectionId>,
    outbound: &Outbound,
) -> usize {
    let Some(sockets) = connections.get_mut(&user) else {
        return 0;
    };
    let mut reached = 0;
    let is_row = matches!(outbound, Outbound::Stream(_));
    sockets.retain_mut(|socket| {
        if Some(socket.id) == skip {
            return true;
        }
        // `counts`: whether taking it means the socket got `outbound` itself.
        let (sent, counts) = if !is_row {
            (socket.mailbox.try_send(outbound.clone()), true)
        } else if socket.behind {
            // Its task reads this row from the database.
            return true;
        } else if socket.mailbox.capacity() <= NOTICE_HEADROOM {
            socket.behind = true;
            log::debug!("user {user}: socket {} fell behind the stream", socket.id);
            (socket.mailbox.try_send(Outbound::Behind), false)
        } else {
            (socket.mailbox.try_send(outbound.clone()), true)
        };
        match sent {
            Ok(()) => {
                reached += usize::from(counts);
                true
            }
            Err(TrySendError::Full(_)) => {
                log::warn!(
                    "user {user}: socket {} is too slow, disconnecting it",
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

impl Outbound {
    pub fn notice(json: String) -> Self {
        Self::Notice(Arc::new(ByteString::from(json)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> Outbound {
        Outbound::notice("{}".into())
    }

    #[test]
    fn routes_to_every_socket_but_the_skipped_one() {
        let hub = Hub::default();
        let mut first = hub.register(UserId(2), "t1").unwrap();
        let mut second = hub.register(UserId(2), "t2").unwrap();
        assert!(first.came_online && !second.came_online);
        assert_eq!(hub.route(UserId(2), Some(first.id), &notice()), 1);
        assert!(first.inbox.try_recv().is_err());
        assert!(second.inbox.try_recv().is_ok());
        assert_eq!(hub.route(UserId(3), None, &notice()), 0);
    }

    #[test]
    fn a_full_mailbox_disconnects_its_socket() {
        let hub = Hub::default();
        let mut socket = hub.register(UserId(2), "t").unwrap();
        for _ in 0..MAILBOX_CAPACITY {
            assert_eq!(hub.route(UserId(2), None, &notice()), 1);
        }
        assert_eq!(hub.route(UserId(2), None, &notice()), 0);
        assert!(!hub.is_online(UserId(2)));
        // The task drains what was queued, then sees the mailbox closed.
        for _ in 0..MAILBOX_CAPACITY {
            assert!(socket.inbox.try_recv().is_ok());
        }
        assert!(matches!(
            socket.inbox.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
    }

    fn row(cursor: usize) -> Outbound {
        Outbound::Stream(Arc::new(Streamed {
            cursor: MessageId(cursor as i64),
            delivers: None,
            frame: ByteString::from_static("{}"),
        }))
    }

    #[test]
    fn rows_that_do_not_fit_mark_the_socket_behind_instead_of_dropping_it() {
        let hub = Hub::default();
        let mut socket = hub.register(UserId(2), "t").unwrap();
        let limit = MAILBOX_CAPACITY - NOTICE_HEADROOM;
        for cursor in 0..limit {
            assert_eq!(hub.route(UserId(2), None, &row(cursor)), 1);
        }
        // The next rows stay in the database; one marker says so.
        for cursor in limit..limit + 10 {
            assert_eq!(hub.route(UserId(2), None, &row(cursor)), 0);
        }
        assert!(hub.is_online(UserId(2)));
        // Notices still fit, after the marker.
        assert_eq!(hub.route(UserId(2), None, &notice()), 1);
        for cursor in 0..limit {
            match socket.inbox.try_recv() {
                Ok(Outbound::Stream(row)) => assert_eq!(row.cursor, MessageId(cursor as i64)),
                other => panic!("row {cursor} expected, got {other:?}"),
            }
        }
        assert!(matches!(socket.inbox.try_recv(), Ok(Outbound::Behind)));
        assert!(matches!(socket.inbox.try_recv(), Ok(Outbound::Notice(_))));
        assert!(socket.inbox.try_recv().is_err());
        // Rows are queued again once the socket reads the database.
        assert_eq!(hub.route(UserId(2), None, &row(1000)), 0);
        hub.caught_up(UserId(2), socket.id);
        assert_eq!(hub.route(UserId(2), None, &row(1001)), 1);
        assert!(
            matches!(socket.inbox.try_recv(), Ok(Outbound::Stream(row)) if row.cursor == MessageId(1001))
        );
    }

    #[test]
    fn all_behind_sends_every_socket_to_the_database_once() {
        let hub = Hub::default();
        let mut ann = hub.register(UserId(2), "t").unwrap();
        let mut bob = hub.register(UserId(3), "t").unwrap();
        hub.all_behind();
        hub.all_behind();
        for socket in [&mut ann, &mut bob] {
            assert!(matches!(socket.inbox.try_recv(), Ok(Outbound::Behind)));
            assert!(socket.inbox.try_recv().is_err());
        }
        // Rows wait in the database until the socket has caught up.
        assert_eq!(hub.route(UserId(2), None, &row(1)), 0);
        hub.caught_up(UserId(2), ann.id);
        assert_eq!(hub.route(UserId(2), None, &row(2)), 1);
        assert_eq!(hub.route(UserId(3), None, &row(2)), 0);
    }

    #[test]
    fn unregistering_the_last_socket_takes_the_user_offline() {
        let hub = Hub::default();
        let a = hub.register(UserId(2), "t").unwrap();
        let b = hub.register(UserId(2), "t").unwrap();
        assert!(!hub.unregister(UserId(2), a.id));
        assert!(hub.is_online(UserId(2)));
        assert!(hub.unregister(UserId(2), b.id));
        assert!(!hub.is_online(UserId(2)));
        // A socket the hub dropped for being slow still counts when it ends.
        assert!(hub.unregister(UserId(2), b.id));
    }

    #[test]
    fn a_user_holds_at_most_the_cap_of_sockets() {
        let hub = Hub::new(2);
        let first = hub.register(UserId(2), "t").unwrap();
        let _second = hub.register(UserId(2), "t").unwrap();
        assert_eq!(hub.register(UserId(2), "t").err(), Some(TooManySockets(2)));
        // Others are not affected, and a closed socket frees its place.
        assert!(hub.register(UserId(3), "t").is_ok());
        hub.unregister(UserId(2), first.id);
        assert!(hub.register(UserId(2), "t").is_ok());
    }

    #[test]
    fn concurrent_registrations_never_pass_the_cap() {
        let hub = Arc::new(Hub::new(16));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let hub = Arc::clone(&hub);
                std::thread::spawn(move || {
                    (0..100)
                        .filter_map(|_| hub.register(UserId(2), "t").ok())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let registered: usize = threads.into_iter().map(|t| t.join().unwrap().len()).sum();
        assert_eq!(registered, 16);
    }

    #[test]
    fn revoking_a_token_reaches_only_its_sockets() {
        let hub = Hub::default();
        let mut phone = hub.register(UserId(2), "phone").unwrap();
        let mut laptop = hub.register(UserId(2), "laptop").unwrap();
        hub.revoke(UserId(2), "phone");
        assert!(matches!(phone.inbox.try_recv(), Ok(Outbound::Revoked)));
        assert!(laptop.inbox.try_recv().is_err());
    }
}
