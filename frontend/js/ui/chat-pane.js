// The right-hand pane: the empty state, or the open conversation's header (with "typing…",
// online or last seen), history and composer.

import { paintAvatar } from './avatar.js';
import { Composer } from './composer.js';
import { MessageList } from './message-list.js';
import { presenceText } from './presence-text.js';

export class ChatPane {
  #empty;
  #open;
  #peerAvatar;
  #peerName;
  #peerStatus;
  #peer = null;
  composer;
  messages;

  /**
   * @param {HTMLElement} node the .chat element
   * @param {object} handlers onSend(content), onEdit(id, content), onTyping(), onBack(),
   *   onNearTop(), onRetry(clientId), onMenu(messageId, anchor, point)
   */
  constructor(node, { onSend, onEdit, onTyping, onBack, onNearTop, onRetry, onMenu }) {
    this.#empty = node.querySelector('.chat-empty');
    this.#open = node.querySelector('.chat-open');
    this.#peerAvatar = node.querySelector('.peer-avatar');
    this.#peerName = node.querySelector('.peer-name');
    this.#peerStatus = node.querySelector('.peer-status');
    node.querySelector('.back-button').addEventListener('click', onBack);
    this.composer = new Composer(node.querySelector('.composer'), { onSend, onEdit, onTyping });
    this.messages = new MessageList(node.querySelector('.messages'), { onNearTop, onRetry, onMenu });
  }

  get peer() {
    return this.#peer;
  }

  open(peer, { typing = false } = {}) {
    const changed = this.#peer?.id !== peer.id;
    this.#peer = peer;
    this.#empty.hidden = true;
    this.#open.hidden = false;
    this.showPeer(peer, { typing });
    if (changed) {
      this.messages.clear();
      this.composer.reset();
    }
    this.composer.setEnabled(true);
  }

  close() {
    this.#peer = null;
    this.#open.hidden = true;
    this.#empty.hidden = false;
    this.composer.setEnabled(false);
    this.composer.reset();
    this.messages.clear();
  }

  showPeer(peer, { typing = false } = {}) {
    this.#peer = peer;
    paintAvatar(this.#peerAvatar, peer.username);
    this.#peerName.textContent = peer.username;
    this.#peerStatus.textContent = typing ? 'typing…' : presenceText(peer);
    this.#peerStatus.dataset.online = String(Boolean(peer.online));
    this.#peerStatus.dataset.typing = String(typing);
  }
}
