//! Events from other nodes (see `live::bus`), applied to this node's sockets.
//! Room members are resolved here, from the rows this node has routed.

use actix_web::web;

use super::router::Router;
use super::Messaging;
use crate::auth::Revocations;
use crate::db::{Chat, Db};
use crate::live::bus::{Bus, Event};
use crate::live::hub::{Hub, Outbound};
use crate::live::presence;
use crate::live::typing::{self, Typing};

/// What applying an event touches.
pub struct Remote {
    pub db: Db,
    pub hub: web::Data<Hub>,
    pub typing: web::Data<Typing>,
    pub bus: web::Data<Bus>,
    pub revocations: web::Data<Revocations>,
    pub messaging: web::Data<Messaging>,
}

impl Remote {
    /// Applies the event in `payload`, unless this node sent it.
    pub async fn apply(&self, router: &Router, payload: &str) {
        let Some(event) = self.bus.receive(payload) else {
            return;
        };
        match event {
            Event::Notice { users, room, frame } => {
                let mut audience = users;
                if let Some(room) = room {
                    audience.extend(router.members(room).await);
                }
                self.hub.route_all(audience, None, &Outbound::notice(frame));
            }
            Event::Typing {
                user,
                recipient,
                room,
                typing,
            } => {
                let (chat, audience) = match (recipient, room) {
                    (Some(recipient), None) => (Chat::Direct(recipient), vec![recipient]),
                    (None, Some(room)) => {
                        let mut members = router.members(room).await;
                        members.retain(|&member| member != user);
                        (Chat::Room(room), members)
                    }
                    _ => return,
                };
                let frame = if typing {
                    self.typing.heard(user, chat);
                    typing::started(user, chat)
                } else if self.typing.stop(user, chat) {
                    typing::stopped(user, chat)
                } else {
                    return;
                };
                self.hub.route_all(audience, None, &frame);
            }
            Event::Revoked {
                user,
                token_id,
                expires_at,
            } => {
                // Refused first: a client whose socket is closed may reconnect at
                // once.
                self.revocations.remember(&token_id, expires_at);
                self.hub.revoke(user, &token_id);
            }
            Event::Consumed { sends } => self.messaging.sent_elsewhere(&sends),
            Event::Presence { user, last_seen } => {
                presence::announce(&self.db, &self.hub, user, last_seen).await;
            }
        }
    }

    /// What this node may have missed while it was not listening: revocations are
    /// read again (typing and receipts are gone, presence is read when needed).
    pub async fn resync(&self) {
        if let Err(e) = self.revocations.reload(&self.db).await {
            log::warn!("reading revoked tokens again: {e}");
        }
    }
}
