// Which chats I have muted, and until when (GET /conversations and GET /rooms give
// `muted_until`, the `muted` frame keeps every tab in step). A time that has passed is not muted.

export class Mutes {
  // conversation key -> Date
  #until = new Map();

  /** `until`: an RFC 3339 time, or null (not muted). */
  set(key, until) {
    const date = until ? new Date(until) : null;
    if (date && !Number.isNaN(date.getTime())) this.#until.set(key, date);
    else this.#until.delete(key);
  }

  /** Until when `key` is muted, or null. */
  until(key, now = Date.now()) {
    const date = this.#until.get(key);
    return date && date.getTime() > now ? date : null;
  }

  isMuted(key) {
    return this.until(key) !== null;
  }
}
