// The chat WebSocket: JSON frames in and out, reconnecting with exponential backoff and jitter.

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
// A connection that lived this long counts as healthy: the next drop starts the backoff over.
const HEALTHY_AFTER_MS = 5_000;

// The server closes with this when the token was revoked (logout) or expired.
export const SESSION_ENDED = 4401;

/** `since`: the highest stream cursor seen, so the server replays only what came after it. */
export function chatSocketUrl(token, since = null) {
  const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const params = new URLSearchParams({ token });
  if (since !== null) params.set('since', String(since));
  return `${protocol}//${location.host}/ws?${params}`;
}

/**
 * States reported to `onStatus`: 'connecting', 'open', 'waiting' (a retry is scheduled,
 * with `retryAt`), 'stopped', 'ended' (the server ended the session: sign in again).
 */
export class ChatSocket {
  #urlFor;
  #onFrame;
  #onOpen;
  #onStatus;
  #mayReconnect;
  #ws = null;
  #attempt = 0;
  #timer = null;
  #stopped = true;
  #openedAt = 0;
  #everOpened = false;

  /**
   * @param {object} options
   * @param {() => string} options.urlFor       builds the URL for each attempt (the token may change)
   * @param {(frame: object) => void} options.onFrame
   * @param {(reconnected: boolean) => void} options.onOpen
   * @param {(status: {state: string, retryAt?: number}) => void} options.onStatus
   * @param {() => Promise<boolean>} options.mayReconnect  false stops for good (e.g. the token was refused)
   */
  constructor({ urlFor, onFrame, onOpen, onStatus, mayReconnect }) {
    this.#urlFor = urlFor;
    this.#onFrame = onFrame;
    this.#onOpen = onOpen;
    this.#onStatus = onStatus;
    this.#mayReconnect = mayReconnect;
  }

  get isOpen() {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  start() {
    if (!this.#stopped) return;
    this.#stopped = false;
    window.addEventListener('online', this.#reconnectNow);
    this.#connect();
  }

  /** Drops the current connection and connects again at once (e.g. it stopped answering). */
  restart() {
    if (this.#stopped) return;
    const ws = this.#ws;
    this.#ws = null;
    clearTimeout(this.#timer);
    this.#timer = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(4000, 'no answer');
    this.#connect();
  }

  stop(state = 'stopped') {
    this.#stopped = true;
    window.removeEventListener('online', this.#reconnectNow);
    clearTimeout(this.#timer);
    this.#timer = null;
    const ws = this.#ws;
    this.#ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'logout');
    this.#onStatus({ state });
  }

  /** Sends one frame; false when the socket is not open (the caller keeps the frame for later). */
  send(frame) {
    if (!this.isOpen) return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  #connect() {
    this.#timer = null;
    this.#onStatus({ state: 'connecting' });
    let ws;
    try {
      ws = new WebSocket(this.#urlFor());
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#ws = ws;

    ws.addEventListener('open', () => {
      if (this.#ws !== ws) return;
      this.#openedAt = Date.now();
      const reconnected = this.#everOpened;
      this.#everOpened = true;
      this.#onStatus({ state: 'open' });
      this.#onOpen(reconnected);
    });

    ws.addEventListener('message', (event) => {
      if (this.#ws !== ws) return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        console.warn('Ignoring a frame that is not JSON', event.data);
        return;
      }
      this.#onFrame(frame);
    });

    ws.addEventListener('close', (event) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      if (event.code === SESSION_ENDED) {
        this.stop('ended');
        return;
      }
      if (this.#openedAt && Date.now() - this.#openedAt >= HEALTHY_AFTER_MS) this.#attempt = 0;
      this.#openedAt = 0;
      if (!this.#stopped) this.#scheduleReconnect();
    });
  }

  async #scheduleReconnect() {
    const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.#attempt);
    this.#attempt += 1;
    // "Equal jitter": between half and all of the ceiling, so many clients don't retry in step.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.#onStatus({ state: 'waiting', retryAt: Date.now() + delay });

    // The browser hides why an upgrade failed; ask the API whether the token is still good.
    const allowed = await this.#mayReconnect().catch(() => true);
    if (this.#stopped || this.#timer !== null || this.#ws !== null) return;
    if (!allowed) {
      this.stop();
      return;
    }
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  #reconnectNow = () => {
    if (this.#stopped || this.#ws !== null) return;
    clearTimeout(this.#timer);
    this.#attempt = 0;
    this.#connect();
  };
}
