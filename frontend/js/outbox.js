// Own messages on their way to the server, sent one at a time so they are stored in the order
// they were written, even when the server asks us to slow down. Each keeps its client_id until
// the server stores it, so resending is always safe: the server answers a repeated client_id
// with the original ack (`duplicate: true`). Every tab keeps the messages written in any tab of
// this browser; only the tab that owns the socket (the leader) transmits them, resends after a
// reconnect, `rate_limited` or `unavailable` (the database is down: nothing was stored), and
// watches for an ack that never comes.

import { newClientId } from './client-id.js';
import { keyOfOutgoing, targetOf } from './conversation-key.js';

const ACK_TIMEOUT_MS = 20_000;

export class Outbox {
  #connection;
  #conversationFor;
  #conversations;
  #onChange;
  #onStalled;
  // The client_id written to the current socket and not answered yet.
  #inFlight = null;
  #ackTimer = null;
  // After `rate_limited` or `unavailable`, nothing is sent until then.
  #pausedUntil = 0;
  #resumeTimer = null;

  /**
   * @param {object} options
   * @param {import('./shared-connection.js').SharedConnection} options.connection
   * @param {(key: string) => import('./conversation.js').Conversation} options.conversationFor  by conversation key
   * @param {() => Iterable<import('./conversation.js').Conversation>} options.conversations
   * @param {(conversation) => void} options.onChange  a message of this conversation changed state
   * @param {() => void} options.onStalled  the socket took a message and never answered
   */
  constructor({ connection, conversationFor, conversations, onChange, onStalled }) {
    this.#connection = connection;
    this.#conversationFor = conversationFor;
    this.#conversations = conversations;
    this.#onChange = onChange;
    this.#onStalled = onStalled;
  }

  /**
   * Adds a new message to `conversation`; the leader sends it when its turn comes.
   * `attachments`: uploaded files (the server's JSON), sent by id; `replyTo`: the quote of the
   * message it answers (see Conversation), sent by id, or null; `mentions`: the ids it mentions,
   * as the server will resolve them (shown until it says).
   */
  send(conversation, {
    senderId, content, attachments = [], replyTo = null, mentions = [],
  }) {
    const message = conversation.addOutgoing({
      clientId: newClientId(),
      senderId,
      content,
      attachments,
      replyTo,
      mentions,
      status: this.#connection.isOpen ? 'sending' : 'queued',
    });
    this.#connection.announce(frameOf(message));
    this.#pump();
    return message;
  }

  /** Another tab of this browser wrote (or retried) a message: keep it here too. */
  observe(frame, senderId) {
    if (!frame.client_id) return;
    const conversation = this.#conversationFor(keyOfOutgoing(frame));
    let message = conversation.findOutgoing(frame.client_id);
    if (!message && conversation.hasStoredClientId(frame.client_id)) return;
    if (!message) {
      message = conversation.addOutgoing({
        clientId: frame.client_id,
        senderId,
        content: frame.content,
        // The frame has only ids: the files show by name once the server has the message.
        attachments: (frame.attachments ?? []).map((id) => ({ id, name: 'Attachment', size: null })),
        replyTo: frame.reply_to ? conversation.quoteOf(frame.reply_to) : null,
      });
    }
    message.status = this.#connection.isOpen ? 'sending' : 'queued';
    message.error = null;
    this.#onChange(conversation);
    this.#pump();
  }

  /** Sends a refused message again, with the same client_id (nothing was stored for it). */
  retry(clientId) {
    const conversation = this.#find(clientId);
    const message = conversation?.findOutgoing(clientId);
    if (!message) return;
    message.status = this.#connection.isOpen ? 'sending' : 'queued';
    message.error = null;
    this.#connection.announce(frameOf(message));
    this.#onChange(conversation);
    this.#pump();
  }

  /** The server sent `ready`: catch-up is over, so waiting messages can go. */
  flush() {
    this.#pump();
  }

