//! Sends committed rows to this node's sockets: each row once, in id order, whether
//! this node's writer stored it or another node did.
//!
//! Rows reach the router two ways. The writer hands over its own batch after the
//! commit, with the connection each send came from (which gets an ack instead of
//! a copy). Rows of other nodes are read from the database ([`Router::catch_up`]),
//! when they announce a commit or when the fallback poll looks. Because commits
//! are ordered by the stream's write lock (see `db::stream`), a row that is
//! visible has every smaller id that will ever exist visible too, so reading
//! "after the last routed id" misses nothing.
//!
//! The one race is a read that sees this node's own batch before the writer has
//! handed it over (the commit is visible before the writer hears of it). The
//! writer marks the batch's first id as *held* before it commits; a read stops
//! before the first held id, and the writer's hand-over routes from there. The
//! mark is set before the commit and a read looks for it after its query, so a
//! read that sees the rows also sees the mark.

use std::collections::{BTreeSet, HashMap};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::web;
use bytestring::ByteString;

use super::rooms::{Directory, RoomState};
use crate::db::messages::Message;
use crate::db::{self, Chat, Db, Kind, MessageId, RoomId, UserId};
use crate::domain::time::now;
use crate::live::frames::ServerFrame;
use crate::live::hub::{ConnectionId, Hub, Outbound, Streamed};
use crate::live::typing::{self, Typing};
use crate::media::links::Links;
use crate::metrics::Metrics;

/// Rows read per query while catching up.
const PAGE: i64 = 500;

pub struct Router {
    /// This process, in its announcements and events (random).
    node: i64,
    db: Db,
    hub: web::Data<Hub>,
    typing: web::Data<Typing>,
    metrics: web::Data<Metrics>,
    /// Signs the links in the frames.
    links: Links,
    /// The members of rooms other nodes write to, as of the rows routed: a room is
    /// read again after each of its member events.
    audiences: Directory,
    /// The newest id routed. Held while routing, so that rows go out in order.
    routed: tokio::sync::Mutex<MessageId>,
    /// The same, readable without waiting for the routing under way.
    newest_routed: AtomicI64,
    /// The first ids of this node's batches that may be committed but are not
    /// routed yet.
    held: Mutex<BTreeSet<MessageId>>,
}

/// A row of this node's batch, and the connection that sent it.
#[derive(Clone, Copy)]
pub struct Own<'a> {
    pub row: &'a Message,
    pub from: Option<ConnectionId>,
}

impl Router {
    /// A router that has routed everything up to `newest`.
    pub fn new(
        db: Db,
        hub: web::Data<Hub>,
        typing: web::Data<Typing>,
        metrics: web::Data<Metrics>,
        rooms: NonZeroUsize,
        newest: MessageId,
        links: Links,
    ) -> Self {
        Self {
            node: rand::random(),
            db,
            hub,
            typing,
            metrics,
            links,
            audiences: Directory::new(rooms),
            routed: tokio::sync::Mutex::new(newest),
            newest_routed: AtomicI64::new(newest.0),
            held: Mutex::new(BTreeSet::new()),
        }
    }

    /// Marks a batch starting at `first` as this node's, before its commit.
    pub fn hold(&self, first: MessageId) {
        self.held().insert(first);
    }

    /// The batch starting at `first` was not committed after all.
    pub fn release(&self, first: MessageId) {
        self.held().remove(&first);
    }

