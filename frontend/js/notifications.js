// System notifications while the page is hidden: a direct message, or a mention of me in a
// room, in a chat that is not muted (the rule in docs/protocol.md). Shown through the service
// worker's registration when there is one (so they look like push ones), else with
// `new Notification`. Every tab of this browser gets each frame through the shared socket, so
// each would notify: none does while another tab is in sight (visible-tabs.js), and a `tag`
// per chat makes the system show one (the newest) per chat when several hidden tabs do.
// A click focuses the window and opens the chat; for the service worker's notifications its
// `notificationclick` posts { type: 'open-chat', key } to this page. A chat's notification goes
// away once nothing in it is unread (read here, in another tab or on another device).

import { isRoomKey } from './conversation-key.js';
import { attachmentSummary } from './ui/attachment-text.js';
import { VisibleTabs } from './visible-tabs.js';

const BODY_CHARS = 140;

/** Whether this browser can show notifications at all. */
export function notificationsSupported() {
  return typeof Notification === 'function';
}

export class Notifier {
  #state;
  #labels;
  #onOpen;
  #stopped = false;
  #tabs;
  /** @type {Map<string, Notification|'worker'>} chat key → what this tab showed for it */
  #shown = new Map();

  /**
   * @param {object} options
   * @param {import('./session-state.js').SessionState} options.state
   * @param {import('./conversation-labels.js').ConversationLabels} options.labels
   * @param {(key: string) => void} options.onOpen  a notification was clicked
   */
  constructor({ state, labels, onOpen }) {
    this.#state = state;
    this.#labels = labels;
    this.#onOpen = onOpen;
    this.#tabs = new VisibleTabs(`parley.visible.${state.me.id}`);
    navigator.serviceWorker?.addEventListener('message', this.#fromWorker);
  }

  stop() {
    this.#stopped = true;
    this.#tabs.stop();
    navigator.serviceWorker?.removeEventListener('message', this.#fromWorker);
  }

  /** A new unread message from someone else (see FrameRouter's onIncoming). */
  async incoming(key, frame, { mentionsMe }) {
    if (this.#stopped || this.#tabs.anyVisible) return;
    if (!notificationsSupported() || Notification.permission !== 'granted') return;
    const room = isRoomKey(key);
    if (room && !mentionsMe) return;
    if (this.#state.mutes.isMuted(key)) return;
    const sender = (await this.#state.people.find(frame.sender_id).catch(() => null))?.username ?? 'Someone';
    if (this.#stopped) return;
    const title = room ? `${sender} in ${this.#labels.row(key).name}` : sender;
    const text = frame.content || attachmentSummary(frame.attachments ?? []);
    const options = {
      body: text.length > BODY_CHARS ? `${text.slice(0, BODY_CHARS - 1)}…` : text,
      tag: `parley:${key}`,
      data: { key },
      icon: 'favicon.svg',
    };
    this.#show(title, options).catch((error) => console.warn('Could not show a notification', error));
  }

  /** Takes away what was shown for chats with nothing unread any more. */
  closeRead(hasUnread) {
    for (const [key, shown] of this.#shown) {
      if (hasUnread(key)) continue;
      this.#shown.delete(key);
      if (shown === 'worker') this.#closeWorkers(`parley:${key}`);
      else shown.close();
    }
  }

  async #closeWorkers(tag) {
    const registration = await navigator.serviceWorker?.getRegistration().catch(() => null);
    const notifications = (await registration?.getNotifications({ tag }).catch(() => null)) ?? [];
    for (const notification of notifications) notification.close();
  }

  async #show(title, options) {
    const { key } = options.data;
    const registration = await navigator.serviceWorker?.getRegistration();
    if (registration) {
      await registration.showNotification(title, options);
      this.#shown.set(key, 'worker');
      return;
    }
    const notification = new Notification(title, options);
    this.#shown.set(key, notification);
    notification.addEventListener('click', () => {
      notification.close();
      this.#open(options.data.key);
    });
  }

  #fromWorker = (event) => {
    if (event.data?.type === 'open-chat' && typeof event.data.key === 'string') this.#open(event.data.key);
  };

  #open(key) {
    if (this.#stopped) return;
    window.focus();
    this.#onOpen(key);
  }
}
