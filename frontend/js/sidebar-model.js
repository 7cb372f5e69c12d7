// What the sidebar lists: the chats (direct conversations from GET /conversations and the
// messages since, rooms I am in), most recent first, or the people matching a search; its
// heading and what it says when empty.

import * as api from './api.js';
import { parseKey, roomKey, userKey } from './conversation-key.js';

export class SidebarModel {
  #state;
  #labels;
  #onChange;
  #onChatsLoaded;

  /**
   * @param {object} options
   * @param {import('./session-state.js').SessionState} options.state
   * @param {import('./conversation-labels.js').ConversationLabels} options.labels
   * @param {() => void} options.onChange  what the list shows changed
   * @param {() => void} options.onChatsLoaded  GET /conversations answered (unread counts are the server's again)
   */
  constructor({ state, labels, onChange, onChatsLoaded }) {
    this.#state = state;
    this.#labels = labels;
    this.#onChange = onChange;
    this.#onChatsLoaded = onChatsLoaded;
  }

  /** GET /conversations: the list, unread counts and presence. */
  async loadChats() {
    const state = this.#state;
    let rows;
    try {
      rows = await api.fetchConversations();
    } catch (error) {
      if (error.status !== 401 && !state.stopped) console.warn('Could not load conversations', error);
      return;
    }
    if (state.stopped) return;
    for (const { peer, last_message: last, unread_count: unread } of rows) {
      const key = userKey(peer.id);
      state.people.remember(peer);
      state.chats.add(key);
      if (last) state.conversation(key).addStored(last, state.myId);
      state.unread.setFromServer(key, unread ?? 0, last?.id ?? 0);
    }
    state.chats.loaded = true;
    this.#onChatsLoaded();
  }

  /** Fetches the list again if a conversation is with someone this tab knows nothing about. */
  learnNewPeers() {
    if (this.#state.chats.hasStrangers(this.#state.people)) this.loadChats();
  }

  /** A room I am in, from the server: on the list, with its unread count and last message. */
  roomJoined(view) {
    const state = this.#state;
    const key = roomKey(view.id);
    state.chats.add(key);
    if (view.last_message) state.conversation(key).addStored(view.last_message, state.myId);
    state.unread.setFromServer(key, view.unread_count ?? 0, view.last_message?.id ?? 0);
  }

  /** The search box changed: people matching it (GET /users), or the chats again when empty. */
  async search(query) {
    const { people } = this.#state;
    people.query = query;
    this.#onChange();
    if (!people.query) return;
    if (!(await people.refresh()) || this.#state.stopped) return;
    this.#onChange();
  }

  /** What the sidebar shows now: { heading, rows (see SidebarList.render), emptyText }. */
  view() {
    const { people, chats, conversations } = this.#state;
    const searching = people.query !== '';
    const keys = searching
      ? people.list.map((user) => userKey(user.id))
      : chats.byRecency(conversations, (key) => this.#shown(key), (key) => this.#createdAt(key));
    const loaded = searching ? people.loaded : chats.loaded;
    let emptyText = '';
    if (loaded && searching) emptyText = `No one’s name starts with “${people.query}”.`;
    else if (loaded) emptyText = 'No chats yet. Search for someone by name, or create or join a room.';
    return {
      heading: searching ? 'People' : 'Chats',
      rows: keys.map((key) => this.#labels.row(key)),
      emptyText,
    };
  }

  #shown(key) {
    const { kind, id } = parseKey(key);
    if (kind === 'room') return this.#state.rooms.isJoined(id);
    return this.#state.people.has(id) && Boolean(this.#state.conversations.get(key)?.last);
  }

  /** When a room without any loaded activity was made (a new room sorts by it). */
  #createdAt(key) {
    const room = this.#state.rooms.get(parseKey(key).id);
    return room ? Date.parse(room.created_at) || 0 : 0;
  }
}
