// The right-hand pane: the empty state, or the open conversation's header, history and composer.

import { paintAvatar } from './avatar.js';
import { Composer } from './composer.js';
import { MessageList } from './message-list.js';

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
   * @param {object} handlers onSend(content), onBack(), onNearTop(), onRetry(clientId)
   */
  constructor(node, { onSend, onBack, onNearTop, onRetry }) {
    this.#empty = node.querySelector('.chat-empty');
    this.#open = node.querySelector('.chat-open');
    this.#peerAvatar = node.querySelector('.peer-avatar');
    this.#peerName = node.querySelector('.peer-name');
    this.#peerStatus = node.querySelector('.peer-status');
    node.querySelector('.back-button').addEventListener('click', onBack);
    this.composer = new Composer(node.querySelector('.composer'), { onSend });
    this.messages = new MessageList(node.querySelector('.messages'), { onNearTop, onRetry });
  }

  get peer() {
    return this.#peer;
  }

  open(peer) {
    const changed = this.#peer?.id !== peer.id;
    this.#peer = peer;
    this.#empty.hidden = true;
    this.#open.hidden = false;
    this.showPeer(peer);
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
    this.messages.clear();
  }

  showPeer(peer) {
    this.#peer = peer;
    paintAvatar(this.#peerAvatar, peer.username);
    this.#peerName.textContent = peer.username;
    this.#peerStatus.textContent = peer.online ? 'Online' : 'Offline';
    this.#peerStatus.dataset.online = String(Boolean(peer.online));
  }
}
