// A short-lived notice at the bottom of the screen, for errors that belong to no message.

import { element } from './element.js';

const VISIBLE_MS = 5_000;

export class Toaster {
  #region;

  constructor(container) {
    this.#region = element('div', { className: 'toasts', attrs: { role: 'status', 'aria-live': 'polite' } });
    container.append(this.#region);
  }

  show(text) {
    const toast = element('p', { className: 'toast', text });
    this.#region.append(toast);
    setTimeout(() => toast.remove(), VISIBLE_MS);
  }
}
