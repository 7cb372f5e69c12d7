//! Presence: whether a user has a socket open, told to everyone they share a
//! conversation with, and when they were last seen. The hub knows who is online;
//! the peers and `last_seen` come from the database.

use chrono::NaiveDateTime;

use super::frames::ServerFrame;
use super::hub::{Hub, Outbound};
use crate::db::{self, Db, UserId};
use crate::domain::time::{now, utc};

/// Tells everyone `user` shares a conversation with whether they are online.
/// The state is read when the frame is built, so racing connects and disconnects
/// end with the true state.
pub async fn announce(db: &Db, hub: &Hub, user: UserId, last_seen: Option<NaiveDateTime>) {
    let peers = match db::messages::conversation_heads(db, user).await {
        Ok(peers) => peers,
        Err(e) => {
            log::error!("user {user}: loading peers for presence: {e}");
            return;
        }
    };
    let online = hub.is_online(user);
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
