// The messages of one conversation (direct or room): server messages deduplicated by id, own
// unconfirmed messages keyed by their client_id until the server's ack (or the message itself,
// replayed with its client_id) gives them an id. Rooms also hold member events ("Bob joined"),
// which share the stream's ids and so sort among the messages.

import { applyReactionChange, reactionsOf } from './reactions.js';

export const PAGE_SIZE = 50;
// As the server quotes an original (its first 200 characters).
const PREVIEW_CHARS = 200;

let localSequence = 0;

/**
 * Message fields: key, kind ('message' | 'member'), id (null until acked), clientId, senderId, content,
 * attachments (the server's attachment JSON: id, name, content_type, size, width, height, url,
 * thumbnail_url), createdAt (Date), editedAt (Date|null), deletedAt (Date|null), delivered, read (by the peer),
 * status ('received' | 'sent' | 'queued' | 'sending' | 'failed'), error (text for 'failed'),
 * replyTo ({id, senderId, preview, deleted, attachments} | null), reactions ([{emoji, count, userIds}],
 * see reactions.js), mentions (user ids).
 * Member events: key, kind 'member', id, userId, action ('joined' | 'left' | 'added' | 'removed'),
 * createdAt, senderId null.
 */
export class Conversation {
  #byKey = new Map();
  // The peer has read my messages up to this id (from a `read` frame): applies to messages
  // loaded later too.
  #peerReadUpTo = 0;

  /** @param {string} key "user:ID" or "room:ID" (see conversation-key.js) */
  constructor(key, myId) {
    this.key = key;
    this.myId = myId;
    this.isRoom = key.startsWith('room:');
    this.hasOlder = true;
    // The room's history limit removed older items (rooms only; known once the start is reached).
    this.historyPruned = false;
    this.loadedLatest = false;
    this.loadingOlder = false;
    // After a jump to an old message: the newest id shown (newer ones are not loaded yet, or
    // came in as frames and wait behind the gap), or null when the newest messages are shown.
    this.windowEnd = null;
    this.loadingNewer = false;
  }

  /** Whether a jump left newer messages to load below what is shown. */
  get hasNewer() {
    return this.windowEnd !== null;
  }

  /** What the history shows: all messages, less those beyond the gap a jump left. */
  get visibleMessages() {
    const end = this.windowEnd;
    const all = this.messages;
    return end === null ? all : all.filter((message) => message.id === null || message.id <= end);
  }

  /**
   * A page around a message is shown instead of what is loaded (see history.js loadAround).
   * What was loaded stays (hidden beyond windowEnd unless it joins the page): the list's last
   * message and read marker still see the newest.
   */
  showWindow(rows, myId) {
    for (const row of rows) this.addStored(row, myId);
    this.hasOlder = true;
    this.historyPruned = false;
    this.loadedLatest = true;
    this.windowEnd = rows.length > 0 ? rows[rows.length - 1].id : null;
  }

  /**
   * The page after windowEnd; `end`: it reaches the newest message. A row that was here
   * already joins the page to what stayed loaded above it: no gap is left.
   */
  extendWindow(rows, myId, { end }) {
    let joined = false;
    for (const row of rows) if (!this.addStored(row, myId)) joined = true;
    this.windowEnd = end || joined || rows.length === 0 ? null : rows[rows.length - 1].id;
  }

  /**
   * Back to the newest messages after a jump: the jumped-to page goes, what stayed loaded
   * above it shows again (a catch-up load fills in anything newer).
   */
  backToLatest() {
    const end = this.windowEnd;
    this.windowEnd = null;
    if (end !== null) this.forgetOlderThan(end + 1);
  }

