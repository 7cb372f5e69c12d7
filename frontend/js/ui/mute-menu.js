// The chat header's mute control: a bell button and its menu (1 hour, 8 hours, 1 week, until I
// unmute, Unmute). Keyboard: arrows move, Escape closes and gives focus back to the button.

import { formatDay, formatTime } from '../format-time.js';
import { mutedIcon } from './sidebar-list.js';

// "Until I unmute" is a far date (see docs/protocol.md).
const ALWAYS = '9999-12-31T23:59:59Z';
const HOUR_MS = 3_600_000;
// A mute this far away was chosen as "until I unmute".
const FOREVER_YEAR = 9000;

export class MuteMenu {
  #node;
  #button;
  #menu;
  #items;
  #onChoose;
  #bell;
  #muted = null;
  #label = null;

  /** onChoose(until): an RFC 3339 time, or null to unmute. */
  constructor(node, { onChoose }) {
    this.#node = node;
    this.#button = node.querySelector('.mute-button');
    this.#menu = node.querySelector('.mute-menu');
    this.#items = [...this.#menu.querySelectorAll('[role="menuitem"]')];
    this.#onChoose = onChoose;
    this.#bell = this.#button.querySelector('svg');
    this.#button.addEventListener('click', () => (this.#menu.hidden ? this.open() : this.close()));
    this.#menu.addEventListener('click', (event) => {
      const item = event.target.closest('[role="menuitem"]');
      if (!item) return;
      this.close({ focusButton: true });
      this.#onChoose(untilFor(item.dataset.hours));
    });
    this.#menu.addEventListener('keydown', (event) => this.#keydown(event));
    document.addEventListener('pointerdown', (event) => {
      if (!this.#menu.hidden && !node.contains(event.target)) this.close();
    });
  }

  /** Shows whether the open chat is muted (`until`: a Date, or null). */
  show(until) {
    const muted = until !== null;
    const label = muted ? `${mutedUntil(until)}: change or unmute` : 'Mute notifications';
    if (label !== this.#label) {
      this.#label = label;
      this.#button.setAttribute('aria-label', label);
      this.#button.title = label;
    }
    if (muted === this.#muted) return;
    this.#muted = muted;
    this.#button.dataset.muted = String(muted);
    this.#button.replaceChildren(muted ? mutedIcon() : this.#bell);
    this.#menu.querySelector('[data-hours="off"]').hidden = !muted;
  }

  /** Not offered (a room I am not in). */
  set hidden(hidden) {
    this.#node.hidden = hidden;
    if (hidden) this.close();
  }

  open() {
    this.#menu.hidden = false;
    this.#button.setAttribute('aria-expanded', 'true');
    this.#visibleItems()[0]?.focus();
  }

  close({ focusButton = false } = {}) {
    if (this.#menu.hidden) return;
    this.#menu.hidden = true;
    this.#button.setAttribute('aria-expanded', 'false');
    if (focusButton) this.#button.focus();
  }

  #visibleItems() {
    return this.#items.filter((item) => !item.hidden);
  }

  #keydown(event) {
    const items = this.#visibleItems();
    const at = items.indexOf(document.activeElement);
    let next = null;
    if (event.key === 'ArrowDown') next = items[(at + 1) % items.length];
    else if (event.key === 'ArrowUp') next = items[(at - 1 + items.length) % items.length];
    else if (event.key === 'Home') [next] = items;
    else if (event.key === 'End') next = items[items.length - 1];
    else if (event.key === 'Escape' || event.key === 'Tab') {
      if (event.key === 'Escape') event.preventDefault();
      this.close({ focusButton: event.key === 'Escape' });
      return;
    } else return;
    event.preventDefault();
    next?.focus();
  }
}

/** "Muted until 21:05" today, else with the date; "Muted until you unmute" for the far date. */
function mutedUntil(until) {
  if (until.getUTCFullYear() >= FOREVER_YEAR) return 'Muted until you unmute';
  const day = formatDay(until);
  return day === 'Today' ? `Muted until ${formatTime(until)}` : `Muted until ${day} ${formatTime(until)}`;
}

function untilFor(hours) {
  if (hours === 'off') return null;
  if (hours === 'always') return ALWAYS;
  return new Date(Date.now() + Number(hours) * HOUR_MS).toISOString();
}
