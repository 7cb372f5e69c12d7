//! Sending committed changes to the sockets that should see them.

use std::collections::HashMap;
use std::sync::Arc;

use bytestring::ByteString;

use super::batch::Written;
use super::rooms::RoomState;
use super::writer::Writer;
use crate::db::messages::Message;
use crate::db::{Chat, RoomId, UserId};
use crate::live::frames::ServerFrame;
use crate::live::hub::{ConnectionId, Outbound, Streamed};
use crate::live::typing;

impl Writer {
    /// Sends a committed change to every socket that should see it; true when a new
    /// direct message reached one of its recipient's sockets.
    /// `rooms`: the batch's view of the rooms it touched, as committed.
    pub(super) fn route(
        &self,
        from: Option<ConnectionId>,
        written: &Written,
        rooms: &HashMap<RoomId, Arc<RoomState>>,
    ) -> bool {
        let hub = &self.hub;
        match written {
            Written::Sent {
                message,
                duplicate: false,
            } => {
                let Some(chat) = message.chat() else {
                    return false;
                };
                let sender = message.sender_id;
                match chat {
                    Chat::Direct(recipient) => {
                        if self.typing.stop(sender, chat) {
                            hub.route(recipient, None, &typing::stopped(sender, chat));
                        }
                        let outbound = stream(message, Some(recipient));
                        // The sender's other devices first: its `delivered` receipt,
                        // which a recipient socket may produce at once on another
                        // thread, then always comes after the copy it is about.
                        hub.route(sender, from, &outbound);
                        hub.route(recipient, None, &outbound) > 0
                    }
                    Chat::Room(room) => {
                        let members = members(rooms, room);
                        if self.typing.stop(sender, chat) {
                            let others = members.iter().copied().filter(|&m| m != sender);
                            hub.route_all(others, None, &typing::stopped(sender, chat));
                        }
                        // No delivery is recorded for rooms: receipts per member
                        // would grow with the square of the room.
                        hub.route_all(members, from, &stream(message, None));
                        self.pruner.notify(room);
                        false
                    }
                }
            }
            Written::Sent {
                message,
                duplicate: true,
            } => message.delivered_at.is_some(),
            Written::Changed { event, .. } => {
                let outbound = stream(event, None);
                match event.chat() {
                    Some(Chat::Direct(recipient)) => {
                        hub.route(event.sender_id, None, &outbound);
                        hub.route(recipient, None, &outbound);
                    }
                    Some(Chat::Room(room)) => {
                        hub.route_all(members(rooms, room), None, &outbound);
                    }
                    None => {}
                }
                false
            }
            Written::Member(event) => {
                if let Some(room) = event.room_id {
                    let mut audience = members(rooms, room);
                    // Someone who left or was removed hears of it too.
                    if !audience.contains(&event.sender_id) {
                        audience.push(event.sender_id);
                    }
                    hub.route_all(audience, None, &stream(event, None));
                }
                false
            }
            Written::RoomCreated { event, .. } => {
                hub.route(event.sender_id, None, &stream(event, None));
                false
            }
            Written::Unchanged(_) | Written::Refused(_) => false,
        }
    }
}

fn stream(row: &Message, delivers: Option<UserId>) -> Outbound {
    Outbound::Stream(Arc::new(Streamed {
        cursor: row.id,
        delivers,
        frame: ByteString::from(ServerFrame::stream(row).to_json()),
    }))
}

fn members(rooms: &HashMap<RoomId, Arc<RoomState>>, room: RoomId) -> Vec<UserId> {
    rooms
        .get(&room)
        .map(|state| state.members.clone())
        .unwrap_or_default()
}
