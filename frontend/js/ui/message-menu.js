// The small menu on one of my messages: Edit, and Delete (asked twice, since it cannot be
// undone). It floats next to the ⋮ button or where the right click / long press was.

import { element } from './element.js';

const MARGIN_PX = 8;

export class MessageMenu {
  #node;
  #onEdit;
  #onDelete;
  #messageId = null;
  #returnFocus = null;
  #placement = null;

  /** onEdit(messageId), onDelete(messageId) */
  constructor(container, { onEdit, onDelete }) {
    this.#onEdit = onEdit;
    this.#onDelete = onDelete;
    this.#node = element('div', { className: 'message-menu', attrs: { role: 'menu', 'aria-label': 'Message options' } });
    this.#node.hidden = true;
    container.append(this.#node);

    this.#node.addEventListener('click', (event) => {
      const action = event.target.closest('button[data-action]')?.dataset.action;
      if (action) this.#act(action);
    });
    this.#node.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const items = [...this.#node.querySelectorAll('button')];
        const index = items.indexOf(document.activeElement);
        const step = event.key === 'ArrowDown' ? 1 : -1;
        items[(index + step + items.length) % items.length]?.focus();
      }
    });
  }

  get isOpen() {
    return !this.#node.hidden;
  }

  open(messageId, anchor, point) {
    this.#messageId = messageId;
    this.#returnFocus = document.activeElement;
    this.#showChoices();
    this.#node.hidden = false;
    this.#placement = { anchor, point };
    this.#place();
    this.#node.querySelector('button')?.focus({ preventScroll: true });
    // Opened by this very click or touch: listen for the next one.
    setTimeout(() => {
      document.addEventListener('pointerdown', this.#closeOnOutside, true);
      window.addEventListener('resize', this.#closeNow);
      document.addEventListener('scroll', this.#closeNow, true);
    });
  }

  close() {
    if (this.#node.hidden) return;
    this.#node.hidden = true;
    this.#messageId = null;
    document.removeEventListener('pointerdown', this.#closeOnOutside, true);
    window.removeEventListener('resize', this.#closeNow);
    document.removeEventListener('scroll', this.#closeNow, true);
    if (this.#returnFocus?.isConnected) this.#returnFocus.focus({ preventScroll: true });
    this.#returnFocus = null;
  }

  #act(action) {
    const id = this.#messageId;
    if (action === 'edit') {
      this.#returnFocus = null;
      this.close();
      this.#onEdit(id);
    } else if (action === 'delete') {
      this.#showConfirm();
    } else if (action === 'confirm-delete') {
      this.close();
      this.#onDelete(id);
    } else {
      this.close();
    }
  }

  #showChoices() {
    this.#node.dataset.mode = 'choices';
    this.#node.replaceChildren(
      menuItem('edit', 'Edit', 'M4 20h4L19 9l-4-4L4 16zM13.5 6.5l4 4'),
      menuItem('delete', 'Delete', 'M5 7h14M10 11v6M14 11v6M6 7l1 12a2 2 0 0 0 2 2h6a2 2 0 0 0 2-2l1-12M9 7V4h6v3', 'danger'),
    );
  }

  #showConfirm() {
    this.#node.dataset.mode = 'confirm';
    this.#node.replaceChildren(
      element('p', { className: 'message-menu-question', text: 'Delete this message for everyone?' }),
      element('div', { className: 'message-menu-actions' }, [
        element('button', { className: 'menu-button', text: 'Cancel', attrs: { type: 'button' }, dataset: { action: 'cancel' } }),
        element('button', { className: 'menu-button menu-button-danger', text: 'Delete', attrs: { type: 'button' }, dataset: { action: 'confirm-delete' } }),
      ]),
    );
    this.#place(); // the question is wider than the choices
    this.#node.querySelector('[data-action="confirm-delete"]').focus({ preventScroll: true });
  }

  #place() {
    const { anchor, point } = this.#placement;
    const node = this.#node;
    const box = anchor.getBoundingClientRect();
    const width = node.offsetWidth;
    const height = node.offsetHeight;
    let left = point ? point.x : box.right - width;
    let top = point ? point.y : box.bottom + 4;
    if (top + height > window.innerHeight - MARGIN_PX) top = (point ? point.y : box.top - 4) - height;
    left = Math.min(Math.max(MARGIN_PX, left), window.innerWidth - width - MARGIN_PX);
    top = Math.min(Math.max(MARGIN_PX, top), window.innerHeight - height - MARGIN_PX);
    node.style.left = `${left}px`;
    node.style.top = `${top}px`;
  }

  #closeOnOutside = (event) => {
    if (!this.#node.contains(event.target)) this.close();
  };

  #closeNow = () => this.close();
}

function menuItem(action, label, iconPath, tone = '') {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', iconPath);
  svg.append(path);
  return element('button', {
    className: `menu-item${tone ? ` menu-item-${tone}` : ''}`,
    attrs: { type: 'button', role: 'menuitem' },
    dataset: { action },
  }, [svg, element('span', { text: label })]);
}
