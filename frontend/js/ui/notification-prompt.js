// The sidebar's "Turn on notifications" banner, and the bell in the sidebar's header that stays
// once the banner is dismissed (so notifications can still be turned on later). The browser is
// asked for permission only when one of them is pressed, never on load. Once it is granted (now,
// or already at sign-in) the Web Push subscription is made by push-subscription.js (helper
// h/push), loaded lazily so the app works without it.

import * as api from '../api.js';
import { notificationsSupported } from '../notifications.js';

// "Not now" is remembered on this device.
const DISMISSED_KEY = 'parley.notifications.dismissed';
const BLOCKED_NOTICE = 'Notifications are blocked for this site: allow them in the browser’s site settings.';

export class NotificationPrompt {
  #banner;
  #bell;
  #onNotice;

  /**
   * @param {HTMLElement} banner  the sidebar's banner
   * @param {HTMLElement} bell  the header's bell button
   * @param {(text: string) => void} onNotice  shows a short message (the bell while blocked)
   */
  constructor(banner, bell, onNotice) {
    this.#banner = banner;
    this.#bell = bell;
    this.#onNotice = onNotice;
    banner.querySelector('.notify-enable').addEventListener('click', () => this.#ask());
    banner.querySelector('.notify-dismiss').addEventListener('click', () => {
      localStorage.setItem(DISMISSED_KEY, '1');
      this.#show();
      bell.focus();
    });
    bell.addEventListener('click', () => {
      if (Notification.permission === 'denied') this.#onNotice(BLOCKED_NOTICE);
      else this.#ask();
    });
    if (!notificationsSupported()) return;
    if (Notification.permission === 'granted') enablePush();
    this.#show();
  }

  /** The banner until it is dismissed, then the bell, while permission is not granted. */
  #show() {
    const permission = Notification.permission;
    const dismissed = localStorage.getItem(DISMISSED_KEY) === '1';
    this.#banner.hidden = permission !== 'default' || dismissed;
    this.#bell.hidden = permission === 'granted' || !this.#banner.hidden;
    const label = permission === 'denied' ? 'Notifications are blocked' : 'Turn on notifications';
    this.#bell.title = label;
    this.#bell.setAttribute('aria-label', label);
  }

  async #ask() {
    let permission = 'default';
    try {
      permission = await Notification.requestPermission();
    } catch (error) {
      console.warn('Could not ask for notification permission', error);
    }
    if (permission === 'default') return;
    this.#show();
    if (permission === 'granted') enablePush();
  }
}

function enablePush() {
  import('../push-subscription.js')
    .then((push) => push.enablePush(api))
    .catch((error) => console.info('Push notifications are not available', error));
}
