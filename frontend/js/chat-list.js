// The conversations shown in the sidebar (direct ones and joined rooms), most recent first.

import { isRoomKey, parseKey } from './conversation-key.js';

export class ChatList {
  /** GET /conversations has answered at least once. */
  loaded = false;
  #keys = new Set();

  add(key) {
    this.#keys.add(key);
  }

  has(key) {
    return this.#keys.has(key);
  }

  remove(key) {
    this.#keys.delete(key);
  }

  /** Whether a direct conversation on the list is with someone not among `people` yet. */
  hasStrangers(people) {
    return [...this.#keys].some((key) => !isRoomKey(key) && !people.has(parseKey(key).id));
  }

  /**
   * The keys to show, newest activity first; a message still on its way counts as newest.
   * @param {Map<string, import('./conversation.js').Conversation>} conversations
   * @param {(key: string) => boolean} shown  whether the key can be shown (its name is known…)
   * @param {(key: string) => number} since  a time for a conversation without activity (a new room)
   */
  byRecency(conversations, shown, since) {
    const recency = (key) => {
      const conversation = conversations.get(key);
      if (conversation?.last && conversation.last.id === null) return Number.MAX_SAFE_INTEGER;
      return conversation?.lastActivityAt?.getTime() ?? since(key);
    };
    return [...this.#keys]
      .filter(shown)
      .sort((a, b) => recency(b) - recency(a));
  }
}
