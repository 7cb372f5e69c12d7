// The message box: Enter sends, Shift+Enter adds a line, the box grows with its text. It also
// edits one of my messages (the text goes back in the box; Enter saves, Escape cancels).

export class Composer {
  #form;
  #input;
  #button;
  #editBar;
  #editText;
  #enabled = false;
  #editing = null;
  #draft = '';

  /**
   * onSend(content) → false to keep the text; onEdit(messageId, content); onTyping() on each
   * change of a new message's text.
   */
  constructor(form, { onSend, onEdit, onTyping }) {
    this.#form = form;
    this.#input = form.querySelector('.composer-input');
    this.#button = form.querySelector('.send-button');
    this.#editBar = form.querySelector('.composer-edit');
    this.#editText = form.querySelector('.composer-edit-text');
    this.#input.setAttribute('enterkeyhint', 'send');

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const content = this.#input.value.trim();
      if (!this.#enabled || !content) return;
      if (this.#editing) {
        const { id, content: before } = this.#editing;
        if (content !== before) onEdit(id, content);
        this.cancelEdit();
      } else if (onSend(content) !== false) {
        this.#input.value = '';
        this.#refresh();
      }
      this.#input.focus();
    });

    this.#input.addEventListener('keydown', (event) => {
      // isComposing: Enter that confirms an IME candidate must not send.
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      } else if (event.key === 'Escape' && this.#editing) {
        event.preventDefault();
        this.cancelEdit();
      }
    });
    this.#input.addEventListener('input', () => {
      this.#refresh();
      if (!this.#editing && this.#input.value.trim()) onTyping();
    });
    form.querySelector('.composer-edit-cancel').addEventListener('click', () => {
      this.cancelEdit();
      this.#input.focus();
    });
  }

  get editingId() {
    return this.#editing?.id ?? null;
  }

  setEnabled(enabled) {
    this.#enabled = enabled;
    this.#input.disabled = !enabled;
    this.#refresh();
  }

  setPlaceholder(text) {
    this.#input.placeholder = text;
  }

  /** Starts over for another conversation. */
  reset() {
    this.cancelEdit();
    this.#input.value = '';
    this.#refresh();
  }

  focus() {
    this.#input.focus();
  }

  /** Puts one of my messages in the box to be edited; what was being typed comes back after. */
  startEdit({ id, content }) {
    if (!this.#editing) this.#draft = this.#input.value;
    this.#editing = { id, content };
    this.#editText.textContent = content;
    this.#editBar.hidden = false;
    this.#form.dataset.mode = 'edit';
    this.#button.setAttribute('aria-label', 'Save');
    this.#button.title = 'Save';
    this.#input.value = content;
    this.#refresh();
    this.#input.focus();
    this.#input.setSelectionRange(content.length, content.length);
  }

  cancelEdit() {
    if (!this.#editing) return;
    this.#editing = null;
    this.#editBar.hidden = true;
    delete this.#form.dataset.mode;
    this.#button.setAttribute('aria-label', 'Send');
    this.#button.title = 'Send';
    this.#input.value = this.#draft;
    this.#draft = '';
    this.#refresh();
  }

  #refresh() {
    this.#button.disabled = !this.#enabled || this.#input.value.trim() === '';
    // Grow with the text; the CSS max-height caps it and scrolls beyond.
    this.#input.style.height = '';
    if (this.#input.value && this.#input.offsetParent !== null) {
      this.#input.style.height = 'auto';
      this.#input.style.height = `${this.#input.scrollHeight}px`;
    }
  }
}
