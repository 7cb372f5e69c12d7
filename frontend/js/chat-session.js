// A signed-in session: wires the REST API, the socket and the views together and holds the
// state they share (conversations, unread counts, the open conversation).

import * as api from './api.js';
import { Conversation, PAGE_SIZE } from './conversation.js';
import { Outbox } from './outbox.js';
import { People } from './people.js';
import { asSentence } from './sentence.js';
import { ChatSocket, chatSocketUrl } from './socket.js';
import { paintAvatar } from './ui/avatar.js';
import { ChatPane } from './ui/chat-pane.js';
import { ConnectionIndicator } from './ui/connection-indicator.js';
import { fromTemplate } from './ui/element.js';
import { watchSearch } from './ui/search-box.js';
import { Toaster } from './ui/toast.js';
import { UserList } from './ui/user-list.js';

// There are no presence frames: the list (with its online dots) is polled.
const USER_REFRESH_MS = 15_000;
// After a reconnect, how many older pages to fetch to close a gap before giving up on it.
const CATCH_UP_PAGES = 4;
const NARROW_SCREEN = window.matchMedia('(max-width: 760px)');

export class ChatSession {
  #me;
  #onLogout;
  #view;
  #socket;
  #outbox;
  #people = new People();
  #userList;
  #chat;
  #indicator;
  #toaster;
  #stopSearch;

  #conversations = new Map();
  #unread = new Map();
  #openPeerId = null;
  // Messages that arrived in the open conversation while the tab was in the background.
  #unseenInBackground = 0;
  #refreshTimer = null;
  #stopped = false;

  constructor(me, { onLogout }) {
    this.#me = me;
    this.#onLogout = onLogout;
  }

