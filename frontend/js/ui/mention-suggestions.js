// "@" in a room's composer offers the room's members: the list filters as you type, the arrow
// keys choose, Enter or Tab inserts "@username " (Enter after a whole name sends), Escape
// closes; a click or tap works too.

import { element } from './element.js';
import { paintAvatar } from './avatar.js';

const LIMIT = 8;
// The "@word" being typed just before the caret.
const TYPING_MENTION = /(^|[^\w])@([A-Za-z0-9_.-]*)$/;

export class MentionSuggestions {
  #input;
  #node;
  #members;
  #choices = [];
  #index = 0;
  #start = -1;

  /** members() → [{ id, username }] of the open room (without me), or null outside rooms. */
  constructor(input, members) {
    this.#input = input;
    this.#members = members;
    this.#node = element('ul', {
      className: 'mention-suggestions',
      attrs: { role: 'listbox', id: 'mention-suggestions', 'aria-label': 'Mention someone' },
    });
    this.#node.hidden = true;
    input.closest('form').append(this.#node);
    input.setAttribute('aria-controls', 'mention-suggestions');
    input.setAttribute('aria-autocomplete', 'list');

    input.addEventListener('input', () => this.update());
    input.addEventListener('click', () => this.update());
    input.addEventListener('blur', () => this.close());
    // mousedown, not click: the box keeps focus (and the caret) while a name is picked.
    this.#node.addEventListener('mousedown', (event) => {
      const option = event.target.closest('[data-index]');
      if (!option) return;
      event.preventDefault();
      this.#insert(this.#choices[Number(option.dataset.index)]);
    });
  }

  get isOpen() {
    return !this.#node.hidden;
  }

  /** Keys for the open list; true if the key was used here. */
  handleKey(event) {
    if (!this.isOpen) return false;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      const step = event.key === 'ArrowDown' ? 1 : -1;
      this.#index = (this.#index + step + this.#choices.length) % this.#choices.length;
      this.#draw();
    } else if (event.key === 'Enter' && this.#typedWhole()) {
      // The whole name is typed already: Enter sends, as it would without the list.
      this.close();
      return false;
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      this.#insert(this.#choices[this.#index]);
    } else if (event.key === 'Escape') {
      this.close();
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  update() {
    const input = this.#input;
    const members = this.#members();
    const before = input.value.slice(0, input.selectionStart);
    const match = members && input.selectionStart === input.selectionEnd ? before.match(TYPING_MENTION) : null;
    if (!match) {
      this.close();
      return;
    }
    const typed = match[2].toLowerCase();
    this.#start = before.length - typed.length - 1;
    const previous = this.#choices[this.#index]?.id;
    this.#choices = members
      .filter((member) => member.username.toLowerCase().includes(typed))
      .sort((a, b) => Number(!a.username.toLowerCase().startsWith(typed)) - Number(!b.username.toLowerCase().startsWith(typed))
        || a.username.localeCompare(b.username))
      .slice(0, LIMIT);
    if (this.#choices.length === 0) {
      this.close();
      return;
    }
    this.#index = Math.max(0, this.#choices.findIndex((member) => member.id === previous));
    this.#node.hidden = false;
    this.#draw();
  }

  close() {
    this.#node.hidden = true;
    this.#choices = [];
    this.#input.removeAttribute('aria-activedescendant');
  }

  #typedWhole() {
    const typed = this.#input.value.slice(this.#start + 1, this.#input.selectionStart).toLowerCase();
    return this.#choices[this.#index]?.username.toLowerCase() === typed;
  }

  #draw() {
    this.#node.replaceChildren(...this.#choices.map((member, index) => {
      const avatar = element('span', { className: 'avatar mention-avatar', attrs: { 'aria-hidden': 'true' } });
      paintAvatar(avatar, member.username);
      return element('li', {
        className: 'mention-option',
        attrs: { role: 'option', id: `mention-option-${index}`, 'aria-selected': String(index === this.#index) },
        dataset: { index: String(index) },
      }, [avatar, element('span', { className: 'mention-name', text: member.username })]);
    }));
    this.#input.setAttribute('aria-activedescendant', `mention-option-${this.#index}`);
  }

  #insert(member) {
    const input = this.#input;
    const end = input.selectionStart;
    const text = `@${member.username} `;
    input.setRangeText(text, this.#start, end, 'end');
    this.close();
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }
}