  connectionOpened() {
    this.#inFlight = null;
    const waiting = this.#waiting().filter((message) => message.status === 'queued');
    for (const message of waiting) message.status = 'sending';
    this.#changedAll(waiting);
  }

  /** What was in flight waits for the next connection; it is resent with the same client_id. */
  connectionLost() {
    this.#inFlight = null;
    this.#stopAckTimer();
    const waiting = this.#waiting().filter((message) => message.status === 'sending');
    for (const message of waiting) message.status = 'queued';
    this.#changedAll(waiting);
  }

  /** The server stored a message: true if it was one we know. */
  acknowledge({ client_id: clientId, message_id: id, created_at: createdAt, delivered }) {
    if (!clientId) return false;
    const conversation = this.#find(clientId);
    if (conversation) {
      conversation.confirm(clientId, { id, createdAt, delivered });
      this.#onChange(conversation);
    }
    this.#answered(clientId);
    return conversation !== null;
  }

  /** The server refused a message: true if it was one we know. */
  reject({ client_id: clientId, code, retry_after_ms: retryAfterMs }, reason) {
    const conversation = this.#find(clientId);
    const message = conversation?.findOutgoing(clientId);
    if (message && (code === 'rate_limited' || code === 'unavailable')) {
      // Not refused, just too fast or too soon: wait as told, then go on from this message.
      message.status = 'queued';
      if (this.#connection.isLeader) this.#pause(Math.max(100, Number(retryAfterMs) || 1000));
    } else if (message) {
      message.status = 'failed';
      message.error = reason;
    }
    if (message) this.#onChange(conversation);
    this.#answered(clientId);
    return Boolean(message);
  }

  /** A message was confirmed another way (e.g. replayed with its client_id). */
  settled() {
    this.#pump();
  }

  dispose() {
    this.#stopAckTimer();
    clearTimeout(this.#resumeTimer);
  }

  /** The leader writes the oldest waiting message, if none is in flight. */
  #pump() {
    if (!this.#connection.isLeader || !this.#connection.isOpen) return;
    if (this.#inFlight !== null || Date.now() < this.#pausedUntil) return;
    const next = this.#waiting().sort((a, b) => a.sequence - b.sequence)[0];
    if (!next) return;
    if (!this.#connection.send(frameOf(next))) return;
    this.#inFlight = next.clientId;
    if (next.status !== 'sending') {
      next.status = 'sending';
      this.#changedAll([next]);
    }
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = null;
      if (this.#inFlight === next.clientId) this.#onStalled();
    }, ACK_TIMEOUT_MS);
  }

  #answered(clientId) {
    if (clientId !== this.#inFlight) return;
    this.#inFlight = null;
    this.#stopAckTimer();
    this.#pump();
  }

  #pause(ms) {
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + ms);
    clearTimeout(this.#resumeTimer);
    this.#resumeTimer = setTimeout(() => {
      this.#resumeTimer = null;
      this.#pump();
    }, this.#pausedUntil - Date.now());
  }

  #stopAckTimer() {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
  }

  /** Unconfirmed messages that have not been refused. */
  #waiting() {
    return [...this.#conversations()]
      .flatMap((conversation) => conversation.unconfirmed())
      .filter((message) => message.status !== 'failed');
  }

  #changedAll(messages) {
    const conversations = new Set(messages.map((message) => this.#find(message.clientId)));
    for (const conversation of conversations) if (conversation) this.#onChange(conversation);
  }

  #find(clientId) {
    if (!clientId) return null;
    for (const conversation of this.#conversations()) {
      if (conversation.findOutgoing(clientId)) return conversation;
    }
    return null;
  }
}

function frameOf(message) {
  const frame = {
    type: 'message',
    ...targetOf(message.conversationKey),
    content: message.content,
    client_id: message.clientId,
  };
  if (message.attachments.length > 0) frame.attachments = message.attachments.map((attachment) => attachment.id);
  if (message.replyTo) frame.reply_to = message.replyTo.id;
  return frame;
}
