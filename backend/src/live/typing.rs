//! Typing leases: "X is typing in chat Y" (to a user or in a room) lasts a few
//! seconds unless renewed, and is cleared when X sends a message there or goes
//! offline. Never stored.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::bus::Event;
use super::frames::ServerFrame;
use super::hub::Outbound;
use crate::db::{Chat, UserId};
use crate::domain::time::{now, utc};

pub const LEASE: Duration = Duration::from_secs(5);
/// Renewals closer together than this are not forwarded.
const MIN_RENEWAL: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct Typing {
    /// (typer, chat) → when the lease was last forwarded.
    leases: Mutex<HashMap<(UserId, Chat), Instant>>,
}

impl Typing {
    /// Records a typing signal; true when it should be forwarded.
    pub fn start(&self, typer: UserId, chat: Chat) -> bool {
        let now = Instant::now();
        let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
        // Expired leases are dropped as the map is used, so it stays small.
        leases.retain(|_, forwarded| now.duration_since(*forwarded) < LEASE);
        match leases.get(&(typer, chat)) {
            Some(forwarded) if now.duration_since(*forwarded) < MIN_RENEWAL => false,
            _ => {
                leases.insert((typer, chat), now);
                true
            }
        }
    }

    /// Records a lease another node forwarded, so that this node ends it too when
    /// the typer's message is routed here.
    pub fn heard(&self, typer: UserId, chat: Chat) {
        let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
        leases.insert((typer, chat), Instant::now());
    }

    /// Ends the lease; true when one was running.
    pub fn stop(&self, typer: UserId, chat: Chat) -> bool {
        let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
        leases
            .remove(&(typer, chat))
            .is_some_and(|forwarded| forwarded.elapsed() < LEASE)
    }

    /// Ends every lease of `typer`; returns the chats they were typing in.
    pub fn stop_all(&self, typer: UserId) -> Vec<Chat> {
        let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
        let mut recipients = Vec::new();
        leases.retain(|(from, to), forwarded| {
            if *from == typer {
                if forwarded.elapsed() < LEASE {
                    recipients.push(*to);
                }
                false
            } else {
                true
            }
        });
        recipients
    }
}

/// The frame that starts `user`'s typing indicator in `chat`, for one lease.
pub fn started(user: UserId, chat: Chat) -> Outbound {
    Outbound::notice(
        ServerFrame::Typing {
            user_id: user,
            room_id: chat.room(),
            typing: true,
            expires_at: Some(utc(now()) + LEASE),
        }
        .to_json(),
    )
}

/// What tells the other nodes that `user` started (or stopped) typing in `chat`.
pub fn event(user: UserId, chat: Chat, typing: bool) -> Event {
    let recipient = match chat {
        Chat::Direct(recipient) => Some(recipient),
        Chat::Room(_) => None,
    };
    Event::Typing {
        user,
        recipient,
        room: chat.room(),
        typing,
    }
}

/// The frame that ends `user`'s typing indicator in `chat`.
pub fn stopped(user: UserId, chat: Chat) -> Outbound {
    Outbound::notice(
        ServerFrame::Typing {
            user_id: user,
            room_id: chat.room(),
            typing: false,
            expires_at: None,
        }
        .to_json(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewals_are_throttled_and_stop_clears() {
        let typing = Typing::default();
        let (bob, room) = (Chat::Direct(UserId(2)), Chat::Room(crate::db::RoomId(3)));
        assert!(typing.start(UserId(1), bob));
        assert!(!typing.start(UserId(1), bob));
        assert!(typing.start(UserId(1), room));
        assert!(typing.stop(UserId(1), bob));
        assert!(!typing.stop(UserId(1), bob));
        assert_eq!(typing.stop_all(UserId(1)), vec![room]);
        assert!(typing.stop_all(UserId(1)).is_empty());
    }
}
