// The connection state: a line under the user's name, and a banner over the chat for
// phones (where the sidebar is hidden while a chat is open) while the connection is down.

export class ConnectionIndicator {
  #node;
  #text;
  #banner;
  #ticker = null;

  constructor(node, banner) {
    this.#node = node;
    this.#text = node.querySelector('.connection-text');
    this.#banner = banner;
  }

  /** @param {{state: string, retryAt?: number}} status as reported by ChatSocket */
  show({ state, retryAt }) {
    clearInterval(this.#ticker);
    this.#ticker = null;
    this.#node.dataset.state = state;
    this.#banner.hidden = state !== 'waiting';
    if (state === 'open') this.#setText('Connected');
    else if (state === 'connecting') this.#setText('Connecting…');
    else if (state === 'waiting') {
      const update = () => {
        const seconds = Math.ceil((retryAt - Date.now()) / 1000);
        this.#setText(seconds > 0 ? `Offline · retrying in ${seconds} s` : 'Offline · retrying…');
      };
      update();
      this.#ticker = setInterval(update, 1000);
    } else if (state === 'ended') this.#setText('Signed out');
    else this.#setText('Offline');
  }

  #setText(text) {
    this.#text.textContent = text;
    this.#banner.textContent = text;
  }

  dispose() {
    clearInterval(this.#ticker);
  }
}
