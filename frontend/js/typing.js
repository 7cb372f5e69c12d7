// "typing…": who is typing to me (from `typing` frames, each a lease that runs out), and
// telling a peer that I am typing (at most one frame every few seconds, none while idle).

// The server's lease is about 5 s; its expires_at is trusted only within these bounds, so
// a clock that is off between server and browser cannot hide the indicator or pin it.
const FALLBACK_LEASE_MS = 5_500;
const MAX_LEASE_MS = 10_000;
const SEND_EVERY_MS = 3_000;

export class TypingPeers {
  #timers = new Map();
  #onChange;

  /** @param {(userId: number) => void} onChange */
  constructor(onChange) {
    this.#onChange = onChange;
  }

  isTyping(userId) {
    return this.#timers.has(userId);
  }

  /** Applies a `typing` frame. */
  receive({ user_id: userId, typing, expires_at: expiresAt }) {
    if (!typing) {
      this.stop(userId);
      return;
    }
    let lease = Date.parse(expiresAt) - Date.now();
    if (!(lease > 0 && lease <= MAX_LEASE_MS)) lease = FALLBACK_LEASE_MS;
    const wasTyping = this.#timers.has(userId);
    clearTimeout(this.#timers.get(userId));
    this.#timers.set(userId, setTimeout(() => this.stop(userId), lease));
    if (!wasTyping) this.#onChange(userId);
  }

  /** The lease ran out, the peer cleared it, or their message arrived. */
  stop(userId) {
    if (!this.#timers.has(userId)) return;
    clearTimeout(this.#timers.get(userId));
    this.#timers.delete(userId);
    this.#onChange(userId);
  }

  dispose() {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}

export class TypingNotifier {
  #send;
  #lastSent = new Map();

  /** @param {(frame: object) => boolean} send */
  constructor(send) {
    this.#send = send;
  }

  /** The user changed the text of a message to `peerId`. */
  typed(peerId) {
    const last = this.#lastSent.get(peerId) ?? 0;
    if (Date.now() - last < SEND_EVERY_MS) return;
    if (this.#send({ type: 'typing', recipient_id: peerId })) this.#lastSent.set(peerId, Date.now());
  }

  /** A sent message ends the indicator on the server: the next keystroke starts a new one. */
  sent(peerId) {
    this.#lastSent.delete(peerId);
  }
}
