// What the sidebar lists: the chats (direct conversations from GET /conversations and the
// messages since, rooms I am in), most recent first, or while searching the chats and people
// matching it; its headings and what it says when empty.

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
    for (const { peer, last_message: last, unread_count: unread, muted_until: mutedUntil } of rows) {
      const key = userKey(peer.id);
      state.people.remember(peer);
      state.chats.add(key);
      if (last) state.conversation(key).addStored(last, state.myId);
      state.unread.setFromServer(key, unread ?? 0, last?.id ?? 0);
      state.mutes.set(key, mutedUntil ?? null);
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
    state.unread.setFromServer(key, view.unread_count ?? 0, view.last_message?.id ?? 0, view.mention_count ?? 0);
    state.mutes.set(key, view.muted_until ?? null);
  }

  /** The search box changed: people matching it (GET /users) too, or just the chats again when empty. */
  async search(query) {
    const { people } = this.#state;
    people.query = query;
    this.#onChange();
    if (!people.query) return;
    if (!(await people.refresh()) || this.#state.stopped) return;
    this.#onChange();
  }

  /**
   * What the sidebar shows now: { sections: [{ id, heading, rows }], emptyText } (rows: see
   * SidebarList.render). While searching: the chats whose name has the query in it, then the
   * people whose name starts with it who are not among those chats.
   */
  view() {
    const { people, chats, conversations } = this.#state;
    const chatKeys = chats.byRecency(conversations, (key) => this.#shown(key), (key) => this.#createdAt(key));
    const rowsOf = (keys) => keys.map((key) => this.#labels.row(key));
    if (people.query === '') {
      return {
        sections: [{ id: 'chats', heading: 'Chats', rows: rowsOf(chatKeys) }],
        emptyText: chats.loaded ? 'No chats yet. Search for someone by name, or create or join a room.' : '',
      };
    }
    const query = people.query.toLocaleLowerCase();
    const chatRows = rowsOf(chatKeys).filter((row) => row.name.toLocaleLowerCase().includes(query));
    const inChats = new Set(chatRows.map((row) => row.key));
    const personKeys = people.list.map((user) => userKey(user.id)).filter((key) => !inChats.has(key));
    return {
      sections: [
        { id: 'chats', heading: 'Chats', rows: chatRows },
        { id: 'people', heading: 'People', rows: rowsOf(personKeys) },
      ],
      emptyText: people.loaded ? `No chat or person matches “${people.query}”.` : '',
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
