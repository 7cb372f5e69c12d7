// The connection state: a line under the user's name, and, while the connection is down, a
// short "Offline" in the chat's header and a banner over the chat (on a phone the sidebar is
// hidden while a chat is open).
// The server can also be reachable while its database is not (answers `unavailable`): the
// socket stays open, but nothing is stored until it is back, so that shows as reconnecting.

// Shown at least this long, so one `unavailable` answer does not just flicker.
const MIN_UNAVAILABLE_MS = 1_000;

export class ConnectionIndicator {
  #node;
  #text;
  #banner;
  #headerTag;
  #ticker = null;
  #status = { state: 'connecting' };
  #unavailableUntil = 0;
  #unavailableTimer = null;

  constructor(node, banner, headerTag) {
    this.#node = node;
    this.#text = node.querySelector('.connection-text');
    this.#banner = banner;
    this.#headerTag = headerTag;
  }

  /** @param {{state: string, retryAt?: number}} status as reported by ChatSocket */
  show(status) {
    this.#status = status;
    this.#render();
  }

  /** The server answered `unavailable`: it said to try again in `retryAfterMs`. */
  showUnavailable(retryAfterMs) {
    const wait = Math.max(MIN_UNAVAILABLE_MS, Number(retryAfterMs) || 0);
    this.#unavailableUntil = Math.max(this.#unavailableUntil, Date.now() + wait);
    clearTimeout(this.#unavailableTimer);
    this.#unavailableTimer = setTimeout(() => this.#render(), this.#unavailableUntil - Date.now());
    this.#render();
  }

  /** Something was stored again: the database is back. */
  clearUnavailable() {
    if (this.#unavailableUntil === 0) return;
    this.#unavailableUntil = 0;
    clearTimeout(this.#unavailableTimer);
    this.#render();
  }

  #render() {
    clearInterval(this.#ticker);
    this.#ticker = null;
    const { state, retryAt } = this.#status;
    if (state === 'open' && Date.now() < this.#unavailableUntil) {
      this.#node.dataset.state = 'unavailable';
      this.#banner.hidden = false;
      this.#showInHeader('Reconnecting…');
      this.#setText('Reconnecting…');
      return;
    }
    this.#node.dataset.state = state;
    this.#banner.hidden = state !== 'waiting';
    this.#showInHeader(state === 'open' || state === 'connecting' ? '' : 'Offline');
    if (state === 'open') this.#setText('Connected');
    else if (state === 'connecting') this.#setText('Connecting…');
    else if (state === 'waiting') {
      const update = () => {
        const seconds = Math.ceil((retryAt - Date.now()) / 1000);
        this.#setText(seconds > 0 ? `Offline · reconnecting in ${seconds} s` : 'Offline · reconnecting…');
      };
      update();
      this.#ticker = setInterval(update, 1000);
    } else if (state === 'ended') this.#setText('Signed out');
    else this.#setText('Offline');
  }

  #showInHeader(text) {
    this.#headerTag.textContent = text;
    this.#headerTag.hidden = !text;
  }

  #setText(text) {
    this.#text.textContent = text;
    this.#banner.textContent = text;
  }

  dispose() {
    clearInterval(this.#ticker);
    clearTimeout(this.#unavailableTimer);
  }
}
