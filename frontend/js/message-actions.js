// What I do to messages: write one to the open conversation (through the outbox), maybe as a
// reply, tell it I am typing, react (a `react` frame, or REST while the socket is down), copy
// a message's text, and edit or delete my own (over REST; the socket tells the other tabs and
// devices).

import * as api from './api.js';
import { keyOfFrame } from './conversation-key.js';
import { mentionedIds } from './mentions.js';
import { hasReacted, reactionsOf } from './reactions.js';
import { asSentence } from './sentence.js';
import { quoteText } from './ui/reply-quote.js';

export class MessageActions {
  #state;
  #outbox;
  #typingNotifier;
  #composer;
  #toaster;
  #render;
  #connection;
  #nameOf;
  #members;

  /**
   * @param {object} options
   * @param {import('./session-state.js').SessionState} options.state
   * @param {import('./outbox.js').Outbox} options.outbox
   * @param {import('./typing.js').TypingNotifier} options.typingNotifier
   * @param {import('./ui/composer.js').Composer} options.composer
   * @param {import('./ui/toast.js').Toaster} options.toaster
   * @param {import('./render-scheduler.js').RenderScheduler} options.render
   * @param {import('./shared-connection.js').SharedConnection} options.connection
   * @param {(userId: number) => string|null} options.nameOf
   * @param {() => Array<{id: number, username: string}>|null} options.members  the open room's
   *   other members (null outside rooms)
   */
  constructor({
    state, outbox, typingNotifier, composer, toaster, render, connection, nameOf, members,
  }) {
    this.#state = state;
    this.#outbox = outbox;
    this.#typingNotifier = typingNotifier;
    this.#composer = composer;
    this.#toaster = toaster;
    this.#render = render;
    this.#connection = connection;
    this.#nameOf = nameOf;
    this.#members = members;
  }

  /**
   * The composer's text and uploaded files, to the open conversation; false if it cannot take
   * them (nothing open, a room I left).
   */
  send(content, attachments = [], replyToId = null) {
    const state = this.#state;
    const key = state.openKey;
    if (key === null || !state.isMember(key)) return false;
    state.chats.add(key);
    const conversation = state.conversation(key);
    const replyTo = replyToId === null ? null : conversation.quoteOf(replyToId);
    const members = this.#members();
    const mentions = members ? mentionedIds(content, members) : [];
    this.#outbox.send(conversation, {
      senderId: state.myId, content, attachments, replyTo, mentions,
    });
    this.#typingNotifier.sent(key);
    this.#render.schedule({ conversation: 'update', ownMessage: true });
    return true;
  }

  /** The message's menu, as it should read: null if there is no such message open. */
  describe(id) {
    const message = this.#openMessage(id);
    if (!message || message.deletedAt) return null;
    const reacted = new Set(message.reactions.filter((r) => r.userIds.includes(this.#state.myId)).map((r) => r.emoji));
    return { mine: message.senderId === this.#state.myId, content: message.content, reacted };
  }

  /** "Reply" in a message's menu (or a swipe): the composer quotes it. */
  startReply(id) {
    const message = this.#openMessage(id);
    if (!message || message.deletedAt) return;
    const mine = message.senderId === this.#state.myId;
    const name = mine ? 'yourself' : (this.#nameOf(message.senderId) ?? 'Someone');
    const conversation = this.#state.conversation(this.#state.openKey);
    this.#composer.startReply({ id, name, text: quoteText(conversation.quoteOf(id), message) });
  }

  /** Toggles my reaction `emoji` on a message of the open conversation. */
  async toggleReaction(id, emoji) {
    const message = this.#openMessage(id);
    if (!message || message.deletedAt) return;
    const on = !hasReacted(message.reactions, emoji, this.#state.myId);
    if (this.#connection.isOpen && this.#connection.send({ type: 'react', message_id: id, emoji, on })) return;
    try {
      const { reactions } = await api.setReaction(id, emoji, on);
      const conversation = this.#state.conversation(this.#state.openKey);
      const current = conversation.findStored(id);
      if (current) current.reactions = reactionsOf(reactions);
      this.#render.changed(conversation.key);
    } catch (error) {
      if (error.status !== 401) this.#toaster.show(`Could not react: ${asSentence(error.message)}`);
    }
  }

  async copy(id) {
    const message = this.#openMessage(id);
    if (!message?.content) return;
    try {
      await navigator.clipboard.writeText(message.content);
      this.#toaster.show('Copied.');
    } catch {
      this.#toaster.show('Could not copy: this browser did not allow it.');
    }
  }

  typed() {
    if (this.#state.openKey !== null) this.#typingNotifier.typed(this.#state.openKey);
  }

  /** "Edit" in my message's menu: its text goes into the composer. */
  startEdit(id) {
    const { openKey } = this.#state;
    const message = openKey === null ? null : this.#state.conversation(openKey).findStored(id);
    if (message && !message.deletedAt) this.#composer.startEdit({ id, content: message.content });
  }

  async edit(id, content) {
    try {
      this.#applyStored(await api.editMessage(id, content));
    } catch (error) {
      if (error.status !== 401) this.#toaster.show(`Could not edit the message: ${asSentence(error.message)}`);
    }
  }

  async delete(id) {
    if (this.#composer.editingId === id) this.#composer.cancelEdit();
    try {
      this.#applyStored(await api.deleteMessage(id));
    } catch (error) {
      if (error.status !== 401) this.#toaster.show(`Could not delete the message: ${asSentence(error.message)}`);
    }
  }

  #openMessage(id) {
    const { openKey } = this.#state;
    return openKey === null ? null : this.#state.conversation(openKey).findStored(id);
  }

  /** A message JSON from the REST API (after an edit or delete). */
  #applyStored(raw) {
    const state = this.#state;
    if (!raw || state.stopped) return;
    const conversation = state.conversation(keyOfFrame(raw, state.myId));
    conversation.addStored(raw, state.myId);
    this.#render.changed(conversation.key);
  }
}
