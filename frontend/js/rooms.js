// The rooms this tab knows (room views from GET /rooms and the room endpoints) and, per room,
// its members as last fetched. A room shows in the sidebar while I am a member (`joined`).

import * as api from './api.js';

// GET /rooms caps its answer; ask for as many as it gives (rooms I am in only, so public rooms
// I never joined cannot crowd mine out).
const LIST_LIMIT = 200;

export class Rooms {
  /** GET /rooms has answered at least once. */
  loaded = false;
  #byId = new Map();
  #members = new Map();
  // Counts leaves, so that an answer asked for before a leave does not bring the room back.
  #leaves = 0;

  get(id) {
    return this.#byId.get(id) ?? null;
  }

  isJoined(id) {
    return Boolean(this.#byId.get(id)?.joined);
  }

  joined() {
    return [...this.#byId.values()].filter((room) => room.joined);
  }

  /** Takes a room view from the server; returns the stored copy. */
  remember(view) {
    const known = this.#byId.get(view.id);
    if (known) Object.assign(known, view);
    else this.#byId.set(view.id, { ...view });
    return this.#byId.get(view.id);
  }

  /** I left or was removed: the room stays known (an open pane turns read-only) but not joined. */
  markLeft(id) {
    const room = this.#byId.get(id);
    if (!room || !room.joined) return false;
    Object.assign(room, { joined: false, role: null, unread_count: 0, leftAt: ++this.#leaves });
    this.#members.delete(id);
    return true;
  }

  members(id) {
    return this.#members.get(id) ?? null;
  }

  setMembers(id, members) {
    this.#members.set(id, members);
  }

  /**
   * GET /rooms?joined=true: the rooms I am in. A joined room missing from the answer is one I
   * left or was removed from meanwhile; returns the ids of those.
   */
  async refresh() {
    // A room joined while the request runs is not missing from its answer, and one left
    // meanwhile is still in it.
    const joinedBefore = this.joined().map((room) => room.id);
    const leavesBefore = this.#leaves;
    const answer = await api.listRooms({ joined: true, limit: LIST_LIMIT });
    const views = answer.filter((view) => !(this.#byId.get(view.id)?.leftAt > leavesBefore));
    const seen = new Set();
    for (const view of views) {
      this.remember(view);
      seen.add(view.id);
    }
    // Only a short answer is complete: a full one may have cut off rooms I am still in.
    const complete = answer.length < LIST_LIMIT;
    const gone = complete ? joinedBefore.filter((id) => this.isJoined(id) && !seen.has(id)) : [];
    this.loaded = true;
    return { views, gone };
  }
}
