// The messages of one conversation: server messages deduplicated by id, own unconfirmed
// messages keyed by their client_id until the server's ack gives them an id.

export const PAGE_SIZE = 50;

// An unconfirmed message and a stored one with the same text are taken to be the same
// message when the stored one is no older than this before the local send.
const RECONCILE_WINDOW_MS = 2 * 60_000;

let localSequence = 0;

/**
 * Message fields: key, id (null until acked), clientId, senderId, recipientId, content,
 * createdAt (Date), delivered, status ('received' | 'sent' | 'queued' | 'sending' | 'failed'),
 * error (text for 'failed').
 */
export class Conversation {
  #byKey = new Map();

  constructor(peerId) {
    this.peerId = peerId;
    this.hasOlder = true;
    this.loadedLatest = false;
    this.loadingOlder = false;
  }

  /** All messages in display order: stored ones by id, then unconfirmed ones by send order. */
  get messages() {
    return [...this.#byKey.values()].sort(compareMessages);
  }

  get last() {
    const all = this.messages;
    return all[all.length - 1] ?? null;
  }

  get oldestId() {
    let oldest = null;
    for (const message of this.#byKey.values()) {
      if (message.id !== null && (oldest === null || message.id < oldest)) oldest = message.id;
    }
    return oldest;
  }

  /** Adds a message from history or a socket frame; false if it was already here. */
  addStored(raw, myId) {
    const key = storedKey(raw.id);
    if (this.#byKey.has(key)) {
      const existing = this.#byKey.get(key);
      if (typeof raw.delivered === 'boolean') existing.delivered = raw.delivered;
      return false;
    }
    this.#byKey.set(key, {
      key,
      id: raw.id,
      clientId: null,
      senderId: raw.sender_id,
      recipientId: raw.recipient_id,
      content: raw.content,
      createdAt: new Date(raw.created_at),
      delivered: raw.delivered ?? false,
      status: raw.sender_id === myId ? 'sent' : 'received',
      error: null,
      sequence: 0,
    });
    return true;
  }

  /** Merges one page from the history endpoint (oldest first). */
  mergePage(rows, myId, { older }) {
    let added = 0;
    for (const row of rows) if (this.addStored(row, myId)) added += 1;
    if (older || !this.loadedLatest) this.hasOlder = rows.length >= PAGE_SIZE;
    if (!older) {
      this.loadedLatest = true;
      this.#reconcileUnconfirmed(myId);
    }
    return added;
  }

  /** The newest stored id, or null. */
  get newestId() {
    let newest = null;
    for (const message of this.#byKey.values()) {
      if (message.id !== null && (newest === null || message.id > newest)) newest = message.id;
    }
    return newest;
  }

  /** Forgets stored messages older than `id` (to avoid showing a gap); scrolling up refetches them. */
  forgetOlderThan(id) {
    for (const [key, message] of this.#byKey) {
      if (message.id !== null && message.id < id) this.#byKey.delete(key);
    }
    this.hasOlder = true;
  }

  addOutgoing({ clientId, senderId, recipientId, content }) {
    const message = {
      key: pendingKey(clientId),
      id: null,
      clientId,
      senderId,
      recipientId,
      content,
      createdAt: new Date(),
      delivered: false,
      status: 'queued',
      error: null,
      sequence: ++localSequence,
    };
    this.#byKey.set(message.key, message);
    return message;
  }

  findOutgoing(clientId) {
    return this.#byKey.get(pendingKey(clientId)) ?? null;
  }

  /** The server stored our message: it now has an id (and may already be here from history). */
  confirm(clientId, { id, createdAt, delivered }) {
    const message = this.findOutgoing(clientId);
    if (!message) return false;
    this.#byKey.delete(message.key);
    const key = storedKey(id);
    if (this.#byKey.has(key)) return true;
    Object.assign(message, {
      key,
      id,
      createdAt: createdAt ? new Date(createdAt) : message.createdAt,
      delivered: Boolean(delivered),
      status: 'sent',
      error: null,
    });
    this.#byKey.set(key, message);
    return true;
  }

  /** Moves a failed message back to the outbox with a fresh client_id. */
  retry(clientId, newClientId) {
    const message = this.findOutgoing(clientId);
    if (!message) return null;
    this.#byKey.delete(message.key);
    Object.assign(message, {
      key: pendingKey(newClientId),
      clientId: newClientId,
      createdAt: new Date(),
      status: 'queued',
      error: null,
      sequence: ++localSequence,
    });
    this.#byKey.set(message.key, message);
    return message;
  }

  discard(clientId) {
    return this.#byKey.delete(pendingKey(clientId));
  }

  unconfirmed() {
    return [...this.#byKey.values()].filter((message) => message.id === null);
  }

  // After a dropped connection we cannot know whether a sent-but-unacked message was stored.
  // If the latest page holds our own message with the same text, sent around that time, it was.
  #reconcileUnconfirmed(myId) {
    const claimed = new Set();
    for (const pending of this.unconfirmed()) {
      if (pending.status !== 'failed' && pending.status !== 'sending') continue;
      const match = [...this.#byKey.values()].find((stored) =>
        stored.id !== null
        && !claimed.has(stored.id)
        && stored.senderId === myId
        && stored.content === pending.content
        && stored.createdAt.getTime() >= pending.createdAt.getTime() - RECONCILE_WINDOW_MS);
      if (match) {
        claimed.add(match.id);
        this.#byKey.delete(pending.key);
      }
    }
  }
}

function storedKey(id) {
  return `m${id}`;
}

function pendingKey(clientId) {
  return `c${clientId}`;
}

function compareMessages(a, b) {
  if (a.id !== null && b.id !== null) return a.id - b.id;
  if (a.id !== null) return -1;
  if (b.id !== null) return 1;
  return a.sequence - b.sequence;
}