    /// Routes this node's committed batch (rows in id order, the first of them
    /// held), after any rows of other nodes committed before it, up to
    /// `newest_before`. `rooms`: the members the batch left its rooms with.
    /// Returns, per row, whether it is a direct message that reached one of its
    /// recipient's sockets.
    pub async fn route_own(
        &self,
        newest_before: MessageId,
        own: &[Own<'_>],
        rooms: &HashMap<RoomId, Arc<RoomState>>,
    ) -> Vec<bool> {
        let mut order: Vec<usize> = (0..own.len()).collect();
        order.sort_unstable_by_key(|&i| own[i].row.id);
        let first = order.first().map(|&i| own[i].row.id);
        let mut routed = self.routed.lock().await;
        if *routed < newest_before && !self.read(&mut routed, first).await {
            // Other nodes' rows before this batch cannot be read now: rather than
            // send rows out of order, every socket here reads the stream from the
            // database, from where it is.
            log::warn!("routing from the database: rows before {first:?} could not be read");
            self.hub.all_behind();
        }
        let mut delivered = vec![false; own.len()];
        for i in order {
            let Own { row, from } = own[i];
            let members = match row.room_id {
                Some(room) => Some(match rooms.get(&room) {
                    Some(state) => {
                        if matches!(row.kind, Kind::Member(_)) {
                            // What other nodes' rows of the room go to from now on.
                            self.audiences.set(room, RoomState::clone(state));
                        }
                        state.members.clone()
                    }
                    // An edit of a room message the batch did not load.
                    None => self.audience(room, row.kind).await,
                }),
                None => None,
            };
            delivered[i] = self.route(row, from, members.as_deref());
            *routed = (*routed).max(row.id);
        }
        self.newest_routed.store(routed.0, Ordering::Relaxed);
        if let Some(first) = first {
            self.release(first);
        }
        delivered
    }

    /// What a batch of this node announces when it commits: who wrote, and the
    /// newest id.
    pub fn announcement(&self, newest: MessageId) -> String {
        format!("{} {}", self.node, newest.0)
    }

    /// Whether an announcement may bring rows not routed yet: another node's, of
    /// a row newer than the last routed.
    pub fn is_news(&self, announcement: &str) -> bool {
        let mut parts = announcement.split(' ');
        let node = parts.next().and_then(|node| node.parse().ok());
        let newest = parts.next().and_then(|newest| newest.parse().ok());
        node != Some(self.node)
            && newest.is_none_or(|newest: i64| newest > self.newest_routed.load(Ordering::Relaxed))
    }

    /// Routes every committed row not routed yet, up to the first held batch.
    pub async fn catch_up(&self) {
        let mut routed = self.routed.lock().await;
        self.read(&mut routed, None).await;
    }

    /// Reads and routes rows after `routed`, before `before` and before the first
    /// held batch; false when the database could not be read (the next catch-up
    /// reads from where this one stopped).
    async fn read(&self, routed: &mut MessageId, before: Option<MessageId>) -> bool {
        loop {
            let rows = match db::stream::rows(&self.db, *routed, before, PAGE).await {
                Ok(rows) => rows,
                Err(e) => {
                    log::warn!("reading the stream after {}: {e}", routed.0);
                    return false;
                }
            };
            let full = rows.len() == usize::try_from(PAGE).unwrap_or(usize::MAX);
            // Looked at after the query: see the module's comment.
            let held = self.held().first().copied();
            let mut stopped = false;
            for row in &rows {
                if held.is_some_and(|held| row.id >= held) {
                    stopped = true;
                    break;
                }
                let members = match row.room_id {
                    Some(room) => Some(self.audience(room, row.kind).await),
                    None => None,
                };
                self.route(row, None, members.as_deref());
                *routed = row.id;
            }
            self.newest_routed.store(routed.0, Ordering::Relaxed);
            if stopped || !full {
                return true;
            }
        }
    }

    /// The members of `room` as of the rows routed here (for events from other
    /// nodes about the room).
    pub async fn members(&self, room: RoomId) -> Vec<UserId> {
        self.audience(room, Kind::Message).await
    }

    /// This node's id, in its announcements and events.
    pub fn node(&self) -> i64 {
        self.node
    }

    /// The members a row of `room` goes to, read again after a member event.
    async fn audience(&self, room: RoomId, kind: Kind) -> Vec<UserId> {
        if matches!(kind, Kind::Member(_)) {
            self.audiences.forget(room);
        }
        if let Some(state) = self.audiences.get(room) {
            return state.members.clone();
        }
        match self.audiences.current(&self.db, room).await {
            Ok(Some(state)) => {
                let members = state.members.clone();
                self.audiences.set(room, RoomState::clone(&state));
                members
            }
            Ok(None) => Vec::new(),
            Err(e) => {
                // Who should get the row is unknown: every socket here reads the
                // stream from the database instead.
                log::warn!("reading the members of room {} to route to: {e}", room.0);
                self.hub.all_behind();
                Vec::new()
            }
        }
    }

    /// Sends one committed row to every socket here that should see it; true when
    /// a new direct message reached one of its recipient's sockets. `members`: the
    /// room's, for a room row.
    fn route(&self, row: &Message, from: Option<ConnectionId>, members: Option<&[UserId]>) -> bool {
        let lag = (now() - row.created_at).to_std().unwrap_or_default();
        self.metrics.stream_routed(lag);
        let hub = &self.hub;
        let sender = row.sender_id;
        let members = members.unwrap_or_default();
        match (row.kind, row.chat()) {
            (Kind::Message, Some(chat @ Chat::Direct(recipient))) => {
                if self.typing.stop(sender, chat) {
                    hub.route(recipient, None, &typing::stopped(sender, chat));
                }
                let outbound = streamed(row, Some(recipient), &self.links);
                // The sender's other devices first: its `delivered` receipt, which
                // a recipient socket may produce at once on another thread, then
                // always comes after the copy it is about.
                hub.route(sender, from, &outbound);
                hub.route(recipient, None, &outbound) > 0
            }
            (Kind::Message, Some(chat @ Chat::Room(_))) => {
                if self.typing.stop(sender, chat) {
                    let others = members.iter().copied().filter(|&m| m != sender);
                    hub.route_all(others, None, &typing::stopped(sender, chat));
                }
                // No delivery is recorded for rooms: receipts per member would
                // grow with the square of the room.
                hub.route_all(
                    members.iter().copied(),
                    from,
                    &streamed(row, None, &self.links),
                );
                false
            }
            (_, Some(Chat::Direct(recipient))) => {
                let outbound = streamed(row, None, &self.links);
                hub.route(sender, None, &outbound);
                hub.route(recipient, None, &outbound);
                false
            }
            (Kind::Member(_), Some(Chat::Room(_))) => {
                // Someone who left or was removed hears of it too.
                let mut audience = members.to_vec();
                if !audience.contains(&sender) {
                    audience.push(sender);
                }
                hub.route_all(audience, None, &streamed(row, None, &self.links));
                false
            }
            (_, Some(Chat::Room(_))) => {
                hub.route_all(
                    members.iter().copied(),
                    None,
                    &streamed(row, None, &self.links),
                );
                false
            }
            (_, None) => false,
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, BTreeSet<MessageId>> {
        // Every update is one insert or removal: the set is whole after a panic.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The row as a frame; `delivers`: the recipient whose socket marks it delivered
/// when it writes it (a new direct message).
fn streamed(row: &Message, delivers: Option<UserId>, links: &Links) -> Outbound {
    Outbound::Stream(Arc::new(Streamed {
        cursor: row.id,
        delivers,
        frame: ByteString::from(ServerFrame::stream(row, links).to_json()),
    }))
}
