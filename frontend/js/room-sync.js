// Keeps the rooms I am in in step with the server: the list from GET /rooms?joined=true (one
// request at a time), a room's view again after someone else's member event (its member count,
// my role once an owner left), `member` frames, and creating, joining and leaving rooms.
// The session hears what changed through the callbacks and draws it.

import * as api from './api.js';
import { roomKey } from './conversation-key.js';
import { oneAtATime } from './one-at-a-time.js';
import { asSentence } from './sentence.js';

// Server errors that mean "you are not in that room (any more)".
const ROOM_GONE = new Set(['room_not_found', 'not_a_member']);

export class RoomSync {
  #rooms;
  #members;
  #myId;
  #toaster;
  #conversation;
  #on;
  #isStopped;
  #refresh = oneAtATime(() => this.#fetchJoined());

  /**
   * @param {object} options
   * @param {import('./rooms.js').Rooms} options.rooms
   * @param {import('./room-members.js').RoomMembers} options.members
   * @param {number} options.myId
   * @param {import('./ui/toast.js').Toaster} options.toaster
   * @param {(key: string) => import('./conversation.js').Conversation} options.conversation
   * @param {() => boolean} options.isStopped
   * @param {object} options.on  callbacks:
   *   joined(view)      a room I am in, as the server reports it (with its unread count and last message);
   *   gone(roomId, how) I left ('left') or was removed ('removed'), or the list no longer has it (null);
   *   entered(view)     I created or joined a room in this tab;
   *   changed(roomId)   a room's view or history changed;
   *   synced()          the list was fetched.
   */
  constructor({ rooms, members, myId, toaster, conversation, isStopped, on }) {
    this.#rooms = rooms;
    this.#members = members;
    this.#myId = myId;
    this.#toaster = toaster;
    this.#conversation = conversation;
    this.#isStopped = isStopped;
    this.#on = on;
  }

  /** Fetches the rooms I am in; asked again while a fetch runs, one more follows it. */
  refresh() {
    return this.#refresh();
  }

  /** A room message arrived: a room this tab does not know yet (I was just added, or joined elsewhere) is fetched. */
  sawMessage(frame) {
    if (!this.#rooms.isJoined(frame.room_id)) this.refresh();
  }

  /** An error frame or answer: true if it says a room is gone for me (the list is then fetched again). */
  refused(code) {
    if (!ROOM_GONE.has(code)) return false;
    this.refresh();
    return true;
  }

  /** "Carol was added": a line in the room; about me, it changes which rooms I am in. */
  receiveMember(frame) {
    const roomId = frame.room_id;
    this.#conversation(roomKey(roomId)).addStored(frame, this.#myId);
    const aboutMe = frame.user_id === this.#myId;
    if (aboutMe && (frame.action === 'removed' || frame.action === 'left')) {
      if (this.#rooms.isJoined(roomId)) this.#on.gone(roomId, frame.action);
    } else if (aboutMe || !this.#rooms.isJoined(roomId)) {
      // Added or joined (maybe on another device), or a replayed event of a room I am new to.
      this.refresh();
    } else {
      this.#refreshRoom(roomId);
      if (this.#members.openRoomId === roomId) this.#members.load(roomId);
    }
    this.#on.changed(roomId);
  }

  /** Creates a room (throws the ApiError for the dialog to show). */
  async create(name, kind) {
    this.#enter(await api.createRoom(name, kind));
  }

  /** From the room browser: joins a public room if need be (throws the ApiError to show). */
  async join(room) {
    this.#enter(room.joined ? room : await api.joinRoom(room.id));
  }

  /** "Leave room" was confirmed; false if the server refused. */
  async leave(roomId) {
    try {
      await api.leaveRoom(roomId);
    } catch (error) {
      if (error.status !== 401) this.#toaster.show(`Could not leave: ${asSentence(error.message)}`);
      return false;
    }
    this.#on.gone(roomId, 'left');
    return true;
  }

  #enter(view) {
    if (this.#isStopped()) return;
    this.#rooms.remember(view);
    this.#on.joined(view);
    this.#on.entered(view);
  }

  async #fetchJoined() {
    let answer;
    try {
      answer = await this.#rooms.refresh();
    } catch (error) {
      if (error.status !== 401 && !this.#isStopped()) console.warn('Could not load rooms', error);
      return;
    }
    if (this.#isStopped()) return;
    for (const view of answer.views) {
      this.#on.joined(view);
      this.#members.roomChanged(view.id);
    }
    for (const roomId of answer.gone) this.#on.gone(roomId, null);
    this.#on.synced();
  }

  /** GET /rooms/{id}: the member count (and my role: the owner may have left) after a member event. */
  async #refreshRoom(roomId) {
    let view;
    try {
      view = await api.fetchRoom(roomId);
    } catch (error) {
      if (error.status === 404 || error.status === 403) this.refresh();
      return;
    }
    if (this.#isStopped() || !this.#rooms.isJoined(roomId)) return;
    this.#rooms.remember(view);
    this.#members.roomChanged(roomId);
    this.#on.changed(roomId);
  }
}
