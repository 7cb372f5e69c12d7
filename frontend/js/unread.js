// Unread counts per conversation key (see conversation-key.js). The server's count
// (GET /conversations, GET /rooms) covers messages up
// to that conversation's last message then; messages that arrive later are counted by id, so
// a message seen both in the snapshot and as a frame (the offline flush, a replay) counts once.

export class UnreadCounts {
  // conversation key -> { base: count from the server, baseUpTo: newest id it covers, ids: Set of newer ids }
  #byKey = new Map();

  count(key) {
    const entry = this.#byKey.get(key);
    if (!entry) return 0;
    let count = entry.base;
    for (const id of entry.ids) if (id > entry.baseUpTo) count += 1;
    return count;
  }

  get total() {
    let total = 0;
    for (const key of this.#byKey.keys()) total += this.count(key);
    return total;
  }

  /** The server's count; `upTo` is the id of the conversation's last message. */
  setFromServer(key, count, upTo) {
    const entry = this.#entry(key);
    entry.base = count;
    entry.baseUpTo = upTo ?? 0;
    for (const id of entry.ids) if (id <= entry.baseUpTo) entry.ids.delete(id);
  }

  /** A new message from someone else arrived; true if the count changed. */
  add(key, id) {
    const entry = this.#entry(key);
    if (id <= entry.baseUpTo || entry.ids.has(id)) return false;
    entry.ids.add(id);
    return true;
  }

  /** Everything from others up to `upTo` (or everything, without it) has been read. */
  markRead(key, upTo = Infinity) {
    const entry = this.#byKey.get(key);
    if (!entry) return false;
    const before = this.count(key);
    if (upTo >= entry.baseUpTo) entry.base = 0;
    for (const id of entry.ids) if (id <= upTo) entry.ids.delete(id);
    return this.count(key) !== before;
  }

  /** A room I left: its count no longer counts. */
  forget(key) {
    return this.#byKey.delete(key);
  }

  #entry(key) {
    let entry = this.#byKey.get(key);
    if (!entry) {
      entry = { base: 0, baseUpTo: 0, ids: new Set() };
      this.#byKey.set(key, entry);
    }
    return entry;
  }
}
