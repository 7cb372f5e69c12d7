// "typing…": who is typing where (from `typing` frames, each a lease that runs out), and
// telling a conversation that I am typing (at most one frame every few seconds, none while
// idle). Conversations are named by key (see conversation-key.js): in a direct conversation
// the one typing is the peer, in a room any member.

import { targetOf } from './conversation-key.js';

// The server's lease is about 5 s; its expires_at is trusted only within these bounds, so
// a clock that is off between server and browser cannot hide the indicator or pin it.
const FALLBACK_LEASE_MS = 5_500;
const MAX_LEASE_MS = 10_000;
const SEND_EVERY_MS = 3_000;

export class TypingPeers {
  // "key|userId" -> { key, userId, timer }
  #leases = new Map();
  #onChange;

  /** @param {(key: string) => void} onChange  who is typing in this conversation changed */
  constructor(onChange) {
    this.#onChange = onChange;
  }

  isTyping(key) {
    return this.typers(key).length > 0;
  }

  /** The ids of the people typing in this conversation, in the order they started. */
  typers(key) {
    const ids = [];
    for (const lease of this.#leases.values()) if (lease.key === key) ids.push(lease.userId);
    return ids;
  }

  /** Applies a `typing` frame that belongs to conversation `key`. */
  receive(key, { user_id: userId, typing, expires_at: expiresAt }) {
    if (!typing) {
      this.stop(key, userId);
      return;
    }
    let lease = Date.parse(expiresAt) - Date.now();
    if (!(lease > 0 && lease <= MAX_LEASE_MS)) lease = FALLBACK_LEASE_MS;
    const id = leaseId(key, userId);
    const existing = this.#leases.get(id);
    clearTimeout(existing?.timer);
    this.#leases.set(id, { key, userId, timer: setTimeout(() => this.stop(key, userId), lease) });
    if (!existing) this.#onChange(key);
  }

  /** The lease ran out, they cleared it, or their message arrived. */
  stop(key, userId) {
    const id = leaseId(key, userId);
    const lease = this.#leases.get(id);
    if (!lease) return;
    clearTimeout(lease.timer);
    this.#leases.delete(id);
    this.#onChange(key);
  }

  /** Everyone in this conversation (a room I was removed from). */
  stopAll(key) {
    for (const lease of [...this.#leases.values()]) if (lease.key === key) this.stop(key, lease.userId);
  }

  dispose() {
    for (const lease of this.#leases.values()) clearTimeout(lease.timer);
    this.#leases.clear();
  }
}

function leaseId(key, userId) {
  return `${key}|${userId}`;
}

export class TypingNotifier {
  #send;
  #lastSent = new Map();

  /** @param {(frame: object) => boolean} send */
  constructor(send) {
    this.#send = send;
  }

  /** The user changed the text of a new message to conversation `key`. */
  typed(key) {
    const last = this.#lastSent.get(key) ?? 0;
    if (Date.now() - last < SEND_EVERY_MS) return;
    if (this.#send({ type: 'typing', ...targetOf(key) })) this.#lastSent.set(key, Date.now());
  }

  /** A sent message ends the indicator on the server: the next keystroke starts a new one. */
  sent(key) {
    this.#lastSent.delete(key);
  }
}
