// One render for many changes: whatever changes state asks for a render, and the screen is drawn
// once, after the current task's changes are all in. A microtask rather than an animation frame:
// a hidden tab gets no animation frames, yet its title (the unread count) and list must follow,
// and the DOM is current again before the next event, timer or test looks at it.

// A conversation asked to render several ways renders the strongest way: a reset (just opened)
// scrolls to the bottom anyway, a jump shows its message, and a prepend or append keeps the
// reader's place whatever else came in.
const STRENGTH = {
  update: 1, append: 2, prepend: 3, jump: 4, reset: 5,
};

export class RenderScheduler {
  #draw;
  #openKey;
  #queued = false;
  #disposed = false;
  #conversation = null;
  #ownMessage = false;

  /**
   * @param {(parts: {conversation: 'update'|'append'|'prepend'|'jump'|'reset'|null, ownMessage: boolean}) => void} draw
   *   draws the sidebar and the open conversation's header, and its history when `conversation`
   *   names how (see MessageList.render)
   * @param {() => string|null} openKey  the open conversation's key
   */
  constructor(draw, openKey) {
    this.#draw = draw;
    this.#openKey = openKey;
  }

  /**
   * Asks for a render; `conversation` also redraws the open conversation's history that way,
   * `ownMessage` (I just sent one) follows it to the bottom.
   */
  schedule({ conversation = null, ownMessage = false } = {}) {
    if (conversation !== null && (STRENGTH[conversation] ?? 0) > (STRENGTH[this.#conversation] ?? 0)) {
      this.#conversation = conversation;
    }
    this.#ownMessage ||= ownMessage;
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => this.#flush());
  }

  /** Something in conversation `key` changed: the list is redrawn, and its history too if it is the open one. */
  changed(key, mode = 'update') {
    this.schedule({ conversation: key === this.#openKey() ? mode : null });
  }

  /** The session ended: nothing more is drawn (a late render would put the unread count back in the title). */
  dispose() {
    this.#disposed = true;
  }

  #flush() {
    const parts = { conversation: this.#conversation, ownMessage: this.#ownMessage };
    this.#queued = false;
    this.#conversation = null;
    this.#ownMessage = false;
    if (!this.#disposed) this.#draw(parts);
  }
}
