// Own messages on their way to the server: sends them when the socket is open, keeps them
// queued when it is not, and matches the server's ack or error to them by client_id.

import { newClientId } from './client-id.js';

const ACK_TIMEOUT_MS = 20_000;

export class Outbox {
  #socket;
  #conversations;
  #onChange;
  #ackTimers = new Map();

  /**
   * @param {object} options
   * @param {import('./socket.js').ChatSocket} options.socket
   * @param {() => Iterable<import('./conversation.js').Conversation>} options.conversations
   * @param {(conversation) => void} options.onChange  a message of this conversation changed state
   */
  constructor({ socket, conversations, onChange }) {
    this.#socket = socket;
    this.#conversations = conversations;
    this.#onChange = onChange;
  }

  /** Adds a new message to `conversation` and sends it if it can. */
  send(conversation, { senderId, content }) {
    const message = conversation.addOutgoing({
      clientId: newClientId(),
      senderId,
      recipientId: conversation.peerId,
      content,
    });
    this.#transmit(message);
    return message;
  }

  retry(clientId) {
    const conversation = this.#find(clientId);
    const message = conversation?.retry(clientId, newClientId());
    if (!message) return;
    this.#transmit(message);
    this.#onChange(conversation);
  }

  /** Sends everything that waited for the connection, oldest first. */
  flush() {
    const queued = [...this.#conversations()]
      .flatMap((conversation) => conversation.unconfirmed())
      .filter((message) => message.status === 'queued')
      .sort((a, b) => a.sequence - b.sequence);
    for (const message of queued) this.#transmit(message);
    for (const conversation of new Set(queued.map((message) => this.#find(message.clientId)))) {
      if (conversation) this.#onChange(conversation);
    }
  }

  /** The server stored a message: true if it was one of ours. */
  acknowledge({ client_id: clientId, message_id: id, created_at: createdAt, delivered }) {
    this.#stopTimer(clientId);
    const conversation = this.#find(clientId);
    if (!conversation) return false;
    conversation.confirm(clientId, { id, createdAt, delivered });
    this.#onChange(conversation);
    return true;
  }

  /** The server refused a message: true if it was one of ours. */
  reject(clientId, reason) {
    this.#stopTimer(clientId);
    if (!this.#find(clientId)) return false;
    this.#fail(clientId, reason);
    return true;
  }

  /** Whether messages in flight reached the server is unknown; a reload after reconnecting tells. */
  connectionLost() {
    for (const clientId of [...this.#ackTimers.keys()]) {
      this.#stopTimer(clientId);
      this.#fail(clientId, 'Connection lost before the server confirmed this message.');
    }
  }

  dispose() {
    for (const timer of this.#ackTimers.values()) clearTimeout(timer);
    this.#ackTimers.clear();
  }

  #transmit(message) {
    const sent = this.#socket.send({
      type: 'message',
      recipient_id: message.recipientId,
      content: message.content,
      client_id: message.clientId,
    });
    if (!sent) return;
    message.status = 'sending';
    const { clientId } = message;
    this.#ackTimers.set(clientId, setTimeout(() => {
      this.#ackTimers.delete(clientId);
      this.#fail(clientId, 'The server did not confirm this message.');
    }, ACK_TIMEOUT_MS));
  }

  #fail(clientId, reason) {
    const conversation = this.#find(clientId);
    const message = conversation?.findOutgoing(clientId);
    if (!message || message.id !== null) return;
    message.status = 'failed';
    message.error = reason;
    this.#onChange(conversation);
  }

  #stopTimer(clientId) {
    clearTimeout(this.#ackTimers.get(clientId));
    this.#ackTimers.delete(clientId);
  }

  #find(clientId) {
    for (const conversation of this.#conversations()) {
      if (conversation.findOutgoing(clientId)) return conversation;
    }
    return null;
  }
}