  /** Renders the chat screen into `root` and connects. */
  start(root) {
    const view = fromTemplate('chat-template');
    this.#view = view;
    view.dataset.view = 'list';

    paintAvatar(view.querySelector('.me-avatar'), this.#me.username);
    view.querySelector('.me-name').textContent = this.#me.username;
    view.querySelector('.logout-button').addEventListener('click', () => this.#onLogout());

    this.#indicator = new ConnectionIndicator(view.querySelector('.connection'), view.querySelector('.connection-banner'));
    this.#toaster = new Toaster(view);
    this.#userList = new UserList(view.querySelector('.user-list'), view.querySelector('.user-list-empty'), {
      onSelect: (userId) => this.#openConversation(userId),
    });
    this.#stopSearch = watchSearch(view.querySelector('.search-input'), (query) => {
      this.#people.query = query;
      this.#refreshUsers();
    });
    this.#chat = new ChatPane(view.querySelector('.chat'), {
      onSend: (content) => this.#send(content),
      onBack: () => this.#goBack(),
      onNearTop: () => this.#loadOlder(),
      onRetry: (clientId) => this.#outbox.retry(clientId),
    });

    this.#socket = new ChatSocket({
      urlFor: () => chatSocketUrl(api.getToken() ?? ''),
      onFrame: (frame) => this.#handleFrame(frame),
      onOpen: (reconnected) => this.#handleOpen(reconnected),
      onStatus: (status) => this.#handleStatus(status),
      mayReconnect: () => this.#tokenStillValid(),
    });
    this.#outbox = new Outbox({
      socket: this.#socket,
      conversations: () => this.#conversations.values(),
      onChange: (conversation) => {
        this.#renderIfOpen(conversation);
        this.#renderUsers();
      },
    });

    root.replaceChildren(view);
    window.addEventListener('popstate', this.#handlePopState);
    document.addEventListener('visibilitychange', this.#handleVisibility);
    this.#renderUsers();
    this.#refreshUsers();
    this.#refreshTimer = setInterval(() => this.#refreshUsers(), USER_REFRESH_MS);
    this.#socket.start();
    // On a phone, focusing would pop up the keyboard over the list.
    if (!NARROW_SCREEN.matches) view.querySelector('.search-input').focus({ preventScroll: true });
  }

  stop() {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#socket.stop();
    this.#outbox.dispose();
    clearInterval(this.#refreshTimer);
    this.#indicator.dispose();
    this.#stopSearch();
    window.removeEventListener('popstate', this.#handlePopState);
    document.removeEventListener('visibilitychange', this.#handleVisibility);
    document.title = 'Parley';
  }

  // ---- people ----

  async #refreshUsers() {
    if (!(await this.#people.refresh()) || this.#stopped) return;
    const peer = this.#people.get(this.#openPeerId);
    if (peer) this.#chat.showPeer(peer);
    this.#renderUsers();
  }

  #renderUsers() {
    const previews = new Map();
    for (const [peerId, conversation] of this.#conversations) {
      const last = conversation.last;
      if (last) previews.set(peerId, `${last.senderId === this.#me.id ? 'You: ' : ''}${last.content}`);
    }
    this.#userList.render({
      users: this.#people.list,
      selectedId: this.#openPeerId,
      unread: this.#unread,
      previews,
      query: this.#people.query,
      loaded: this.#people.loaded,
    });
    const total = [...this.#unread.values()].reduce((sum, count) => sum + count, this.#unseenInBackground);
    document.title = total > 0 ? `(${total}) Parley` : 'Parley';
  }

  // ---- the open conversation ----

  #conversation(peerId) {
    let conversation = this.#conversations.get(peerId);
    if (!conversation) {
      conversation = new Conversation(peerId);
      this.#conversations.set(peerId, conversation);
    }
    return conversation;
  }

  #openConversation(peerId) {
    const peer = this.#people.get(peerId);
    if (!peer) return;
    const alreadyOpen = this.#openPeerId === peerId;
    this.#openPeerId = peerId;
    this.#unread.delete(peerId);
    this.#chat.open(peer);
    // On a phone the chat replaces the list: the system back button should bring it back.
    if (this.#view.dataset.view !== 'chat' && NARROW_SCREEN.matches) {
      history.pushState({ parleyChat: peerId }, '');
    }
    this.#view.dataset.view = 'chat';
    this.#renderUsers();
    if (!NARROW_SCREEN.matches) this.#chat.composer.focus();
    if (alreadyOpen) return;

    const conversation = this.#conversation(peerId);
    this.#renderConversation('reset');
    this.#loadLatest(conversation, { catchUp: conversation.loadedLatest });
  }

  #closeConversation() {
    this.#openPeerId = null;
    this.#chat.close();
    this.#view.dataset.view = 'list';
    this.#renderUsers();
  }

  #goBack() {
    if (history.state?.parleyChat !== undefined) history.back();
    else this.#closeConversation();
  }

  #handlePopState = () => {
    if (this.#openPeerId !== null && history.state?.parleyChat === undefined) this.#closeConversation();
  };

  #renderConversation(mode = 'update', { ownMessage = false } = {}) {
    if (this.#openPeerId === null) return;
    this.#chat.messages.render(this.#conversation(this.#openPeerId), {
      myId: this.#me.id,
      peerName: this.#chat.peer?.username ?? '',
      mode,
      ownMessage,
    });
  }

  #renderIfOpen(conversation, mode = 'update') {
    if (conversation.peerId === this.#openPeerId) this.#renderConversation(mode);
  }

  /** Fetches the newest page and merges it; with `catchUp`, also closes a gap left by an outage. */
  async #loadLatest(conversation, { catchUp = false } = {}) {
    const newestKnown = conversation.newestId;
    let rows;
    try {
      rows = await api.fetchMessages(conversation.peerId, { limit: PAGE_SIZE });
      if (catchUp && newestKnown !== null) rows = await this.#fetchBackTo(conversation.peerId, rows, newestKnown);
    } catch (error) {
      if (error.status !== 401) this.#toaster.show(`Could not load messages: ${error.message}`);
      return;
    }
    if (this.#stopped) return;
    if (catchUp && newestKnown !== null && rows.length > 0 && !rows.some((row) => row.id <= newestKnown)) {
      // Still a gap after several pages: drop what is below it; scrolling up refetches it.
      conversation.forgetOlderThan(rows[0].id);
    }
    conversation.mergePage(rows, this.#me.id, { older: false });
    this.#renderIfOpen(conversation);
    this.#renderUsers();
  }

  /** Prepends older pages to `rows` until they reach `newestKnown` (or a page limit). */
  async #fetchBackTo(peerId, rows, newestKnown) {
    let all = rows;
    let lastPage = rows;
    for (let page = 0; page < CATCH_UP_PAGES; page += 1) {
      const oldest = all[0];
      if (!oldest || oldest.id <= newestKnown || lastPage.length < PAGE_SIZE) break;
      lastPage = await api.fetchMessages(peerId, { before: oldest.id, limit: PAGE_SIZE });
      all = [...lastPage, ...all];
    }
    return all;
  }

  async #loadOlder() {
    if (this.#openPeerId === null) return;
    const conversation = this.#conversation(this.#openPeerId);
    if (!conversation.loadedLatest || !conversation.hasOlder || conversation.loadingOlder) return;
    const before = conversation.oldestId;
    if (before === null) {
      conversation.hasOlder = false;
      this.#renderConversation('prepend');
      return;
    }
    conversation.loadingOlder = true;
    this.#renderConversation('prepend');
    try {
      const rows = await api.fetchMessages(conversation.peerId, { before, limit: PAGE_SIZE });
      conversation.mergePage(rows, this.#me.id, { older: true });
    } catch (error) {
      if (error.status !== 401) this.#toaster.show(`Could not load older messages: ${error.message}`);
    } finally {
      conversation.loadingOlder = false;
    }
    if (!this.#stopped) this.#renderIfOpen(conversation, 'prepend');
  }

  #send(content) {
    if (this.#openPeerId === null) return false;
    this.#outbox.send(this.#conversation(this.#openPeerId), { senderId: this.#me.id, content });
    this.#renderConversation('update', { ownMessage: true });
    this.#renderUsers();
    return true;
  }

  // ---- the socket ----

  #handleStatus(status) {
    this.#indicator.show(status);
    if (status.state === 'waiting') this.#outbox.connectionLost();
  }

  #handleOpen(reconnected) {
    this.#outbox.flush();
    if (!reconnected) return;
    this.#refreshUsers();
    if (this.#openPeerId !== null) {
      this.#loadLatest(this.#conversation(this.#openPeerId), { catchUp: true });
    }
  }

  async #tokenStillValid() {
    try {
      await api.fetchMe();
      return true;
    } catch (error) {
      // A 401 has already sent the app back to the sign-in screen (see main.js).
      return error.status !== 401;
    }
  }

  #handleFrame(frame) {
    switch (frame?.type) {
      case 'message': this.#receiveMessage(frame); break;
      case 'ack': this.#outbox.acknowledge(frame); break;
      case 'error': this.#receiveError(frame); break;
      default: console.warn('Ignoring an unknown frame', frame);
    }
  }

  #receiveMessage(frame) {
    // A message I sent from another tab arrives here too: file it under its recipient.
    const mine = frame.sender_id === this.#me.id;
    const peerId = mine ? frame.recipient_id : frame.sender_id;
    const conversation = this.#conversation(peerId);
    if (!conversation.addStored(frame, this.#me.id)) return;

    const isOpen = peerId === this.#openPeerId;
    if (isOpen) this.#renderConversation();
    if (!mine && isOpen && document.hidden) this.#unseenInBackground += 1;
    if (!mine && !isOpen) this.#unread.set(peerId, (this.#unread.get(peerId) ?? 0) + 1);
    if (!this.#people.has(peerId)) this.#refreshUsers();
    this.#renderUsers();
  }

  #receiveError(frame) {
    const text = asSentence(frame.message || 'The server refused the request.');
    if (frame.client_id && this.#outbox.reject(frame.client_id, text)) return;
    this.#toaster.show(text);
  }

  #handleVisibility = () => {
    if (document.visibilityState !== 'visible') return;
    this.#unseenInBackground = 0;
    this.#renderUsers();
    this.#refreshUsers();
  };
}
