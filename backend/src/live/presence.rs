//! Presence: whether a user has a socket open on any node, told to everyone they
//! share a conversation with, and when they were last seen. This node's hub knows
//! its own sockets; with several nodes (PostgreSQL) `db::nodes` knows which nodes
//! hold a user's sockets, and the peers and `last_seen` come from the database.
//!
//! A node announces a change itself and publishes it on the [`Bus`], and every
//! other node announces it to the peers connected there (see [`heartbeat`] for a
//! node that dies without a word).

use std::collections::HashSet;

use chrono::NaiveDateTime;

use super::bus::{Bus, Event};
use super::frames::ServerFrame;
use super::hub::{Hub, Outbound};
use crate::db::{self, Db, UserId};
use crate::domain::time::{now, utc};

pub mod heartbeat;

/// Whether `user` has a socket on this node or another.
pub async fn is_online(db: &Db, hub: &Hub, user: UserId) -> bool {
    hub.is_online(user)
        || db::nodes::online_among(db, &[user])
            .await
            .is_ok_and(|online| !online.is_empty())
}

/// Which of `users` have a socket on this node or another (read failures count
/// as offline: presence is a hint).
pub async fn online_among(db: &Db, hub: &Hub, users: &[UserId]) -> HashSet<UserId> {
    let mut online = db::nodes::online_among(db, users)
        .await
        .unwrap_or_else(|e| {
            log::warn!("reading who is online on other nodes: {e}");
            HashSet::new()
        });
    online.extend(users.iter().copied().filter(|&user| hub.is_online(user)));
    online
}

/// `user`'s first socket on this node opened: tells their peers on every node
/// that they are online, unless they were already, on another node.
pub async fn connected(db: &Db, hub: &Hub, bus: &Bus, user: UserId) {
    let first = db::nodes::joined(db, bus.node(), &[user])
        .await
        .unwrap_or_else(|e| {
            log::error!("user {user}: recording their socket on this node: {e}");
            true
        });
    if first {
        announce(db, hub, user, None).await;
        bus.publish(Event::Presence {
            user,
            last_seen: None,
        });
    }
}

/// `user`'s last socket on this node closed; true when they have none on another
/// node either (then call [`went_offline`]).
pub async fn disconnected(db: &Db, bus: &Bus, user: UserId) -> bool {
    db::nodes::left(db, bus.node(), user)
        .await
        .unwrap_or_else(|e| {
            log::error!("user {user}: recording that their socket closed: {e}");
            true
        })
}

/// `user` has no socket left anywhere: stores when they were last seen and tells
/// their peers, here and on the other nodes.
pub async fn went_offline(db: &Db, hub: &Hub, bus: &Bus, user: UserId) {
    let last_seen = record_last_seen(db, user).await;
    announce(db, hub, user, Some(last_seen)).await;
    bus.publish(Event::Presence {
        user,
        last_seen: Some(last_seen),
    });
}

/// Tells everyone on this node who shares a conversation with `user` whether they
/// are online. The state is read when the frame is built, so racing connects and
/// disconnects end with the true state.
pub async fn announce(db: &Db, hub: &Hub, user: UserId, last_seen: Option<NaiveDateTime>) {
    let peers = match db::messages::conversation_heads(db, user).await {
        Ok(peers) => peers,
        Err(e) => {
            log::error!("user {user}: loading peers for presence: {e}");
            return;
        }
    };
    let online = is_online(db, hub, user).await;
    let frame = Outbound::notice(
        ServerFrame::Presence {
            user_id: user,
            online,
            last_seen: last_seen.filter(|_| !online).map(utc),
        }
        .to_json(),
    );
    for (peer, _) in peers {
        hub.route(peer, None, &frame);
    }
}

/// Stores that `user`'s last socket closed now, and returns that time for the
/// offline announcement (which carries it even when storing failed).
pub async fn record_last_seen(db: &Db, user: UserId) -> NaiveDateTime {
    let at = now();
    if let Err(e) = db::users::set_last_seen(db, user, at).await {
        log::error!("user {user}: storing last seen: {e}");
    }
    at
}
