// "Log out?": a modal dialog (Escape or Cancel keep me signed in; Cancel has the focus first).

export class LogoutDialog {
  #dialog;

  /** onConfirm(): "Log out" was chosen. */
  constructor(dialog, { onConfirm }) {
    this.#dialog = dialog;
    dialog.addEventListener('close', () => {
      if (dialog.returnValue === 'logout') onConfirm();
    });
    // A click on the backdrop (outside the form) is a cancel.
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) dialog.close('cancel');
    });
  }

  open() {
    this.#dialog.returnValue = '';
    this.#dialog.showModal();
  }
}
