// A message's files in its bubble: images as thumbnails at their aspect ratio (the box has its
// final size before the picture arrives, so nothing jumps), opening the full image on click;
// other files as a chip with name, size and a download link. The history is redrawn often, so
// the nodes of one render are kept for the next: a picture is not loaded (or flashed) again.
//
// Links are signed and expire: when a picture fails to load, onLinkFailed asks for fresh links
// (the history is fetched again) and the picture is tried once more, then shown as unavailable.

import { formatSize, isImage } from './attachment-text.js';
import { element } from './element.js';
import { downloadIcon, fileIcon, svgIcon } from './icons.js';

// The longest side of a picture in a bubble, alone and beside others.
const SINGLE_MAX_PX = 320;
const GROUPED_MAX_PX = 200;
const MIN_SIDE_PX = 48;
// Panoramas and strips get a box within these ratios; the picture is cropped to fill it.
const MIN_RATIO = 0.4;
const MAX_RATIO = 3;

export class MessageAttachments {
  #onOpen;
  #onLinkFailed;
  #kept = new Map();
  #next = new Map();

  /**
   * @param {object} handlers
   * @param {(attachment: object, thumbnail: string) => void} handlers.onOpen  an image was clicked
   * @param {(messageId: number|null) => Promise<void>} handlers.onLinkFailed  a picture of this
   *   message did not load; resolves once fresh links may have arrived
   */
  constructor({ onOpen, onLinkFailed }) {
    this.#onOpen = onOpen;
    this.#onLinkFailed = onLinkFailed;
  }

  /** Call after each render: nodes not used by it are let go. */
  rendered() {
    this.#kept = this.#next;
    this.#next = new Map();
  }

  forget() {
    this.#kept = new Map();
    this.#next = new Map();
  }

  /** The files of `message`, or null when it has none. */
  nodeFor(message) {
    const attachments = message.attachments ?? [];
    if (attachments.length === 0) return null;
    const images = attachments.filter(isImage);
    const files = attachments.filter((attachment) => !isImage(attachment));
    const maxSide = images.length > 1 ? GROUPED_MAX_PX : SINGLE_MAX_PX;
    const kind = files.length === 0 ? 'images' : images.length === 0 ? 'files' : 'mixed';
    return element('div', { className: 'message-attachments', dataset: { kind } }, [
      images.length > 0 ? element('div', { className: 'attachment-images', dataset: { count: String(images.length) } },
        images.map((image) => this.#keep(`i${image.id}|${image.thumbnail_url}|${maxSide}`,
          () => this.#imageTile(image, message.id, maxSide)))) : null,
      ...files.map((file) => this.#keep(`f${file.id}|${file.url}`, () => fileChip(file))),
    ]);
  }

  #keep(key, make) {
    const node = this.#kept.get(key) ?? this.#next.get(key) ?? make();
    this.#next.set(key, node);
    return node;
  }

  #imageTile(attachment, messageId, maxSide) {
    const { width, height } = attachment;
    const ratio = Math.min(MAX_RATIO, Math.max(MIN_RATIO, width / height));
    const scale = Math.min(1, maxSide / width, maxSide / height);
    const tile = element('button', {
      className: 'attachment-image',
      attrs: { type: 'button', 'aria-label': `Open image ${attachment.name}`, title: attachment.name },
      dataset: { attachmentId: attachment.id, state: 'loading' },
    });
    tile.style.aspectRatio = `${ratio}`;
    tile.style.width = `${Math.max(MIN_SIDE_PX, Math.round(width * scale))}px`;
    tile.addEventListener('click', () => {
      if (tile.dataset.state !== 'broken') this.#onOpen(attachment, tile.querySelector('img')?.src ?? '');
    });

    let retried = false;
    const load = () => {
      const image = element('img', {
        attrs: { src: attachment.thumbnail_url, alt: attachment.name, width, height, decoding: 'async' },
      });
      image.addEventListener('load', () => {
        tile.dataset.state = 'loaded';
      }, { once: true });
      image.addEventListener('error', async () => {
        if (retried) {
          showBroken(tile);
          return;
        }
        retried = true;
        tile.dataset.state = 'retrying';
        await this.#onLinkFailed(messageId);
        // Fresh links drew a new tile in place of this one; else the same link is tried once more.
        if (tile.isConnected) tile.replaceChildren(load());
      }, { once: true });
      return image;
    };
    tile.append(load());
    return tile;
  }
}

function showBroken(tile) {
  tile.dataset.state = 'broken';
  tile.disabled = true;
  tile.replaceChildren(element('span', { className: 'attachment-broken' }, [
    svgIcon('broken-icon', ['M4 5h16v14H4z', 'm4 16 5-5 4 4 3-3 4 4', 'M4 4l16 16']),
    element('span', { text: 'Image unavailable' }),
  ]));
}

function fileChip(file) {
  const text = element('span', { className: 'attachment-file-text' }, [
    element('span', { className: 'attachment-file-name', text: file.name }),
    element('span', { className: 'attachment-file-size', text: file.size === null ? '' : formatSize(file.size) }),
  ]);
  const icon = element('span', { className: 'attachment-file-icon' }, [fileIcon()]);
  if (!file.url) {
    return element('span', { className: 'attachment-file', dataset: { attachmentId: file.id } }, [icon, text]);
  }
  return element('a', {
    className: 'attachment-file',
    attrs: { href: file.url, download: file.name, title: `Download ${file.name}` },
    dataset: { attachmentId: file.id },
  }, [icon, text, downloadIcon()]);
}
