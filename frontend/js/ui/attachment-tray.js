// The chips above the composer for files picked for the next message: name, size, a preview of
// a picture (from the file itself, else the server's thumbnail once stored), a progress bar
// while uploading, the reason when an upload failed, and × to cancel or remove. Chips are
// updated in place, so progress does not redraw them and a failure is announced once.

import { formatSize, isImage } from './attachment-text.js';
import { element } from './element.js';
import { fileIcon, svgIcon } from './icons.js';

export class AttachmentTray {
  #list;
  #chips = new Map();

  /** @param {HTMLElement} list the .attachment-tray list; onRemove(localId) when × is pressed */
  constructor(list, { onRemove }) {
    this.#list = list;
    list.addEventListener('click', (event) => {
      const button = event.target.closest('button.pending-remove');
      if (button) onRemove(button.closest('.pending-attachment').dataset.localId);
    });
  }

  set hidden(hidden) {
    this.#list.hidden = hidden;
  }

  /** @param {object[]} items see PendingAttachments */
  render(items) {
    const live = new Set(items.map((item) => item.localId));
    for (const [localId, chip] of this.#chips) {
      if (!live.has(localId)) {
        chip.node.remove();
        if (chip.previewUrl) URL.revokeObjectURL(chip.previewUrl);
        this.#chips.delete(localId);
      }
    }
    for (const item of items) {
      let chip = this.#chips.get(item.localId);
      if (!chip) {
        chip = newChip(item);
        this.#chips.set(item.localId, chip);
        this.#list.append(chip.node);
      }
      update(chip, item);
    }
  }
}

function newChip(item) {
  const preview = element('span', { className: 'pending-preview' }, [fileIcon()]);
  const detail = element('span', { className: 'pending-detail' });
  const bar = element('span', { className: 'pending-progress-bar' });
  const progress = element('span', {
    className: 'pending-progress',
    attrs: { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-label': `Uploading ${item.name}` },
  }, [bar]);
  const remove = element('button', { className: 'pending-remove', attrs: { type: 'button' } }, [
    svgIcon('pending-remove-icon', ['M6 6l12 12M18 6 6 18']),
  ]);
  const node = element('li', { className: 'pending-attachment', dataset: { localId: item.localId } }, [
    preview,
    element('span', { className: 'pending-text' }, [
      element('span', { className: 'pending-name', text: item.name, attrs: { title: item.name } }),
      detail,
    ]),
    remove,
    progress,
  ]);
  const chip = { node, preview, detail, progress, bar, remove, state: null, previewUrl: null };
  if (item.file.type.startsWith('image/')) {
    chip.previewUrl = URL.createObjectURL(item.file);
    showPicture(chip, chip.previewUrl);
  }
  return chip;
}

/** The preview shows `src`; if it does not load (not a picture after all), the file icon again. */
function showPicture(chip, src) {
  const image = element('img', { attrs: { src, alt: '', decoding: 'async' } });
  image.addEventListener('error', () => {
    chip.preview.replaceChildren(fileIcon());
    chip.preview.classList.remove('has-image');
  }, { once: true });
  chip.preview.replaceChildren(image);
  chip.preview.classList.add('has-image');
}

function update(chip, item) {
  const percent = Math.round(item.progress * 100);
  chip.bar.style.width = `${percent}%`;
  chip.progress.setAttribute('aria-valuenow', String(percent));
  chip.node.dataset.progress = String(percent);
  if (chip.state === item.state) return;
  chip.state = item.state;
  chip.node.dataset.state = item.state;
  chip.progress.hidden = item.state !== 'uploading';
  const uploading = item.state === 'uploading';
  const label = uploading ? `Cancel upload of ${item.name}` : `Remove ${item.name}`;
  chip.remove.setAttribute('aria-label', label);
  chip.remove.title = uploading ? 'Cancel upload' : 'Remove';
  if (item.state === 'failed') {
    chip.detail.replaceChildren(element('span', { className: 'pending-error', text: item.error, attrs: { role: 'alert' } }));
  } else {
    chip.detail.textContent = formatSize(item.size);
  }
  if (item.state === 'done' && isImage(item.attachment) && !chip.preview.classList.contains('has-image')) {
    showPicture(chip, item.attachment.thumbnail_url);
  }
}
