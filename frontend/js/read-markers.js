// The read markers this tab sends: how far I have read each conversation, sent once per
// position (markers only move forward on the server). A direct conversation's marker is the
// newest message from the peer; a room's is the newest row shown (the server clamps it to the
// room's newest row), sent once something from someone else is new.

import { parseKey } from './conversation-key.js';

export class ReadMarkers {
  // conversation key -> the id last sent (by this tab, another tab or another device)
  #sent = new Map();
  #send;

  /** @param {(frame: object) => boolean} send  false if the frame could not go out */
  constructor(send) {
    this.#send = send;
  }

  /** Sends the marker for a conversation being looked at, if it moved; true if sent. */
  send(conversation) {
    const { key } = conversation;
    const incoming = conversation.newestIncomingId;
    if (incoming === null || incoming <= (this.#sent.get(key) ?? 0)) return false;
    const { kind, id } = parseKey(key);
    const frame = kind === 'room'
      ? { type: 'read', room_id: id, up_to: conversation.newestId }
      : { type: 'read', peer_id: id, up_to: incoming };
    if (!this.#send(frame)) return false;
    this.#sent.set(key, frame.up_to);
    return true;
  }

  /** Another tab or device sent a marker for me. */
  observe(key, upTo) {
    this.#sent.set(key, Math.max(upTo, this.#sent.get(key) ?? 0));
  }

  /** A room I left: a later rejoin starts afresh. */
  forget(key) {
    this.#sent.delete(key);
  }

  /** A new socket: markers go again. */
  reset() {
    this.#sent.clear();
  }
}
