// Files picked for the next message: each uploads at once (POST /attachments) and waits as a
// chip above the composer until the message is sent. An upload can be cancelled (the request is
// aborted); one that failed stays with its reason until removed. What the server stored but no
// message used is deleted by the server after a while, so nothing is cleaned up here.

import { uploadAttachment } from './api.js';
import { attachmentErrorText } from './ui/attachment-text.js';

/** The server takes at most this many attachments on one message. */
export const MAX_ATTACHMENTS = 10;

let localSequence = 0;

/**
 * An item: { localId, file, name, size, state: 'uploading' | 'done' | 'failed', progress (0–1),
 * error (text when failed), attachment (the server's JSON when done) }.
 */
export class PendingAttachments {
  #items = [];
  #aborts = new Map();
  #onChange;
  #onNotice;

  /**
   * @param {object} options
   * @param {() => void} options.onChange  an item was added, progressed, finished or removed
   * @param {(text: string) => void} options.onNotice  something to tell that belongs to no item
   */
  constructor({ onChange, onNotice }) {
    this.#onChange = onChange;
    this.#onNotice = onNotice;
  }

  get items() {
    return [...this.#items];
  }

  get isEmpty() {
    return this.#items.length === 0;
  }

  /** Some upload has not finished: sending waits for it. */
  get busy() {
    return this.#items.some((item) => item.state === 'uploading');
  }

  /** The uploaded attachments, in the order they were picked. */
  get ready() {
    return this.#items.filter((item) => item.state === 'done').map((item) => item.attachment);
  }

  /** Starts uploading `files` (a FileList or an array), up to MAX_ATTACHMENTS in all. */
  add(files) {
    const list = [...files];
    const room = MAX_ATTACHMENTS - this.#items.filter((item) => item.state !== 'failed').length;
    if (list.length > room) {
      this.#onNotice(`You can send up to ${MAX_ATTACHMENTS} files in one message.`);
    }
    for (const file of list.slice(0, Math.max(0, room))) this.#upload(file);
    this.#onChange();
  }

  /** The × on a chip: aborts its upload if it is still going, and forgets it. */
  remove(localId) {
    this.#aborts.get(localId)?.();
    this.#aborts.delete(localId);
    this.#items = this.#items.filter((item) => item.localId !== localId);
    this.#onChange();
  }

  /** After sending, or when another conversation opens: aborts what is still uploading. */
  clear() {
    if (this.#items.length === 0) return;
    for (const abort of this.#aborts.values()) abort();
    this.#aborts.clear();
    this.#items = [];
    this.#onChange();
  }

  #upload(file) {
    const item = {
      localId: `u${++localSequence}`,
      file,
      name: file.name || 'file',
      size: file.size,
      state: 'uploading',
      progress: 0,
      error: null,
      attachment: null,
    };
    this.#items.push(item);
    const { done, abort } = uploadAttachment(file, {
      onProgress: (fraction) => {
        item.progress = fraction;
        this.#onChange();
      },
    });
    this.#aborts.set(item.localId, abort);
    done.then((attachment) => {
      item.state = 'done';
      item.progress = 1;
      item.attachment = attachment;
    }, (error) => {
      item.state = 'failed';
      item.error = attachmentErrorText(error);
    }).finally(() => {
      this.#aborts.delete(item.localId);
      // Removed (cancelled) meanwhile: nothing to draw.
      if (this.#items.includes(item)) this.#onChange();
    });
  }
}
