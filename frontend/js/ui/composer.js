// The message box: Enter sends, Shift+Enter adds a line, the box grows with its text. Files come
// in through the attach button, a paste, or a drop on the chat (addFiles), upload at once and
// wait as chips above the box; a message may be files alone. It also edits one of my messages
// (the text goes back in the box; Enter saves, Escape cancels; edits cannot change files).
// A reply shows the quoted message above the box until it is sent or cancelled (Escape). What
// is typed is kept as the chat's draft (drafts.js); "@" in a room offers its members.

import { AttachmentTray } from './attachment-tray.js';
import { MentionSuggestions } from './mention-suggestions.js';

export class Composer {
  #form;
  #input;
  #button;
  #attachButton;
  #editBar;
  #editText;
  #attachments;
  #tray;
  #replyBar;
  #mentions;
  #drafts;
  #chatKey = null;
  #enabled = false;
  #editing = null;
  #replying = null;
  #draft = '';

  /**
   * onSend(content, attachments, replyTo) → false to keep the text and files; onEdit(messageId,
   * content); onTyping() on each change of a new message's text. `attachments`: the
   * PendingAttachments picked for the next message (its onChange must call attachmentsChanged());
   * `drafts`: the Drafts of this user; `members()`: the open room's other members for "@", or null.
   */
  constructor(form, { onSend, onEdit, onTyping, attachments, drafts, members }) {
    this.#form = form;
    this.#input = form.querySelector('.composer-input');
    this.#button = form.querySelector('.send-button');
    this.#attachButton = form.querySelector('.attach-button');
    this.#editBar = form.querySelector('.composer-edit');
    this.#editText = form.querySelector('.composer-edit-text');
    this.#attachments = attachments;
    this.#drafts = drafts;
    this.#replyBar = form.querySelector('.composer-reply');
    this.#mentions = new MentionSuggestions(this.#input, members);
    this.#tray = new AttachmentTray(form.querySelector('.attachment-tray'), {
      onRemove: (localId) => {
        attachments.remove(localId);
        this.#input.focus();
      },
    });
    this.#input.setAttribute('enterkeyhint', 'send');

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const content = this.#input.value.trim();
      if (!this.#enabled) return;
      if (this.#editing) {
        if (!content) return;
        const { id, content: before } = this.#editing;
        if (content !== before) onEdit(id, content);
        this.cancelEdit();
      } else if (this.#canSend(content) && onSend(content, attachments.ready, this.#replying?.id ?? null) !== false) {
        this.#input.value = '';
        attachments.clear();
        this.cancelReply();
        this.#saveDraft();
        this.#refresh();
      }
      this.#input.focus();
    });

    const picker = form.querySelector('.attach-input');
    this.#attachButton.addEventListener('click', () => picker.click());
    picker.addEventListener('change', () => {
      this.addFiles(picker.files);
      picker.value = '';
      this.#input.focus();
    });
    this.#input.addEventListener('paste', (event) => this.#paste(event));

    this.#input.addEventListener('keydown', (event) => {
      if (event.isComposing || this.#mentions.handleKey(event)) return;
      // isComposing: Enter that confirms an IME candidate must not send.
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      } else if (event.key === 'Escape' && (this.#editing || this.#replying)) {
        event.preventDefault();
        if (this.#editing) this.cancelEdit();
        else this.cancelReply();
      }
    });
    this.#input.addEventListener('input', () => {
      this.#refresh();
      if (this.#editing) return;
      this.#saveDraft();
      if (this.#input.value.trim()) onTyping();
    });
    form.querySelector('.composer-reply-cancel').addEventListener('click', () => {
      this.cancelReply();
      this.#input.focus();
    });
    form.querySelector('.composer-edit-cancel').addEventListener('click', () => {
      this.cancelEdit();
      this.#input.focus();
    });
  }

  /** The id of the message being answered, or null. */
  get replyingTo() {
    return this.#replying?.id ?? null;
  }

  get editingId() {
    return this.#editing?.id ?? null;
  }

  /** Whether files may be added now: a conversation I can write to, and not editing. */
  get acceptsFiles() {
    return this.#enabled && !this.#editing;
  }

  setEnabled(enabled) {
    this.#enabled = enabled;
    this.#input.disabled = !enabled;
    this.#attachButton.disabled = !enabled;
    if (!enabled) this.#attachments.clear();
    this.#refresh();
  }

  /** Files picked, dropped or pasted: they start uploading. False if they cannot be taken now. */
  addFiles(files) {
    if (!this.acceptsFiles || files.length === 0) return false;
    this.#attachments.add(files);
    return true;
  }

  /** The pending files changed (added, progressed, finished, removed). */
  attachmentsChanged() {
    this.#tray.render(this.#attachments.items);
    this.#refresh();
  }

  setPlaceholder(text) {
    this.#input.placeholder = text;
  }

  /** Starts over for another conversation (`chatKey`, or null for none) with its draft. */
  reset(chatKey = null) {
    this.cancelEdit();
    this.cancelReply();
    this.#mentions.close();
    this.#chatKey = chatKey;
    this.#input.value = chatKey === null ? '' : this.#drafts.load(chatKey);
    this.#attachments.clear();
    this.#refresh();
  }

  /** The room's members were fetched: "@" being typed offers them now. */
  membersChanged() {
    if (document.activeElement === this.#input) this.#mentions.update();
  }

  /** Answers a message: `{ id, name (its sender), text (what the quote says) }`. */
  startReply({ id, name, text }) {
    this.cancelEdit();
    this.#replying = { id };
    this.#replyBar.querySelector('.composer-reply-title').textContent = `Reply to ${name}`;
    this.#replyBar.querySelector('.composer-reply-text').textContent = text;
    this.#replyBar.hidden = false;
    this.#form.dataset.reply = 'true';
    this.#input.focus();
  }

  cancelReply() {
    if (!this.#replying) return;
    this.#replying = null;
    this.#replyBar.hidden = true;
    delete this.#form.dataset.reply;
  }

  /** The message being answered is gone (deleted): the reply bar goes too. */
  forgetReply(id) {
    if (this.#replying?.id === id) this.cancelReply();
  }

  focus() {
    this.#input.focus();
  }

  /** Puts one of my messages in the box to be edited; what was being typed comes back after. */
  startEdit({ id, content }) {
    this.cancelReply();
    this.#mentions.close();
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

  #saveDraft() {
    if (this.#chatKey !== null) this.#drafts.save(this.#chatKey, this.#input.value);
  }

  #canSend(content) {
    const attachments = this.#attachments;
    return !attachments.busy && (content !== '' || attachments.ready.length > 0);
  }

  /** Pasted files (a screenshot, an image copied from a page) are attached; pasted text stays text. */
  #paste(event) {
    const files = [...(event.clipboardData?.files ?? [])].map(named);
    if (files.length === 0 || !this.addFiles(files)) return;
    if (!event.clipboardData.types.includes('text/plain')) event.preventDefault();
  }

  #refresh() {
    const content = this.#input.value.trim();
    const editing = this.#editing !== null;
    this.#button.disabled = !this.#enabled || (editing ? content === '' : !this.#canSend(content));
    this.#attachButton.hidden = editing;
    this.#tray.hidden = editing || this.#attachments.isEmpty;
    this.#form.dataset.uploading = String(this.#attachments.busy);
    // Grow with the text; the CSS max-height caps it and scrolls beyond.
    this.#input.style.height = '';
    if (this.#input.value && this.#input.offsetParent !== null) {
      this.#input.style.height = 'auto';
      this.#input.style.height = `${this.#input.scrollHeight}px`;
    }
  }
}

/** A pasted image has a generic name ("image.png"): give it one that says when it was pasted. */
function named(file) {
  if (file.name && file.name !== 'image.png') return file;
  const stamp = new Date().toISOString().slice(0, 19).replace('T', ' ').replaceAll(':', '.');
  const extension = file.type.split('/')[1]?.replace('jpeg', 'jpg') || 'bin';
  return new File([file], `Pasted image ${stamp}.${extension}`, { type: file.type });
}
