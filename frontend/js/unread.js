// Unread counts per conversation key (see conversation-key.js). The server's count
// (GET /conversations, GET /rooms) covers messages up
// to that conversation's last message then; messages that arrive later are counted by id, so
// a message seen both in the snapshot and as a frame (the offline flush, a replay) counts once.
// Unread messages that mention me (rooms' `mention_count`) are counted the same way.

export class UnreadCounts {
  // conversation key -> { base: count from the server, mentionBase: its mention count, baseUpTo:
  // newest id they cover, ids: Map of newer ids -> whether that message mentions me }
  #byKey = new Map();

  count(key) {
    const entry = this.#byKey.get(key);
    if (!entry) return 0;
    let count = entry.base;
    for (const id of entry.ids.keys()) if (id > entry.baseUpTo) count += 1;
    return count;
  }

  /** Unread messages that mention me. */
  mentionCount(key) {
    const entry = this.#byKey.get(key);
    if (!entry) return 0;
    let count = entry.mentionBase;
    for (const [id, mentionsMe] of entry.ids) if (mentionsMe && id > entry.baseUpTo) count += 1;
    return count;
  }

  /** The count over the conversations `include(key)` accepts (all, without it). */
  total(include = () => true) {
    let total = 0;
    for (const key of this.#byKey.keys()) if (include(key)) total += this.count(key);
    return total;
  }

  /** The server's counts; `upTo` is the id of the conversation's last message. */
  setFromServer(key, count, upTo, mentions = 0) {
    const entry = this.#entry(key);
    entry.base = count;
    entry.mentionBase = mentions;
    entry.baseUpTo = upTo ?? 0;
    for (const id of entry.ids.keys()) if (id <= entry.baseUpTo) entry.ids.delete(id);
  }

  /** A new message from someone else arrived; true if the count changed. */
  add(key, id, { mentionsMe = false } = {}) {
    const entry = this.#entry(key);
    if (id <= entry.baseUpTo || entry.ids.has(id)) return false;
    entry.ids.set(id, mentionsMe);
    return true;
  }

  /** Everything from others up to `upTo` (or everything, without it) has been read. */
  markRead(key, upTo = Infinity) {
    const entry = this.#byKey.get(key);
    if (!entry) return false;
    const before = this.count(key);
    if (upTo >= entry.baseUpTo) {
      entry.base = 0;
      entry.mentionBase = 0;
    }
    for (const id of entry.ids.keys()) if (id <= upTo) entry.ids.delete(id);
    return this.count(key) !== before;
  }

  /** A room I left: its count no longer counts. */
  forget(key) {
    return this.#byKey.delete(key);
  }

  #entry(key) {
    let entry = this.#byKey.get(key);
    if (!entry) {
      entry = { base: 0, mentionBase: 0, baseUpTo: 0, ids: new Map() };
      this.#byKey.set(key, entry);
    }
    return entry;
  }
}
