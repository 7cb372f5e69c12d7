// What I do to messages: write one to the open conversation (through the outbox), tell it I am
// typing, and edit or delete my own (over REST; the socket tells the other tabs and devices).

import * as api from './api.js';
import { keyOfFrame } from './conversation-key.js';
import { asSentence } from './sentence.js';

export class MessageActions {
  #state;
  #outbox;
  #typingNotifier;
  #composer;
  #toaster;
  #render;

  /**
   * @param {object} options
   * @param {import('./session-state.js').SessionState} options.state
   * @param {import('./outbox.js').Outbox} options.outbox
   * @param {import('./typing.js').TypingNotifier} options.typingNotifier
   * @param {import('./ui/composer.js').Composer} options.composer
   * @param {import('./ui/toast.js').Toaster} options.toaster
   * @param {import('./render-scheduler.js').RenderScheduler} options.render
   */
  constructor({ state, outbox, typingNotifier, composer, toaster, render }) {
    this.#state = state;
    this.#outbox = outbox;
    this.#typingNotifier = typingNotifier;
    this.#composer = composer;
    this.#toaster = toaster;
    this.#render = render;
  }

  /**
   * The composer's text and uploaded files, to the open conversation; false if it cannot take
   * them (nothing open, a room I left).
   */
  send(content, attachments = []) {
    const state = this.#state;
    const key = state.openKey;
    if (key === null || !state.isMember(key)) return false;
    state.chats.add(key);
    this.#outbox.send(state.conversation(key), { senderId: state.myId, content, attachments });
    this.#typingNotifier.sent(key);
    this.#render.schedule({ conversation: 'update', ownMessage: true });
    return true;
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

  /** A message JSON from the REST API (after an edit or delete). */
  #applyStored(raw) {
    const state = this.#state;
    if (!raw || state.stopped) return;
    const conversation = state.conversation(keyOfFrame(raw, state.myId));
    conversation.addStored(raw, state.myId);
    this.#render.changed(conversation.key);
  }
}
