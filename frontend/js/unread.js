// Unread counts per conversation. The server's count (GET /conversations) covers messages up
// to that conversation's last message then; messages that arrive later are counted by id, so
// a message seen both in the snapshot and as a frame (the offline flush, a replay) counts once.

export class UnreadCounts {
  // peer id -> { base: count from the server, baseUpTo: newest id it covers, ids: Set of newer ids }
  #byPeer = new Map();

  count(peerId) {
    const entry = this.#byPeer.get(peerId);
    if (!entry) return 0;
    let count = entry.base;
    for (const id of entry.ids) if (id > entry.baseUpTo) count += 1;
    return count;
  }

  get total() {
    let total = 0;
    for (const peerId of this.#byPeer.keys()) total += this.count(peerId);
    return total;
  }

  /** The server's count; `upTo` is the id of the conversation's last message. */
  setFromServer(peerId, count, upTo) {
    const entry = this.#entry(peerId);
    entry.base = count;
    entry.baseUpTo = upTo ?? 0;
    for (const id of entry.ids) if (id <= entry.baseUpTo) entry.ids.delete(id);
  }

  /** A new message from the peer arrived; true if the count changed. */
  add(peerId, id) {
    const entry = this.#entry(peerId);
    if (id <= entry.baseUpTo || entry.ids.has(id)) return false;
    entry.ids.add(id);
    return true;
  }

  /** Everything from the peer up to `upTo` (or everything, without it) has been read. */
  markRead(peerId, upTo = Infinity) {
    const entry = this.#byPeer.get(peerId);
    if (!entry) return false;
    const before = this.count(peerId);
    if (upTo >= entry.baseUpTo) entry.base = 0;
    for (const id of entry.ids) if (id <= upTo) entry.ids.delete(id);
    return this.count(peerId) !== before;
  }

  #entry(peerId) {
    let entry = this.#byPeer.get(peerId);
    if (!entry) {
      entry = { base: 0, baseUpTo: 0, ids: new Set() };
      this.#byPeer.set(peerId, entry);
    }
    return entry;
  }
}
