// One WebSocket per browser, shared by all its tabs. The tabs elect a leader with the Web
// Locks API (the lock is held until the leader's tab closes, then the next tab in line gets
// it); the leader owns the socket and relays over a BroadcastChannel. Every tab gets every
// server frame; a frame sent from any tab goes out through the leader and is shown to the
// other tabs (`onOutgoing`), since the server answers one socket and copies nothing to it.
// Without Web Locks (plain-http LAN addresses are not secure contexts) each tab keeps its
// own socket, as before.
//
// Messages are not sent through send() by other tabs: they are announced, every tab keeps
// them, and the leader's outbox sends them in order (see outbox.js).

import { ChatSocket } from './socket.js';

export class SharedConnection {
  #name;
  #urlFor;
  #mayReconnect;
  #onFrame;
  #onStatus;
  #onOutgoing;
  #channel = null;
  #socket = null;
  #abort = new AbortController();
  #releaseLock = null;
  #status = { state: 'connecting' };
  #cursor = null;
  #stopped = false;

  /**
   * @param {object} options
   * @param {string} options.name                 one per account: tabs with the same name share
   * @param {(since: number|null) => string} options.urlFor
   * @param {() => Promise<boolean>} options.mayReconnect
   * @param {(frame: object) => void} options.onFrame        every server frame, in every tab
   * @param {(status: object) => void} options.onStatus      the leader's socket state, in every tab
   * @param {(frame: object) => void} options.onOutgoing     a frame another tab sent
   */
  constructor({ name, urlFor, mayReconnect, onFrame, onStatus, onOutgoing }) {
    this.#name = name;
    this.#urlFor = urlFor;
    this.#mayReconnect = mayReconnect;
    this.#onFrame = onFrame;
    this.#onStatus = onStatus;
    this.#onOutgoing = onOutgoing;
  }

  get isLeader() {
    return this.#socket !== null;
  }

  get isOpen() {
    return this.#socket ? this.#socket.isOpen : this.#status.state === 'open';
  }

  /** The highest stream position seen by this tab: where a new socket resumes from. */
  get cursor() {
    return this.#cursor;
  }

  start() {
    const canShare = typeof BroadcastChannel === 'function' && Boolean(navigator.locks?.request);
    if (!canShare) {
      this.#lead();
      return;
    }
    this.#channel = new BroadcastChannel(this.#name);
    this.#channel.onmessage = (event) => this.#receive(event.data);
    this.#post({ kind: 'hello' });
    navigator.locks.request(this.#name, { signal: this.#abort.signal }, () => {
      if (this.#stopped) return undefined;
      this.#lead();
      // Held until stop() or the tab goes away.
      return new Promise((resolve) => { this.#releaseLock = resolve; });
    }).catch(() => {
      // Aborted by stop() while waiting in line.
    });
  }

  stop() {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#abort.abort();
    this.#socket?.stop();
    this.#socket = null;
    this.#releaseLock?.();
    this.#channel?.close();
    this.#channel = null;
  }

  /** Sends a frame; false when no socket is open (the caller keeps what must not be lost). */
  send(frame) {
    if (this.#socket) {
      const sent = this.#socket.send(frame);
      this.#post({ kind: 'send', frame, sent });
      return sent;
    }
    if (!this.#channel) return false;
    this.#post({ kind: 'send', frame, sent: false });
    return this.isOpen;
  }

  /** Tells the other tabs about a frame that the leader will send in its own time (messages). */
  announce(frame) {
    this.#post({ kind: 'announce', frame });
  }

  /** The leader drops its socket and connects again (e.g. it stopped answering). */
  restart() {
    this.#socket?.restart();
  }

  #lead() {
    this.#socket = new ChatSocket({
      urlFor: () => this.#urlFor(this.#cursor),
      mayReconnect: this.#mayReconnect,
      onFrame: (frame) => {
        this.#post({ kind: 'frame', frame });
        this.#deliver(frame);
      },
      onOpen: () => {},
      onStatus: (status) => {
        this.#status = status;
        this.#post({ kind: 'status', status, cursor: this.#cursor });
        this.#onStatus({ ...status, leader: true });
      },
    });
    this.#socket.start();
  }

  #deliver(frame) {
    if (Number.isInteger(frame?.cursor) && (this.#cursor === null || frame.cursor > this.#cursor)) {
      this.#cursor = frame.cursor;
    }
    this.#onFrame(frame);
  }

  #receive(data) {
    if (this.#stopped || !data) return;
    switch (data.kind) {
      case 'frame':
        if (!this.#socket) this.#deliver(data.frame);
        break;
      case 'status':
        if (this.#socket) break;
        if (Number.isInteger(data.cursor) && (this.#cursor === null || data.cursor > this.#cursor)) {
          this.#cursor = data.cursor;
        }
        // A leader that stops hands over: the next one reports its own state in a moment.
        this.#status = data.status.state === 'stopped' ? { state: 'connecting' } : data.status;
        this.#onStatus({ ...this.#status, leader: false });
        break;
      case 'send':
        if (this.#socket && !data.sent) this.#socket.send(data.frame);
        this.#onOutgoing(data.frame);
        break;
      case 'announce':
        this.#onOutgoing(data.frame);
        break;
      case 'hello':
        // A new tab asks where things stand.
        if (this.#socket) this.#post({ kind: 'status', status: this.#status, cursor: this.#cursor });
        break;
      default:
        break;
    }
  }

  #post(data) {
    this.#channel?.postMessage(data);
  }
}