  /** All messages in display order: stored ones by id, then unconfirmed ones by send order. */
  get messages() {
    return [...this.#byKey.values()].sort(compareMessages);
  }

  /** The newest message (member events are not a "last message"). */
  get last() {
    const all = this.messages;
    for (let index = all.length - 1; index >= 0; index -= 1) if (all[index].kind === 'message') return all[index];
    return null;
  }

  /** When something last happened here (a message or member event), or null. */
  get lastActivityAt() {
    const all = this.messages;
    return all[all.length - 1]?.createdAt ?? null;
  }

  get oldestId() {
    let oldest = null;
    for (const message of this.#byKey.values()) {
      if (message.id !== null && (oldest === null || message.id < oldest)) oldest = message.id;
    }
    return oldest;
  }

  /** The newest stored id, or null. */
  get newestId() {
    let newest = null;
    for (const message of this.#byKey.values()) {
      if (message.id !== null && (newest === null || message.id > newest)) newest = message.id;
    }
    return newest;
  }

  /** The newest id of a message someone else sent, or null: what a read marker points at. */
  get newestIncomingId() {
    let newest = null;
    for (const message of this.#byKey.values()) {
      if (message.id !== null && message.kind === 'message' && message.senderId !== this.myId
        && (newest === null || message.id > newest)) {
        newest = message.id;
      }
    }
    return newest;
  }

  /** Adds (or updates) a message from history or a frame; true if it was not here before. */
  addStored(raw, myId) {
    if (raw.type === 'member') return this.#addEvent(raw);
    const key = storedKey(raw.id);
    const existing = this.#byKey.get(key);
    if (existing) {
      this.#applyState(existing, raw);
      return false;
    }
    const pending = raw.client_id && raw.sender_id === myId ? this.findOutgoing(raw.client_id) : null;
    if (pending) this.#byKey.delete(pending.key);

    const message = pending ?? {
      kind: 'message',
      clientId: null,
      senderId: raw.sender_id,
      delivered: false,
      read: false,
      error: null,
      sequence: 0,
    };
    Object.assign(message, {
      key,
      id: raw.id,
      clientId: raw.client_id ?? message.clientId,
      content: raw.content,
      attachments: attachmentsOf(raw) ?? message.attachments ?? [],
      createdAt: new Date(raw.created_at),
      editedAt: null,
      deletedAt: null,
      status: raw.sender_id === myId ? 'sent' : 'received',
      error: null,
      replyTo: replyOf(raw.reply_to) ?? message.replyTo ?? null,
      reactions: [],
      mentions: Array.isArray(raw.mentions) ? raw.mentions : [],
    });
    this.#applyState(message, raw);
    this.#byKey.set(key, message);
    return !pending;
  }

  /** Merges one page from history.js: `{ rows (oldest first), end, pruned }`. */
  mergePage({ rows, end, pruned }, myId, { older }) {
    let added = 0;
    for (const row of rows) if (this.addStored(row, myId)) added += 1;
    if (older || !this.loadedLatest) {
      this.hasOlder = !end;
      this.historyPruned = end && pruned;
    }
    if (!older) this.loadedLatest = true;
    return added;
  }

  /** Forgets stored messages older than `id` (to avoid showing a gap); scrolling up refetches them. */
  forgetOlderThan(id) {
    for (const [key, message] of this.#byKey) {
      if (message.id !== null && message.id < id) this.#byKey.delete(key);
    }
    this.hasOlder = true;
  }

  /**
   * Newer copies of stored messages (e.g. history fetched again for fresh attachment links):
   * they update what is here and add nothing. True if one of them was here.
   */
  refreshStored(rows, myId) {
    let found = false;
    for (const row of rows) {
      if (row.type === 'member' || !this.#byKey.has(storedKey(row.id))) continue;
      this.addStored(row, myId);
      found = true;
    }
    return found;
  }

  addOutgoing({
    clientId, senderId, content, attachments = [], replyTo = null, mentions = [], status = 'queued',
  }) {
    const message = {
      key: pendingKey(clientId),
      kind: 'message',
      id: null,
      clientId,
      senderId,
      conversationKey: this.key,
      content,
      attachments,
      createdAt: new Date(),
      editedAt: null,
      deletedAt: null,
      delivered: false,
      read: false,
      status,
      error: null,
      replyTo,
      reactions: [],
      mentions,
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
      delivered: Boolean(delivered) || id <= this.#peerReadUpTo,
      read: id <= this.#peerReadUpTo,
      status: 'sent',
      error: null,
    });
    this.#byKey.set(key, message);
    return true;
  }

  discard(clientId) {
    return this.#byKey.delete(pendingKey(clientId));
  }

  unconfirmed() {
    return [...this.#byKey.values()].filter((message) => message.id === null);
  }

  /** `delivered` frame: true if one of these ids is here. */
  markDelivered(ids) {
    let changed = false;
    for (const id of ids) {
      const message = this.#byKey.get(storedKey(id));
      if (message && !message.delivered) {
        message.delivered = true;
        changed = true;
      }
    }
    return changed;
  }

  /** The peer read everything I sent up to `upTo`. */
  markReadByPeer(upTo, myId) {
    if (upTo <= this.#peerReadUpTo) return false;
    this.#peerReadUpTo = upTo;
    let changed = false;
    for (const message of this.#byKey.values()) {
      if (message.id !== null && message.id <= upTo && message.senderId === myId && !message.read) {
        message.read = true;
        message.delivered = true;
        changed = true;
      }
    }
    return changed;
  }

  /** `edited` frame; false if the message is not loaded. */
  applyEdit({ message_id: id, content, edited_at: editedAt }) {
    const message = this.#byKey.get(storedKey(id));
    if (!message || message.deletedAt) return false;
    message.content = content;
    message.editedAt = editedAt ? new Date(editedAt) : new Date();
    this.#updateQuotes(id, { preview: quotePreview(content) });
    return true;
  }

  /** `deleted` frame; false if the message is not loaded. */
  applyDelete({ message_id: id, deleted_at: deletedAt }) {
    const message = this.#byKey.get(storedKey(id));
    if (!message) return false;
    message.content = '';
    message.attachments = [];
    message.reactions = [];
    message.deletedAt = deletedAt ? new Date(deletedAt) : new Date();
    this.#updateQuotes(id, { preview: '', deleted: true, attachments: 0 });
    return true;
  }

  /** `reaction` frame; false if the message is not loaded or nothing changed. */
  applyReaction(frame) {
    const message = this.#byKey.get(storedKey(frame.message_id));
    if (!message || message.deletedAt) return false;
    return applyReactionChange(message.reactions, frame);
  }

  // The replies quoting message `id` show what it says now.
  #updateQuotes(id, change) {
    for (const message of this.#byKey.values()) {
      if (message.replyTo?.id === id) message.replyTo = { ...message.replyTo, ...change };
    }
  }

  /** Whether a stored message carries this client_id (it was sent and acked already). */
  hasStoredClientId(clientId) {
    for (const message of this.#byKey.values()) {
      if (message.id !== null && message.clientId === clientId) return true;
    }
    return false;
  }

  /** How a reply to stored message `id` quotes it until the server says (see replyTo). */
  quoteOf(id) {
    const original = this.findStored(id);
    return {
      id,
      senderId: original?.senderId ?? null,
      preview: original ? quotePreview(original.content) : '',
      deleted: Boolean(original?.deletedAt),
      attachments: original?.attachments?.length ?? 0,
    };
  }

  findStored(id) {
    return this.#byKey.get(storedKey(id)) ?? null;
  }

  #addEvent(raw) {
    const key = storedKey(raw.id);
    if (this.#byKey.has(key)) return false;
    this.#byKey.set(key, {
      key,
      kind: 'member',
      id: raw.id,
      senderId: null,
      clientId: null,
      userId: raw.user_id,
      action: raw.action,
      createdAt: new Date(raw.created_at),
      editedAt: null,
      deletedAt: null,
      status: 'received',
    });
    return true;
  }

