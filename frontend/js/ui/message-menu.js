// The menu of a message, mine or not: a row of quick reactions (and "more" for the picker),
// Reply, Copy text, and on mine Edit and Delete (asked twice, since it cannot be undone). It
// floats next to the ⋮ button or where the right click / long press was; the delete question
// goes above or below the message, never over it.

import { element } from './element.js';

const MARGIN_PX = 8;
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

const ICONS = {
  reply: 'M10 8 5 12l5 4M5 12h9a5 5 0 0 1 5 5v2',
  copy: 'M9 9h10v11H9zM5 15V5a1 1 0 0 1 1-1h9',
  edit: 'M4 20h4L19 9l-4-4L4 16zM13.5 6.5l4 4',
  delete: 'M5 7h14M10 11v6M14 11v6M6 7l1 12a2 2 0 0 0 2 2h6a2 2 0 0 0 2-2l1-12M9 7V4h6v3',
};

export class MessageMenu {
  #node;
  #on;
  #describe;
  #messageId = null;
  #returnFocus = null;
  #placement = null;

  /**
   * describe(messageId) → { mine, content, reacted: Set of my emoji } | null;
   * on: { reply(id), react(id, emoji), more(id, anchor) (the picker), copy(id), edit(id), delete(id) }
   */
  constructor(container, { describe, ...on }) {
    this.#describe = describe;
    this.#on = on;
    this.#node = element('div', { className: 'message-menu', attrs: { role: 'menu', 'aria-label': 'Message options' } });
    this.#node.hidden = true;
    container.append(this.#node);

    this.#node.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-action]');
      if (button) this.#act(button.dataset.action, button);
    });
    this.#node.addEventListener('keydown', (event) => this.#keydown(event));
  }

  get isOpen() {
    return !this.#node.hidden;
  }

  open(messageId, anchor, point) {
    const about = this.#describe(messageId);
    if (!about) return;
    this.close();
    this.#messageId = messageId;
    this.#returnFocus = document.activeElement;
    this.#showChoices(about);
    this.#node.hidden = false;
    this.#placement = { anchor, point, message: anchor.closest('.message') };
    this.#place();
    this.#node.querySelector('.menu-item')?.focus({ preventScroll: true });
    // Opened by this very click or touch: listen for the next one.
    setTimeout(() => {
      document.addEventListener('pointerdown', this.#closeOnOutside, true);
      window.addEventListener('resize', this.#closeNow);
      document.addEventListener('scroll', this.#closeNow, true);
    });
  }

  close({ restoreFocus = true } = {}) {
    if (this.#node.hidden) return;
    this.#node.hidden = true;
    this.#messageId = null;
    document.removeEventListener('pointerdown', this.#closeOnOutside, true);
    window.removeEventListener('resize', this.#closeNow);
    document.removeEventListener('scroll', this.#closeNow, true);
    if (restoreFocus && this.#returnFocus?.isConnected) this.#returnFocus.focus({ preventScroll: true });
    this.#returnFocus = null;
  }

  #act(action, button) {
    const id = this.#messageId;
    const anchor = this.#placement?.anchor;
    if (action === 'delete') {
      this.#showConfirm();
      return;
    }
    // These move focus to the composer: the menu does not take it back. (The picker takes
    // it from the message, and gives it back there.)
    const movesFocus = action === 'reply' || action === 'edit';
    this.close({ restoreFocus: !movesFocus });
    if (action === 'react') this.#on.react(id, button.dataset.emoji);
    else if (action === 'more') this.#on.more(id, anchor);
    else if (action === 'confirm-delete') this.#on.delete(id);
    else if (action in this.#on) this.#on[action](id);
  }

  #keydown(event) {
    if (event.key === 'Escape') {
      event.preventDefault();
      this.close();
      return;
    }
    const buttons = [...this.#node.querySelectorAll('button')];
    const index = buttons.indexOf(document.activeElement);
    const quick = document.activeElement?.classList.contains('menu-reaction');
    let step = 0;
    if (event.key === 'ArrowDown') step = quick ? buttons.findIndex((b) => b.classList.contains('menu-item')) - index : 1;
    else if (event.key === 'ArrowUp') step = -1;
    else if (event.key === 'ArrowRight' && quick) step = 1;
    else if (event.key === 'ArrowLeft' && quick) step = -1;
    else if (event.key === 'Tab') {
      // A menu keeps focus inside until it is closed.
      step = event.shiftKey ? -1 : 1;
    } else return;
    event.preventDefault();
    buttons[(index + step + buttons.length) % buttons.length]?.focus();
  }

  #showChoices({ mine, content, reacted }) {
    this.#node.dataset.mode = 'choices';
    this.#node.setAttribute('role', 'menu');
    const quick = element('div', { className: 'menu-reactions', attrs: { role: 'group', 'aria-label': 'React' } }, [
      ...QUICK_REACTIONS.map((emoji) => element('button', {
        className: `menu-reaction${reacted.has(emoji) ? ' reaction-mine' : ''}`,
        text: emoji,
        attrs: {
          type: 'button', role: 'menuitemcheckbox', 'aria-checked': String(reacted.has(emoji)), 'aria-label': `React ${emoji}`, title: `React ${emoji}`,
        },
        dataset: { action: 'react', emoji },
      })),
      element('button', {
        className: 'menu-reaction menu-reaction-more',
        text: '+',
        attrs: { type: 'button', role: 'menuitem', 'aria-label': 'More reactions', title: 'More reactions' },
        dataset: { action: 'more' },
      }),
    ]);
    this.#node.replaceChildren(...[
      quick,
      menuItem('reply', 'Reply'),
      content ? menuItem('copy', 'Copy text') : null,
      mine ? menuItem('edit', 'Edit') : null,
      mine ? menuItem('delete', 'Delete', 'danger') : null,
    ].filter(Boolean));
  }

  #showConfirm() {
    this.#node.dataset.mode = 'confirm';
    // A question with two buttons is a small dialog, not a menu.
    this.#node.setAttribute('role', 'alertdialog');
    this.#node.replaceChildren(
      element('p', { className: 'message-menu-question', text: 'Delete this message for everyone?' }),
      element('div', { className: 'message-menu-actions' }, [
        element('button', { className: 'menu-button', text: 'Cancel', attrs: { type: 'button' }, dataset: { action: 'cancel' } }),
        element('button', { className: 'menu-button menu-button-danger', text: 'Delete', attrs: { type: 'button' }, dataset: { action: 'confirm-delete' } }),
      ]),
    );
    this.#place({ besideMessage: true });
    this.#node.querySelector('[data-action="confirm-delete"]').focus({ preventScroll: true });
  }

  #place({ besideMessage = false } = {}) {
    const { anchor, point, message } = this.#placement;
    const node = this.#node;
    const width = node.offsetWidth;
    const height = node.offsetHeight;
    let left;
    let top;
    if (besideMessage && message?.isConnected) {
      // Below the message if it fits, else above it: the message stays in sight.
      const box = message.getBoundingClientRect();
      left = message.classList.contains('message-mine') ? box.right - width : box.left;
      top = box.bottom + 4 + height <= window.innerHeight - MARGIN_PX ? box.bottom + 4 : box.top - 4 - height;
    } else {
      const box = anchor.getBoundingClientRect();
      left = point ? point.x : box.right - width;
      top = point ? point.y : box.bottom + 4;
      if (top + height > window.innerHeight - MARGIN_PX) top = (point ? point.y : box.top - 4) - height;
    }
    left = Math.min(Math.max(MARGIN_PX, left), window.innerWidth - width - MARGIN_PX);
    top = Math.min(Math.max(MARGIN_PX, top), window.innerHeight - height - MARGIN_PX);
    node.style.left = `${left}px`;
    node.style.top = `${top}px`;
  }

  #closeOnOutside = (event) => {
    if (!this.#node.contains(event.target)) this.close({ restoreFocus: false });
  };

  #closeNow = () => this.close();
}

function menuItem(action, label, tone = '') {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[action]);
  svg.append(path);
  return element('button', {
    className: `menu-item${tone ? ` menu-item-${tone}` : ''}`,
    attrs: { type: 'button', role: 'menuitem' },
    dataset: { action },
  }, [svg, element('span', { text: label })]);
}
