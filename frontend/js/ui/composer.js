// The message box: Enter sends, Shift+Enter adds a line, the box grows with its text.

export class Composer {
  #form;
  #input;
  #button;
  #enabled = false;

  constructor(form, { onSend }) {
    this.#form = form;
    this.#input = form.querySelector('.composer-input');
    this.#button = form.querySelector('.send-button');
    this.#input.setAttribute('enterkeyhint', 'send');

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const content = this.#input.value.trim();
      if (!this.#enabled || !content) return;
      if (onSend(content) !== false) {
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
      }
    });
    this.#input.addEventListener('input', () => this.#refresh());
  }

  setEnabled(enabled) {
    this.#enabled = enabled;
    this.#input.disabled = !enabled;
    this.#refresh();
  }

  /** Starts over for another conversation. */
  reset() {
    this.#input.value = '';
    this.#refresh();
  }

  focus() {
    this.#input.focus();
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