  // The parts of a stored message that change after it is stored.
  #applyState(message, raw) {
    if (typeof raw.content === 'string' && !message.deletedAt) message.content = raw.content;
    // History rows carry freshly signed links; edits cannot change the files themselves.
    const attachments = attachmentsOf(raw);
    if (attachments && !message.deletedAt) message.attachments = attachments;
    if (raw.edited_at) message.editedAt = new Date(raw.edited_at);
    if (Array.isArray(raw.reactions)) message.reactions = reactionsOf(raw.reactions);
    if (raw.reply_to !== undefined) message.replyTo = replyOf(raw.reply_to);
    if (Array.isArray(raw.mentions)) message.mentions = raw.mentions;
    if (raw.deleted_at) {
      message.deletedAt = new Date(raw.deleted_at);
      message.content = '';
      message.attachments = [];
      message.reactions = [];
    }
    if (raw.delivered === true || raw.delivered_at) message.delivered = true;
    if (raw.read_at || (message.id !== null && message.id <= this.#peerReadUpTo)) {
      if (message.senderId === this.myId) {
        message.read = true;
        message.delivered = true;
      }
    }
  }
}

/** The `reply_to` of a frame or row, in this model's names. */
function replyOf(raw) {
  if (!raw) return null;
  return {
    id: raw.id, senderId: raw.sender_id, preview: raw.preview ?? '', deleted: Boolean(raw.deleted), attachments: raw.attachments ?? 0,
  };
}

/** A frame's or row's attachments, or null when it has none to say (e.g. an `edited` frame). */
function attachmentsOf(raw) {
  return Array.isArray(raw.attachments) ? raw.attachments : null;
}

function quotePreview(content) {
  return [...content].slice(0, PREVIEW_CHARS).join('');
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
