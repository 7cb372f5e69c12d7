// The people I have a conversation with: the sidebar's list, most recent first.

export class ChatList {
  /** GET /conversations has answered at least once. */
  loaded = false;
  #peers = new Set();

  add(peerId) {
    this.#peers.add(peerId);
  }

  /** Whether someone on the list is not among `people` yet (their name is needed). */
  hasStrangers(people) {
    return [...this.#peers].some((peerId) => !people.has(peerId));
  }

  /**
   * The users to show, newest last message first; a message still on its way counts as newest.
   * @param {Map<number, import('./conversation.js').Conversation>} conversations
   * @param {import('./people.js').People} people
   */
  byRecency(conversations, people) {
    const recency = (peerId) => conversations.get(peerId).last.id ?? Number.MAX_SAFE_INTEGER;
    return [...this.#peers]
      .filter((peerId) => people.has(peerId) && conversations.get(peerId)?.last)
      .sort((a, b) => recency(b) - recency(a))
      .map((peerId) => people.get(peerId));
  }
}
