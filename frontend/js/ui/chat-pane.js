// The right-hand pane: the empty state, or the open conversation's header (a person with
// "typing…", online or last seen; a room with who is typing or its summary, and the members
// button; the mute menu; "Offline" while the connection is down), history and composer. A room I am no longer in stays readable but cannot be written to.

import { paintAvatar } from './avatar.js';
import { Composer } from './composer.js';
import { watchDrops } from './drop-zone.js';
import { MessageList } from './message-list.js';
import { MuteMenu } from './mute-menu.js';

export class ChatPane {
  #empty;
  #open;
  #avatar;
  #name;
  #status;
  #membersButton;
  #muteMenu;
  #header = null;
  #readOnly = false;
  composer;
  messages;

  /**
   * @param {HTMLElement} node the .chat element
   * @param {object} handlers onSend(content, attachments, replyTo), onEdit(id, content), onTyping(),
   *   onBack(), onMembers(), onMute(until) (RFC 3339 or null); `list`, the MessageList's handlers (see there); `attachments`, the
   *   PendingAttachments of the composer; `drafts` (drafts.js); `members()`, the open room's
   *   other members for "@" (see Composer)
   */
  constructor(node, {
    onSend, onEdit, onTyping, onBack, onMembers, onMute, list, attachments, drafts, members,
  }) {
    this.#empty = node.querySelector('.chat-empty');
    this.#open = node.querySelector('.chat-open');
    this.#avatar = node.querySelector('.peer-avatar');
    this.#name = node.querySelector('.peer-name');
    this.#status = node.querySelector('.peer-status');
    this.#membersButton = node.querySelector('.members-button');
    node.querySelector('.back-button').addEventListener('click', onBack);
    this.#membersButton.addEventListener('click', onMembers);
    this.#muteMenu = new MuteMenu(node.querySelector('.mute-control'), { onChoose: onMute });
    this.composer = new Composer(node.querySelector('.composer'), {
      onSend, onEdit, onTyping, attachments, drafts, members,
    });
    this.messages = new MessageList(node.querySelector('.messages'), list);
    watchDrops(this.#open, {
      canTake: () => this.composer.acceptsFiles,
      onFiles: (files) => this.composer.addFiles(files),
    });
  }

  /** The header shown: { key, name, isRoom, status, online, typing, canShowMembers, canMute, mutedUntil }. */
  get header() {
    return this.#header;
  }

  get membersButton() {
    return this.#membersButton;
  }

  open(header) {
    const changed = this.#header?.key !== header.key;
    this.#empty.hidden = true;
    this.#open.hidden = false;
    this.showHeader(header);
    if (changed) {
      this.messages.clear();
      this.composer.reset(header.key);
      this.setReadOnly(null);
    }
    this.composer.setEnabled(!this.#readOnly);
  }

  close() {
    this.#header = null;
    this.#muteMenu.close();
    this.#open.hidden = true;
    this.#empty.hidden = false;
    this.composer.setEnabled(false);
    this.composer.reset();
    this.messages.clear();
    this.setReadOnly(null);
  }

  showHeader(header) {
    this.#header = header;
    paintAvatar(this.#avatar, header.name);
    this.#avatar.classList.toggle('avatar-room', header.isRoom);
    this.#name.textContent = header.name;
    this.#status.textContent = header.status;
    this.#status.dataset.online = String(Boolean(header.online));
    this.#status.dataset.typing = String(Boolean(header.typing));
    this.#membersButton.hidden = !header.canShowMembers;
    this.#muteMenu.show(header.mutedUntil ?? null);
    this.#muteMenu.hidden = !header.canMute;
  }

  /** `reason` (text) turns the composer off, e.g. after I was removed from the room; null turns it on. */
  setReadOnly(reason) {
    this.#readOnly = reason !== null;
    this.#open.dataset.readOnly = String(this.#readOnly);
    this.composer.setPlaceholder(reason ?? 'Type a message');
    if (this.#header) this.composer.setEnabled(!this.#readOnly);
  }
}
