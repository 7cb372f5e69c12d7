// "New room or group": a name and who can join (public room or private group).

import { asSentence } from '../sentence.js';

export class NewRoomDialog {
  #dialog;
  #form;
  #error;
  #submit;
  #onCreate;

  /** onCreate(name, kind) → Promise that rejects with the server's ApiError. */
  constructor(dialog, { onCreate }) {
    this.#dialog = dialog;
    this.#form = dialog.querySelector('.new-room-form');
    this.#error = dialog.querySelector('.form-error');
    this.#submit = dialog.querySelector('.dialog-submit');
    this.#onCreate = onCreate;
    dialog.querySelector('.dialog-cancel').addEventListener('click', () => dialog.close());
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#create();
    });
    // A click on the backdrop (outside the form) closes it.
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) dialog.close();
    });
  }

  open() {
    this.#form.reset();
    this.#showError('');
    this.#submit.disabled = false;
    this.#dialog.showModal();
    this.#form.elements.name.focus();
  }

  async #create() {
    const name = this.#form.elements.name.value.trim();
    const kind = this.#form.elements.kind.value;
    if (!name) {
      this.#showError('Give the room a name.');
      return;
    }
    this.#submit.disabled = true;
    try {
      await this.#onCreate(name, kind);
      this.#dialog.close();
    } catch (error) {
      this.#showError(asSentence(error.message || 'Could not create the room.'));
    } finally {
      this.#submit.disabled = false;
    }
  }

  #showError(text) {
    this.#error.textContent = text;
    this.#error.hidden = !text;
    this.#form.elements.name.setAttribute('aria-invalid', String(Boolean(text)));
  }
}
