// Whether any tab of this app (same account, same browser) is in sight. Tabs share one socket,
// so every tab hears every message: a hidden tab must not notify while another tab shows the
// app. Each tab tells the others over a BroadcastChannel when its visibility changes, answers a
// newcomer's hello with its own state, and says goodbye when its page goes away.

export class VisibleTabs {
  #id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  #channel = null;
  /** @type {Map<string, boolean>} other tabs' ids → whether they are in sight */
  #others = new Map();

  /** @param {string} name  one per account */
  constructor(name) {
    if (typeof BroadcastChannel !== 'function') return;
    this.#channel = new BroadcastChannel(name);
    this.#channel.addEventListener('message', this.#receive);
    document.addEventListener('visibilitychange', this.#announce);
    window.addEventListener('pagehide', this.#leave);
    window.addEventListener('pageshow', this.#hello);
    this.#hello();
  }

  /** This tab or another one is in sight. */
  get anyVisible() {
    if (!document.hidden) return true;
    for (const visible of this.#others.values()) if (visible) return true;
    return false;
  }

  stop() {
    if (!this.#channel) return;
    this.#leave();
    document.removeEventListener('visibilitychange', this.#announce);
    window.removeEventListener('pagehide', this.#leave);
    window.removeEventListener('pageshow', this.#hello);
    this.#channel.close();
    this.#channel = null;
  }

  #post(type) {
    this.#channel?.postMessage({ type, id: this.#id, visible: !document.hidden });
  }

  #hello = () => this.#post('hello');

  #announce = () => this.#post('state');

  #leave = () => this.#post('leave');

  #receive = (event) => {
    const message = event.data;
    if (typeof message?.id !== 'string' || message.id === this.#id) return;
    if (message.type === 'leave') {
      this.#others.delete(message.id);
      return;
    }
    this.#others.set(message.id, message.visible === true);
    if (message.type === 'hello') this.#announce();
  };
}
