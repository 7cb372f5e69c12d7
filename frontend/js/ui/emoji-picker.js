// The searchable emoji picker (a popover): a search box and a grid of emoji by group. The grid
// is one tab stop; the arrow keys move in it, Enter picks, Escape closes. Typing in the box
// filters by name and keywords.

import { loadEmojiGroups, searchEmoji } from '../emoji-data.js';
import { element } from './element.js';

const COLUMNS = 8;
const MARGIN_PX = 8;

export class EmojiPicker {
  #node;
  #input;
  #grid;
  #groups = null;
  #onPick = null;
  #returnFocus = null;

  constructor(container) {
    this.#input = element('input', {
      className: 'emoji-search',
      attrs: {
        type: 'search', placeholder: 'Search emoji', 'aria-label': 'Search emoji', autocomplete: 'off', spellcheck: 'false',
      },
    });
    this.#grid = element('div', { className: 'emoji-grid' });
    this.#node = element('div', {
      className: 'emoji-picker',
      attrs: { role: 'dialog', 'aria-label': 'Choose a reaction' },
    }, [this.#input, this.#grid]);
    this.#node.hidden = true;
    container.append(this.#node);

    this.#input.addEventListener('input', () => this.#render());
    this.#input.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown' || (event.key === 'Enter' && this.#input.value)) {
        event.preventDefault();
        const first = this.#buttons()[0];
        if (event.key === 'Enter' && first) this.#pick(first.dataset.emoji);
        else first?.focus();
      }
    });
    this.#grid.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-emoji]');
      if (button) this.#pick(button.dataset.emoji);
    });
    this.#grid.addEventListener('keydown', (event) => this.#gridKey(event));
    this.#node.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.close();
      }
    });
  }

  get isOpen() {
    return !this.#node.hidden;
  }

  /** Opens next to `anchor`; onPick(emoji) once one is chosen. */
  async open(anchor, onPick) {
    this.#onPick = onPick;
    this.#returnFocus = document.activeElement;
    this.#input.value = '';
    this.#node.hidden = false;
    this.#grid.replaceChildren(element('p', { className: 'emoji-note', text: 'Loading…' }));
    this.#place(anchor);
    this.#input.focus();
    setTimeout(() => document.addEventListener('pointerdown', this.#closeOnOutside, true));
    try {
      this.#groups = await loadEmojiGroups();
    } catch {
      this.#grid.replaceChildren(element('p', { className: 'emoji-note', text: 'Could not load the emoji.' }));
      return;
    }
    if (this.isOpen) this.#render();
  }

  close() {
    if (this.#node.hidden) return;
    this.#node.hidden = true;
    this.#onPick = null;
    document.removeEventListener('pointerdown', this.#closeOnOutside, true);
    if (this.#returnFocus?.isConnected) this.#returnFocus.focus({ preventScroll: true });
    this.#returnFocus = null;
  }

  #pick(emoji) {
    const onPick = this.#onPick;
    this.close();
    onPick?.(emoji);
  }

  #render() {
    if (!this.#groups) return;
    const query = this.#input.value.trim();
    if (query) {
      const found = searchEmoji(this.#groups, query);
      this.#grid.replaceChildren(found.length > 0
        ? emojiList('Results', found)
        : element('p', { className: 'emoji-note', text: 'No emoji found.' }));
    } else {
      this.#grid.replaceChildren(...this.#groups.map((group) => emojiList(group.name, group.emoji)));
    }
    const buttons = this.#buttons();
    buttons.forEach((button, index) => { button.tabIndex = index === 0 ? 0 : -1; });
  }

  #gridKey(event) {
    const buttons = this.#buttons();
    const index = buttons.indexOf(document.activeElement);
    if (index === -1) return;
    const moves = {
      ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS, Home: -index, End: buttons.length - 1 - index,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = index + moves[event.key];
    if (next < 0) {
      this.#input.focus();
      return;
    }
    const target = buttons[Math.min(next, buttons.length - 1)];
    buttons[index].tabIndex = -1;
    target.tabIndex = 0;
    target.focus();
  }

  #buttons() {
    return [...this.#grid.querySelectorAll('button[data-emoji]')];
  }

  #place(anchor) {
    const node = this.#node;
    const box = anchor.getBoundingClientRect();
    const width = node.offsetWidth;
    const height = node.offsetHeight;
    let top = box.bottom + 4;
    if (top + height > window.innerHeight - MARGIN_PX) top = box.top - 4 - height;
    const left = Math.min(Math.max(MARGIN_PX, box.right - width), window.innerWidth - width - MARGIN_PX);
    node.style.left = `${left}px`;
    node.style.top = `${Math.max(MARGIN_PX, top)}px`;
  }

  #closeOnOutside = (event) => {
    if (!this.#node.contains(event.target)) this.close();
  };
}

function emojiList(name, entries) {
  return element('section', { className: 'emoji-group', attrs: { 'aria-label': name } }, [
    element('h4', { className: 'emoji-group-name', text: name }),
    element('div', { className: 'emoji-cells' }, entries.map((entry) => element('button', {
      className: 'emoji-cell',
      text: entry.emoji,
      attrs: { type: 'button', title: entry.label, 'aria-label': entry.label, tabindex: '-1' },
      dataset: { emoji: entry.emoji },
    }))),
  ]);
}
