// The message list as one tab stop (a roving tabindex): one message is tabbable at a time,
// the arrow keys (and Home/End, Page Up/Down) move between messages, Enter, the context-menu
// key or Shift+F10 opens the focused message's menu. Only the active message's own links and
// buttons are tabbable, so Tab leaves the list for the composer in a step or two.

const PAGE_STEP = 10;

export class MessageKeys {
  #list;
  #onMenu;
  // The active message's key (data-message-id or data-client-id), kept across re-renders.
  #activeKey = null;

  /** onMenu(item): the menu of the focused message was asked for. */
  constructor(list, { onMenu }) {
    this.#list = list;
    this.#onMenu = onMenu;
    list.addEventListener('keydown', (event) => this.#keydown(event));
    list.addEventListener('focusin', (event) => {
      const item = event.target.closest('.message');
      if (item && item !== this.#active()) this.activate(item, { focus: false });
    });
  }

  /** After each render: one tabbable message; focus stays in the list if it was there. */
  rendered(hadFocus) {
    const items = this.#items();
    let active = items.find((item) => keyOf(item) === this.#activeKey) ?? null;
    if (!active) active = items[items.length - 1] ?? null;
    this.#setActive(active, items);
    if (hadFocus && active) active.focus({ preventScroll: true });
  }

  reset() {
    this.#activeKey = null;
  }

  activate(item, { focus = true } = {}) {
    this.#setActive(item, this.#items());
    if (focus) item.focus({ preventScroll: false });
  }

  #keydown(event) {
    const current = event.target.closest('.message');
    if (!current || event.target !== current) return;
    const items = this.#items();
    const index = items.indexOf(current);
    let next = null;
    switch (event.key) {
      case 'ArrowUp': next = items[index - 1]; break;
      case 'ArrowDown': next = items[index + 1]; break;
      case 'PageUp': next = items[Math.max(0, index - PAGE_STEP)]; break;
      case 'PageDown': next = items[Math.min(items.length - 1, index + PAGE_STEP)]; break;
      case 'Home': next = items[0]; break;
      case 'End': next = items[items.length - 1]; break;
      case 'Enter':
      case 'ContextMenu':
        event.preventDefault();
        this.#onMenu(current);
        return;
      case 'F10':
        if (!event.shiftKey) return;
        event.preventDefault();
        this.#onMenu(current);
        return;
      default: return;
    }
    event.preventDefault();
    if (next) {
      this.activate(next, { focus: false });
      next.focus({ preventScroll: true });
      next.scrollIntoView({ block: 'nearest' });
    }
  }

  #setActive(active, items) {
    this.#activeKey = active ? keyOf(active) : null;
    for (const item of items) {
      const on = item === active;
      item.tabIndex = on ? 0 : -1;
      for (const control of item.querySelectorAll('a, button')) control.tabIndex = on ? 0 : -1;
    }
  }

  #active() {
    return this.#list.querySelector('.message[tabindex="0"]');
  }

  #items() {
    return [...this.#list.querySelectorAll('.message')];
  }
}

function keyOf(item) {
  return item.dataset.messageId ? `m${item.dataset.messageId}` : `c${item.dataset.clientId}`;
}
