// The people list as last fetched for the current search, and everyone seen so far by id.

import * as api from './api.js';

export class People {
  /** The users matching the current query, sorted by the server. */
  list = [];
  loaded = false;
  query = '';
  #known = new Map();
  #request = 0;

  get(id) {
    return this.#known.get(id) ?? null;
  }

  has(id) {
    return this.#known.has(id);
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
    this.list = users;
    this.loaded = true;
    for (const user of users) this.#known.set(user.id, user);
    return true;
  }
}
