// The people list as last fetched for the current search, and everyone seen so far by id,
// with their presence (online, last_seen) as last reported by a list or a `presence` frame.
// Someone named only by id (a room message's sender, a member event) is looked up in the
// whole directory: GET /users without a search lists every user.

import * as api from './api.js';
import { oneAtATime } from './one-at-a-time.js';

export class People {
  /** The users matching the current query, sorted by the server. */
  list = [];
  loaded = false;
  query = '';
  #known = new Map();
  #request = 0;
  // Ids asked for by lookUp: each is looked up once.
  #lookedUp = new Set();
  #fetchEveryone = oneAtATime(() => this.#loadDirectory());

  get(id) {
    return this.#known.get(id) ?? null;
  }

  has(id) {
    return this.#known.has(id);
  }

  /** Takes a user row from /users or a peer from /conversations. */
  remember(user) {
    const known = this.#known.get(user.id);
    if (known) Object.assign(known, user);
    else this.#known.set(user.id, { ...user });
    return this.#known.get(user.id);
  }

  /** Applies a `presence` frame; false if the user is unknown here or nothing changed. */
  setPresence({ user_id: id, online, last_seen: lastSeen }) {
    const user = this.#known.get(id);
    if (!user) return false;
    if (user.online === online && user.last_seen === lastSeen) return false;
    user.online = online;
    user.last_seen = lastSeen ?? (online ? null : new Date().toISOString());
    return true;
  }

  /**
   * Someone not known here: fetches everyone, once per id (null when this id was asked for
   * before). Resolves true if they are known afterwards.
   */
  /** A person, fetched (with everyone) when not known yet; null if there is no such person. */
  async find(id) {
    if (!this.#known.has(id)) await this.#fetchEveryone();
    return this.get(id);
  }

  lookUp(id) {
    if (this.#known.has(id) || this.#lookedUp.has(id)) return null;
    this.#lookedUp.add(id);
    return this.#fetchEveryone().then(() => this.#known.has(id));
  }

  async #loadDirectory() {
    try {
      for (const user of await api.listUsers()) this.remember(user);
    } catch (error) {
      if (error.status !== 401) console.warn('Could not load people', error);
    }
  }

  /** Fetches the list for the current query; false if the answer was dropped as stale or failed. */
  async refresh() {
    const request = ++this.#request;
    let users;
    try {
      users = await api.listUsers(this.query);
    } catch (error) {
      if (error.status !== 401) console.warn('Could not load people', error);
      return false;
    }
    // An older request answering late must not overwrite a newer search.
    if (request !== this.#request) return false;
    this.list = users.map((user) => this.remember(user));
    this.loaded = true;
    return true;
  }
}
