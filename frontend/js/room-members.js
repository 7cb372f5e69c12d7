// The members of rooms: fetched per room (their names name the senders of room messages) and
// shown, for the open room, in the member panel, with adding, removing and leaving.

import * as api from './api.js';
import { asSentence } from './sentence.js';
import { MemberPanel } from './ui/member-panel.js';

export class RoomMembers {
  #rooms;
  #people;
  #myId;
  #toaster;
  #onLeave;
  #onOpenChange;
  #panel;
  #loading = new Map();

  /**
   * @param {object} options
   * @param {HTMLElement} options.node  the .member-panel element
   * @param {import('./rooms.js').Rooms} options.rooms
   * @param {import('./people.js').People} options.people
   * @param {number} options.myId
   * @param {import('./ui/toast.js').Toaster} options.toaster
   * @param {(roomId: number) => Promise<void>} options.onLeave  "Leave room" was confirmed
   * @param {(open: boolean) => void} options.onOpenChange
   */
  constructor({ node, rooms, people, myId, toaster, onLeave, onOpenChange }) {
    this.#rooms = rooms;
    this.#people = people;
    this.#myId = myId;
    this.#toaster = toaster;
    this.#onLeave = onLeave;
    this.#onOpenChange = onOpenChange;
    this.#panel = new MemberPanel(node, {
      onClose: () => this.close(),
      onLeave: () => this.#leave(),
      onAdd: (userId) => this.#add(userId),
      onRemove: (userId) => this.#remove(userId),
      searchUsers: (query) => api.listUsers(query).then((users) => users.map((user) => this.#people.remember(user))),
    });
  }

  /** The room whose panel is open, or null. */
  get openRoomId() {
    return this.#panel.roomId;
  }

  toggle(roomId) {
    if (this.#panel.isOpen) this.close();
    else this.open(roomId);
  }

  open(roomId) {
    const room = this.#rooms.get(roomId);
    if (!room) return;
    this.#panel.render({ room, members: this.#withPresence(this.#rooms.members(roomId)), myId: this.#myId });
    this.#panel.show();
    this.#onOpenChange(true);
    this.load(roomId);
  }

  close() {
    if (!this.#panel.isOpen) return;
    this.#panel.hide();
    this.#onOpenChange(false);
  }

  /** Fetches the members of a room I am in (once at a time); true if they were fetched. */
  async load(roomId) {
    if (!this.#rooms.isJoined(roomId)) return false;
    if (this.#loading.has(roomId)) return this.#loading.get(roomId);
    const loading = this.#fetch(roomId).finally(() => this.#loading.delete(roomId));
    this.#loading.set(roomId, loading);
    return loading;
  }

  /** The room view changed (members, my role): redraw the panel if it shows this room. */
  roomChanged(roomId) {
    if (this.openRoomId !== roomId) return;
    const room = this.#rooms.get(roomId);
    if (!room?.joined) {
      this.close();
      return;
    }
    this.#panel.render({ room, members: this.#withPresence(this.#rooms.members(roomId)), myId: this.#myId });
  }

  /** Presence frames since the fetch are newer than its online flags. */
  #withPresence(members) {
    return members?.map((member) => ({ ...member, online: this.#people.get(member.user_id)?.online ?? member.online })) ?? null;
  }

  async #fetch(roomId) {
    let members;
    try {
      members = await api.fetchRoomMembers(roomId);
    } catch (error) {
      if (error.status !== 401 && error.status !== 404 && error.status !== 403) {
        this.#toaster.show(`Could not load the members: ${asSentence(error.message)}`);
      }
      return false;
    }
    this.#rooms.setMembers(roomId, members);
    for (const member of members) {
      this.#people.remember({ id: member.user_id, username: member.username, online: member.online });
    }
    const room = this.#rooms.get(roomId);
    if (room) room.member_count = members.length;
    this.roomChanged(roomId);
    return true;
  }

  async #add(userId) {
    const roomId = this.openRoomId;
    if (roomId === null) return;
    try {
      await api.addRoomMember(roomId, userId);
      if (this.openRoomId === roomId) this.#panel.clearSearch();
    } catch (error) {
      if (error.status !== 401) this.#toaster.show(`Could not add them: ${asSentence(error.message)}`);
    }
    await this.load(roomId);
  }

  async #remove(userId) {
    const roomId = this.openRoomId;
    if (roomId === null) return;
    try {
      await api.removeRoomMember(roomId, userId);
    } catch (error) {
      if (error.status !== 401) this.#toaster.show(`Could not remove them: ${asSentence(error.message)}`);
    }
    await this.load(roomId);
  }

  async #leave() {
    const roomId = this.openRoomId;
    if (roomId === null) return;
    this.close();
    await this.#onLeave(roomId);
  }
}
