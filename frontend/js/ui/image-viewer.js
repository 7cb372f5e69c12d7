// The full picture over the app, in a modal <dialog>: Escape, a click anywhere but the download
// link, or the close button closes it, and focus goes back to the thumbnail that opened it. The
// thumbnail (already loaded) shows at once at the picture's aspect ratio; the full picture
// replaces it when it has arrived.

import { formatSize } from './attachment-text.js';

// The share of the window the picture may cover (the rest: the caption and the close button).
const FIT_WIDTH = 0.94;
const FIT_HEIGHT = 0.82;

export class ImageViewer {
  #dialog;
  #image;
  #name;
  #note;
  #download;
  // Which opening a late full picture belongs to.
  #opening = 0;

  constructor(dialog) {
    this.#dialog = dialog;
    this.#image = dialog.querySelector('.image-viewer-image');
    this.#name = dialog.querySelector('.image-viewer-name');
    this.#note = dialog.querySelector('.image-viewer-note');
    this.#download = dialog.querySelector('.image-viewer-download');
    dialog.addEventListener('click', (event) => {
      if (!event.target.closest('.image-viewer-download')) this.close();
    });
    dialog.addEventListener('close', () => {
      this.#opening += 1;
      this.#image.removeAttribute('src');
    });
  }

  /** @param {object} attachment the server's JSON; `thumbnail` the src already shown in the bubble */
  open(attachment, thumbnail) {
    const opening = ++this.#opening;
    const image = this.#image;
    image.alt = attachment.name;
    this.#dialog.setAttribute('aria-label', attachment.name);
    // Its final size now, so the full picture does not resize the box when it arrives.
    const scale = Math.min(1, (window.innerWidth * FIT_WIDTH) / attachment.width,
      (window.innerHeight * FIT_HEIGHT) / attachment.height);
    image.style.width = `${Math.round(attachment.width * scale)}px`;
    image.style.height = `${Math.round(attachment.height * scale)}px`;
    image.src = thumbnail || attachment.url;
    image.dataset.full = 'false';
    this.#name.textContent = `${attachment.name} · ${attachment.width} × ${attachment.height} · ${formatSize(attachment.size)}`;
    this.#note.hidden = true;
    this.#download.href = attachment.url;
    this.#download.download = attachment.name;

    const full = new Image();
    full.addEventListener('load', () => {
      if (opening !== this.#opening) return;
      image.src = full.src;
      image.dataset.full = 'true';
    });
    full.addEventListener('error', () => {
      if (opening !== this.#opening) return;
      this.#note.textContent = 'The full picture could not be loaded.';
      this.#note.hidden = false;
    });
    full.src = attachment.url;

    if (!this.#dialog.open) this.#dialog.showModal();
    this.#dialog.querySelector('.image-viewer-close').focus();
  }

  close() {
    if (this.#dialog.open) this.#dialog.close();
  }
}
