// What the screen says about a conversation: its row in the sidebar, its header when open, who
// is typing in it, and the names of room members. A name this tab does not know yet is looked
// up once (then everyone is fetched) and drawn when it arrives.

import { isRoomKey, parseKey } from './conversation-key.js';
import { presenceText } from './ui/presence-text.js';
import { roomSummary, typingText } from './ui/room-text.js';

export class ConversationLabels {
  #state;
  #onNameFound;

  /**
   * @param {import('./session-state.js').SessionState} state
   * @param {() => void} onNameFound  a name asked for while unknown has arrived
   */
  constructor(state, onNameFound) {
    this.#state = state;
    this.#onNameFound = onNameFound;
  }

  /** A person's name, or null while they are unknown here (then everyone is fetched, once). */
  nameOf = (userId) => {
    const { people } = this.#state;
    const name = people.get(userId)?.username;
    if (name !== undefined) return name;
    people.lookUp(userId)?.then((found) => {
      if (found && !this.#state.stopped) this.#onNameFound();
    });
    return null;
  };

  /** "typing…" for a person, "Bob is typing…" for a room, '' when no one is. */
  typingLine(key) {
    const typers = this.#state.typing.typers(key);
    if (typers.length === 0) return '';
    if (!isRoomKey(key)) return 'typing…';
    return typingText(typers.map((userId) => this.nameOf(userId) ?? 'Someone'));
  }

  /** The header for a conversation (see ChatPane.showHeader), or null if its person or room is not known. */
  header(key) {
    const { kind, id } = parseKey(key);
    const typing = this.typingLine(key);
    if (kind === 'room') {
      const room = this.#state.rooms.get(id);
      if (!room) return null;
      return {
        key, name: room.name, isRoom: true, online: false, typing: Boolean(typing),
        status: typing || (room.joined ? roomSummary(room) : 'You are not a member'),
        canShowMembers: room.joined,
        canMute: room.joined,
        mutedUntil: this.#state.mutes.until(key),
      };
    }
    const peer = this.#state.people.get(id);
    if (!peer) return null;
    return {
      key, name: peer.username, isRoom: false, online: peer.online, typing: Boolean(typing),
      status: typing || presenceText(peer), canShowMembers: false,
      canMute: true, mutedUntil: this.#state.mutes.until(key),
    };
  }

  /** One line of the sidebar (see SidebarList.render). */
  row(key) {
    const { people, rooms, unread } = this.#state;
    const { kind, id } = parseKey(key);
    const last = this.#state.conversations.get(key)?.last ?? null;
    const base = {
      key,
      last,
      unread: unread.count(key),
      mentions: unread.mentionCount(key),
      mutedUntil: this.#state.mutes.until(key),
      typing: this.typingLine(key),
    };
    if (kind === 'room') {
      const room = rooms.get(id);
      let lastSender = null;
      if (last) lastSender = last.senderId === this.#state.myId ? 'You' : this.nameOf(last.senderId);
      return {
        ...base,
        name: room?.name ?? 'Room',
        isRoom: true,
        isPrivate: room?.kind === 'private',
        status: room ? roomSummary(room) : '',
        lastSender,
        receipts: false,
      };
    }
    const user = people.get(id);
    return {
      ...base,
      name: user?.username ?? '',
      isRoom: false,
      online: user?.online,
      status: user ? presenceText(user) : '',
      lastSender: null,
      receipts: true,
    };
  }
}
