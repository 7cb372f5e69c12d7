//! Read receipts: who is told that a reader's marker moved.

use chrono::NaiveDateTime;

use super::frames::ServerFrame;
use super::hub::{ConnectionId, Hub, Outbound};
use crate::db::{MessageId, RoomId, UserId};
use crate::domain::time::utc;

/// `reader` read their conversation with `peer` up to `up_to`: tells the peer and
/// the reader's other sockets (the one at `from` knows already).
pub fn read_direct(
    hub: &Hub,
    reader: UserId,
    from: ConnectionId,
    peer: UserId,
    up_to: MessageId,
    at: NaiveDateTime,
) {
    let frame = Outbound::notice(
        ServerFrame::Read {
            reader_id: reader,
            peer_id: Some(peer),
            room_id: None,
            up_to,
            at: utc(at),
        }
        .to_json(),
    );
    hub.route(peer, None, &frame);
    hub.route(reader, Some(from), &frame);
}

/// `reader` read `room` up to `up_to`: tells every member's sockets, the
/// reader's own included.
pub fn read_room(
    hub: &Hub,
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
    };
    hub.route_all(members, None, &Outbound::notice(frame.to_json()));
}
