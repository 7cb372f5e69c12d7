// Half-typed messages, kept per chat on this device (localStorage) so that switching chats or
// reloading does not lose them. Keyed by user and chat; all of a user's go at logout.

const PREFIX = 'parley.draft.';

export class Drafts {
  #prefix;

  constructor(myId) {
    this.#prefix = `${PREFIX}${myId}.`;
  }

  load(chatKey) {
    try {
      return localStorage.getItem(this.#prefix + chatKey) ?? '';
    } catch {
      return '';
    }
  }

  save(chatKey, text) {
    try {
      if (text.trim()) localStorage.setItem(this.#prefix + chatKey, text);
      else localStorage.removeItem(this.#prefix + chatKey);
    } catch {
      // Storage full or blocked: the draft lives only as long as the page.
    }
  }
}

/** Logging out: no draft of anyone stays on this device. */
export function forgetAllDrafts() {
  try {
    for (const key of Object.keys(localStorage)) if (key.startsWith(PREFIX)) localStorage.removeItem(key);
  } catch {
    // Storage blocked: there is nothing to forget.
  }
}
