// What a signed-in tab knows, shared by the parts of the session: me, the people and rooms seen,
// the chats on the list, each conversation's history, unread counts, mutes, who is typing, and which
// conversation is open (changed by navigation.js only). Conversations are named by key,
// "user:ID" or "room:ID" (conversation-key.js).

import { ChatList } from './chat-list.js';
import { Conversation } from './conversation.js';
import { isRoomKey, parseKey } from './conversation-key.js';
import { Mutes } from './mutes.js';
import { People } from './people.js';
import { Rooms } from './rooms.js';
import { TypingPeers } from './typing.js';
import { UnreadCounts } from './unread.js';

export class SessionState {
  /** { id, username } */
  me;
  people = new People();
  rooms = new Rooms();
  /** Direct conversations (from GET /conversations and messages since) and joined rooms. */
  chats = new ChatList();
  unread = new UnreadCounts();
  /** The chats I muted (mutes.js). */
  mutes = new Mutes();
  typing;
  /** The open conversation's key, or null. */
  openKey = null;
  /** The session ended: late answers and frames are dropped. */
  stopped = false;
  /** key -> Conversation; made by conversation(key). */
  conversations = new Map();

  /** @param {(key: string) => void} onTypingChanged  who is typing in conversation `key` changed */
  constructor(me, { onTypingChanged }) {
    this.me = me;
    this.typing = new TypingPeers(onTypingChanged);
  }

  get myId() {
    return this.me.id;
  }

  /** The conversation of `key`, created empty the first time. */
  conversation(key) {
    let conversation = this.conversations.get(key);
    if (!conversation) {
      conversation = new Conversation(key, this.me.id);
      this.conversations.set(key, conversation);
    }
    return conversation;
  }

  isOpen(key) {
    return key === this.openKey;
  }

  /** Whether I take part in a conversation (can write and mark it read): always in a direct one, in a room while a member. */
  isMember(key) {
    return !isRoomKey(key) || this.rooms.isJoined(parseKey(key).id);
  }
}
