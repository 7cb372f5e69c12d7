// A conversation is named by a key: "user:ID" for a direct conversation with that person,
// "room:ID" for a room. Frames and REST rows map to keys here, and keys back to the fields a
// frame addresses (`recipient_id` or `room_id`).

export function userKey(userId) {
  return `user:${userId}`;
}

export function roomKey(roomId) {
  return `room:${roomId}`;
}

/** { kind: 'user' | 'room', id } */
export function parseKey(key) {
  const [kind, id] = String(key).split(':');
  return { kind, id: Number(id) };
}

export function isRoomKey(key) {
  return String(key).startsWith('room:');
}

/** The conversation of a stream frame or history item (`message`, `edited`, `deleted`, `member`…). */
export function keyOfFrame(frame, myId) {
  if (frame.room_id !== undefined && frame.room_id !== null) return roomKey(frame.room_id);
  return userKey(frame.sender_id === myId ? frame.recipient_id : frame.sender_id);
}

/** The key of a frame I sent (or another tab sent for me): `recipient_id` or `room_id`. */
export function keyOfOutgoing(frame) {
  if (frame.room_id !== undefined && frame.room_id !== null) return roomKey(frame.room_id);
  return userKey(frame.recipient_id ?? frame.peer_id);
}

/** The address fields for a frame to this conversation. */
export function targetOf(key) {
  const { kind, id } = parseKey(key);
  return kind === 'room' ? { room_id: id } : { recipient_id: id };
}
