//! Read receipts: who is told that a reader's marker moved.

use chrono::NaiveDateTime;

use super::bus::{Bus, Event};
use super::frames::ServerFrame;
use super::hub::{ConnectionId, Hub, Outbound};
use crate::db::{MessageId, RoomId, UserId};
use crate::domain::time::utc;

/// `reader` read their conversation with `peer` up to `up_to`: tells the peer and
/// the reader's other sockets (the one at `from` knows already), on every node.
pub fn read_direct(
    hub: &Hub,
    bus: &Bus,
    (reader, from): (UserId, ConnectionId),
    peer: UserId,
    up_to: MessageId,
    at: NaiveDateTime,
) {
    let frame = ServerFrame::Read {
        reader_id: reader,
        peer_id: Some(peer),
        room_id: None,
        up_to,
        at: utc(at),
    }
    .to_json();
    bus.publish(Event::Notice {
        users: vec![peer, reader],
        room: None,
        frame: frame.clone(),
    });
    let frame = Outbound::notice(frame);
    hub.route(peer, None, &frame);
    hub.route(reader, Some(from), &frame);
}

/// `reader` read `room` up to `up_to`: tells every member's sockets, the
/// reader's own included, on every node.
pub fn read_room(
    hub: &Hub,
    bus: &Bus,
    reader: UserId,
    room: RoomId,
    members: Vec<UserId>,
    up_to: MessageId,
    at: NaiveDateTime,
) {
    let frame = ServerFrame::Read {
        reader_id: reader,
        peer_id: None,
        room_id: Some(room),
        up_to,
        at: utc(at),
    }
    .to_json();
    bus.publish(Event::Notice {
        users: Vec::new(),
        room: Some(room),
        frame: frame.clone(),
    });
    hub.route_all(members, None, &Outbound::notice(frame));
}
