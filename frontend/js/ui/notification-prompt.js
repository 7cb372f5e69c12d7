// The sidebar's "Turn on notifications" banner. The browser is asked for permission only when
// this button is pressed, never on load. Once it is granted (now, or already at sign-in) the
// Web Push subscription is made by push-subscription.js (helper h/push), loaded lazily so the
// app works without it.

import * as api from '../api.js';
import { notificationsSupported } from '../notifications.js';

// "Not now" is remembered on this device.
const DISMISSED_KEY = 'parley.notifications.dismissed';

export class NotificationPrompt {
  #node;

  constructor(node) {
    this.#node = node;
    node.querySelector('.notify-enable').addEventListener('click', () => this.#ask());
    node.querySelector('.notify-dismiss').addEventListener('click', () => {
      localStorage.setItem(DISMISSED_KEY, '1');
      node.hidden = true;
    });
    if (!notificationsSupported()) return;
    if (Notification.permission === 'granted') enablePush();
    node.hidden = Notification.permission !== 'default' || localStorage.getItem(DISMISSED_KEY) === '1';
  }

  async #ask() {
    let permission = 'default';
    try {
      permission = await Notification.requestPermission();
    } catch (error) {
      console.warn('Could not ask for notification permission', error);
    }
    if (permission === 'default') return;
    this.#node.hidden = true;
    if (permission === 'granted') enablePush();
  }
}

function enablePush() {
  import('../push-subscription.js')
    .then((push) => push.enablePush(api))
    .catch((error) => console.info('Push notifications are not available', error));
}
