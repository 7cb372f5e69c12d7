// Attachment links are signed and expire (about 24 h after the server wrote them): a tab left
// open for a day holds dead links. When a picture fails to load, the page of history that holds
// its message is fetched again (its rows carry freshly signed links) and redrawn. Each message
// is refreshed at most once in a while, so a file that is really gone costs one request, and
// one page refreshes its neighbours too; the fetches of one conversation go one at a time.

import { refreshAround } from './history.js';

// A message whose links were fetched this recently is not fetched again.
const REFRESH_AGAIN_AFTER_MS = 10 * 60_000;

export class AttachmentLinks {
  #state;
  #render;
  // "key|messageId" → when its links were last fetched.
  #fetchedAt = new Map();
  // conversation key → the end of its queue of fetches.
  #queues = new Map();

  /**
   * @param {import('./session-state.js').SessionState} state
   * @param {import('./render-scheduler.js').RenderScheduler} render
   */
  constructor(state, render) {
    this.#state = state;
    this.#render = render;
  }

  /** A picture of message `messageId` in conversation `key` did not load. Never rejects. */
  refresh(key, messageId) {
    if (messageId === null || key === null) return Promise.resolve();
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.#fetch(key, messageId));
    this.#queues.set(key, next);
    next.then(() => {
      if (this.#queues.get(key) === next) this.#queues.delete(key);
    });
    return next;
  }

  async #fetch(key, messageId) {
    const state = this.#state;
    const fetchedAt = this.#fetchedAt.get(`${key}|${messageId}`) ?? -Infinity;
    if (state.stopped || Date.now() - fetchedAt < REFRESH_AGAIN_AFTER_MS) return;
    const conversation = state.conversation(key);
    try {
      const ids = await refreshAround(conversation, state.myId, messageId);
      const now = Date.now();
      for (const id of [messageId, ...ids]) this.#fetchedAt.set(`${key}|${id}`, now);
    } catch {
      // Offline or refused: the picture shows as unavailable; a later failure asks again.
      return;
    }
    if (!state.stopped) this.#render.changed(key);
  }
}
