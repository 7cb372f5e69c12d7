// A signed-in session: wires the REST API, the shared socket and the views together and holds
// the state they share (conversations, unread counts, who is typing, the open conversation).

import * as api from './api.js';
import { ChatList } from './chat-list.js';
import { Conversation } from './conversation.js';
import { loadLatest, loadOlder } from './history.js';
import { Outbox } from './outbox.js';
import { People } from './people.js';
import { asSentence } from './sentence.js';
import { SharedConnection } from './shared-connection.js';
import { chatSocketUrl } from './socket.js';
import { TypingNotifier, TypingPeers } from './typing.js';
import { UnreadCounts } from './unread.js';
import { paintAvatar } from './ui/avatar.js';
import { ChatPane } from './ui/chat-pane.js';
import { ConnectionIndicator } from './ui/connection-indicator.js';
import { fromTemplate } from './ui/element.js';
import { MessageMenu } from './ui/message-menu.js';
import { watchSearch } from './ui/search-box.js';
import { Toaster } from './ui/toast.js';
import { UserList } from './ui/user-list.js';

// "last seen 5 minutes ago" and the list's times are redrawn this often.
const CLOCK_TICK_MS = 30_000;
const NARROW_SCREEN = window.matchMedia('(max-width: 760px)');

export class ChatSession {
  #me;
  #onLogout;
  #onSessionEnded;
  #view;
  #connection;
  #outbox;
  #people = new People();
  #unread = new UnreadCounts();
  #typingPeers;
  #typingNotifier;
  #userList;
  #listHeading;
  #chat;
  #menu;
  #indicator;
  #toaster;
  #stopSearch;

  #conversations = new Map();
  // Peers with a conversation, from GET /conversations and from messages since.
  #chats = new ChatList();
  #openPeerId = null;
  // The read marker last sent per peer, so each is sent once.
  #readSent = new Map();
  #socketState = 'connecting';
  #openedBefore = false;
  // The socket came back after a drop: once the server is ready, refetch what frames don't replay.
  #catchUpOnReady = false;
  #clockTimer = null;
  #stopped = false;

  constructor(me, { onLogout, onSessionEnded }) {
    this.#me = me;
    this.#onLogout = onLogout;
    this.#onSessionEnded = onSessionEnded;
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
    this.#listHeading = view.querySelector('.list-heading');
    this.#userList = new UserList(view.querySelector('.user-list'), view.querySelector('.user-list-empty'), {
      onSelect: (userId) => this.#openConversation(userId),
    });
    this.#stopSearch = watchSearch(view.querySelector('.search-input'), (query) => {
      this.#people.query = query;
      this.#renderList();
      this.#refreshPeople();
    });
    this.#chat = new ChatPane(view.querySelector('.chat'), {
      onSend: (content) => this.#send(content),
      onEdit: (id, content) => this.#edit(id, content),
      onTyping: () => this.#typed(),
      onBack: () => this.#goBack(),
      onNearTop: () => this.#loadOlder(),
      onRetry: (clientId) => this.#outbox.retry(clientId),
      onMenu: (id, anchor, point) => this.#menu.open(id, anchor, point),
    });
    this.#menu = new MessageMenu(view, {
      onEdit: (id) => this.#startEdit(id),
      onDelete: (id) => this.#delete(id),
    });
    this.#typingPeers = new TypingPeers((userId) => this.#typingChanged(userId));

    this.#connection = new SharedConnection({
      name: `parley.socket.${this.#me.id}`,
      urlFor: (since) => chatSocketUrl(api.getToken() ?? '', since),
      mayReconnect: () => this.#tokenStillValid(),
      onFrame: (frame) => this.#handleFrame(frame),
      onStatus: (status) => this.#handleStatus(status),
      onOutgoing: (frame) => this.#handleOutgoing(frame),
    });
    this.#typingNotifier = new TypingNotifier((frame) => this.#connection.send(frame));
    this.#outbox = new Outbox({
      connection: this.#connection,
      conversationFor: (peerId) => this.#conversation(peerId),
      conversations: () => this.#conversations.values(),
      onChange: (conversation) => {
        this.#renderIfOpen(conversation);
        this.#renderList();
      },
      onStalled: () => this.#connection.restart(),
    });

    root.replaceChildren(view);
    window.addEventListener('popstate', this.#handlePopState);
    document.addEventListener('visibilitychange', this.#handleAttention);
    window.addEventListener('focus', this.#handleAttention);
    this.#renderList();
    this.#refreshChats();
    this.#clockTimer = setInterval(() => this.#tick(), CLOCK_TICK_MS);
    this.#connection.start();
    // On a phone, focusing would pop up the keyboard over the list.
    if (!NARROW_SCREEN.matches) view.querySelector('.search-input').focus({ preventScroll: true });
  }

  stop() {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#connection.stop();
    this.#outbox.dispose();
    this.#typingPeers.dispose();
    this.#menu.close();
    clearInterval(this.#clockTimer);
    this.#indicator.dispose();
    this.#stopSearch();
    window.removeEventListener('popstate', this.#handlePopState);
    document.removeEventListener('visibilitychange', this.#handleAttention);
    window.removeEventListener('focus', this.#handleAttention);
    document.title = 'Parley';
  }

  // ---- the sidebar ----

  /** GET /conversations: the list, unread counts and presence. */
  async #refreshChats() {
    let rows;
    try {
      rows = await api.fetchConversations();
    } catch (error) {
      if (error.status !== 401 && !this.#stopped) console.warn('Could not load conversations', error);
      return;
    }
    if (this.#stopped) return;
    for (const { peer, last_message: last, unread_count: unread } of rows) {
      this.#people.remember(peer);
      this.#chats.add(peer.id);
      if (last) this.#conversation(peer.id).addStored(last, this.#me.id);
      this.#unread.setFromServer(peer.id, unread ?? 0, last?.id ?? 0);
    }
    this.#chats.loaded = true;
    this.#showOpenPeer();
    this.#markRead();
    this.#renderList();
  }

  /** GET /users for the search; without one, the sidebar shows the chats. */
  async #refreshPeople() {
    if (!this.#people.query) return;
    if (!(await this.#people.refresh()) || this.#stopped) return;
    this.#showOpenPeer();
    this.#renderList();
  }

  #renderList() {
    const searching = this.#people.query !== '';
    const users = searching ? this.#people.list : this.#chats.byRecency(this.#conversations, this.#people);
    const loaded = searching ? this.#people.loaded : this.#chats.loaded;
    let emptyText = '';
    if (loaded && searching) emptyText = `No one’s name starts with “${this.#people.query}”.`;
    else if (loaded) emptyText = 'No chats yet. Search for someone by name to start one.';

    this.#listHeading.textContent = searching ? 'People' : 'Chats';
    this.#userList.render({
      rows: users.map((user) => this.#row(user)),
      myId: this.#me.id,
      selectedId: this.#openPeerId,
      emptyText,
    });
    const total = this.#unread.total;
    document.title = total > 0 ? `(${total}) Parley` : 'Parley';
  }

  /** One line of the sidebar. */
  #row(user) {
    return {
      user,
      last: this.#conversations.get(user.id)?.last ?? null,
      unread: this.#unread.count(user.id),
      typing: this.#typingPeers.isTyping(user.id),
    };
  }

  #tick() {
    this.#renderList();
    this.#showOpenPeer();
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
    this.#menu.close();
    this.#chat.open(peer, { typing: this.#typingPeers.isTyping(peerId) });
    // On a phone the chat replaces the list: the system back button should bring it back.
    if (this.#view.dataset.view !== 'chat' && NARROW_SCREEN.matches) {
      history.pushState({ parleyChat: peerId }, '');
    }
    this.#view.dataset.view = 'chat';
    this.#markRead();
    this.#renderList();
    if (!NARROW_SCREEN.matches) this.#chat.composer.focus();
    if (alreadyOpen) return;

    const conversation = this.#conversation(peerId);
    this.#renderConversation('reset');
    this.#loadLatest(conversation, { catchUp: conversation.loadedLatest });
  }

  #closeConversation() {
    this.#openPeerId = null;
    this.#menu.close();
    this.#chat.close();
    this.#view.dataset.view = 'list';
    this.#renderList();
  }

  #goBack() {
    if (history.state?.parleyChat !== undefined) history.back();
    else this.#closeConversation();
  }

  #handlePopState = () => {
    if (this.#openPeerId !== null && history.state?.parleyChat === undefined) this.#closeConversation();
  };

  #showOpenPeer() {
    const peer = this.#people.get(this.#openPeerId);
    if (peer) this.#chat.showPeer(peer, { typing: this.#typingPeers.isTyping(peer.id) });
  }

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

  /** Fetches the newest page; with `catchUp`, also what was missed during an outage. */
  async #loadLatest(conversation, { catchUp = false } = {}) {
    try {
      await loadLatest(conversation, this.#me.id, { catchUp });
    } catch (error) {
      if (error.status !== 401 && !this.#stopped) this.#toaster.show(`Could not load messages: ${error.message}`);
      return;
    }
    if (this.#stopped) return;
    this.#renderIfOpen(conversation);
    if (conversation.peerId === this.#openPeerId) this.#markRead();
    this.#renderList();
  }

  async #loadOlder() {
    if (this.#openPeerId === null) return;
    const conversation = this.#conversation(this.#openPeerId);
    if (!conversation.loadedLatest || !conversation.hasOlder || conversation.loadingOlder) return;
    if (conversation.oldestId === null) {
      conversation.hasOlder = false;
      this.#renderConversation('prepend');
      return;
    }
    conversation.loadingOlder = true;
    this.#renderConversation('prepend');
    try {
      await loadOlder(conversation, this.#me.id);
    } catch (error) {
      if (error.status !== 401 && !this.#stopped) this.#toaster.show(`Could not load older messages: ${error.message}`);
    } finally {
      conversation.loadingOlder = false;
    }
    if (!this.#stopped) this.#renderIfOpen(conversation, 'prepend');
  }

  // ---- what I do ----

  #send(content) {
    const peerId = this.#openPeerId;
    if (peerId === null) return false;
    this.#chats.add(peerId);
    this.#outbox.send(this.#conversation(peerId), { senderId: this.#me.id, content });
    this.#typingNotifier.sent(peerId);
    this.#renderConversation('update', { ownMessage: true });
    this.#renderList();
    return true;
  }

  #typed() {
    if (this.#openPeerId !== null) this.#typingNotifier.typed(this.#openPeerId);
  }

  #startEdit(id) {
    const message = this.#openPeerId === null ? null : this.#conversation(this.#openPeerId).findStored(id);
    if (message && !message.deletedAt) this.#chat.composer.startEdit({ id, content: message.content });
  }

  async #edit(id, content) {
    try {
      this.#applyStored(await api.editMessage(id, content));
    } catch (error) {
      if (error.status !== 401) this.#toaster.show(`Could not edit the message: ${asSentence(error.message)}`);
    }
  }

  async #delete(id) {
    if (this.#chat.composer.editingId === id) this.#chat.composer.cancelEdit();
    try {
      this.#applyStored(await api.deleteMessage(id));
    } catch (error) {
      if (error.status !== 401) this.#toaster.show(`Could not delete the message: ${asSentence(error.message)}`);
    }
  }

  /** A message JSON from the REST API (after an edit or delete). */
  #applyStored(raw) {
    if (!raw || this.#stopped) return;
    const peerId = raw.sender_id === this.#me.id ? raw.recipient_id : raw.sender_id;
    const conversation = this.#conversation(peerId);
    conversation.addStored(raw, this.#me.id);
    this.#renderIfOpen(conversation);
    this.#renderList();
  }

  /** Sends a read marker for the open conversation if someone is looking at it. */
  #markRead() {
    const peerId = this.#openPeerId;
    if (peerId === null || document.visibilityState !== 'visible' || !document.hasFocus()) return;
    const upTo = this.#conversation(peerId).newestIncomingId;
    let changed = this.#unread.markRead(peerId, upTo ?? Infinity);
    if (upTo !== null && upTo > (this.#readSent.get(peerId) ?? 0)
      && this.#connection.send({ type: 'read', peer_id: peerId, up_to: upTo })) {
      this.#readSent.set(peerId, upTo);
      changed = true;
    }
    if (changed) this.#renderList();
  }

  #handleAttention = () => {
    this.#markRead();
    this.#renderList();
  };

  // ---- the socket ----

  #handleStatus(status) {
    this.#indicator.show(status);
    const previous = this.#socketState;
    this.#socketState = status.state;
    if (status.state === 'ended') {
      this.#onSessionEnded();
      return;
    }
    if (status.state === 'open' && previous !== 'open') {
      const reconnected = this.#openedBefore;
      this.#openedBefore = true;
      this.#catchUpOnReady = reconnected;
      // Waiting messages go on `ready`, after the replay (which may confirm some of them).
      this.#outbox.connectionOpened();
    } else if (status.state !== 'open' && previous === 'open') {
      this.#outbox.connectionLost();
    }
  }

  #handleReady() {
    this.#outbox.flush();
    // Read markers go again on a new socket; they only move forward on the server.
    this.#readSent.clear();
    this.#markRead();
    // Unread counts, presence and read receipts are not in the replay: fetch them again.
    const catchUp = this.#catchUpOnReady;
    this.#catchUpOnReady = false;
    if (catchUp || !this.#chats.loaded) this.#refreshChats();
    if (catchUp && this.#openPeerId !== null) {
      this.#loadLatest(this.#conversation(this.#openPeerId), { catchUp: true });
    }
    this.#renderList();
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
    if (this.#stopped) return;
    switch (frame?.type) {
      case 'message': this.#receiveMessage(frame); break;
      case 'ack':
        // A message from another tab may be the first with someone this tab has not seen.
        if (this.#outbox.acknowledge(frame)) this.#learnNewPeers();
        break;
      case 'error': this.#receiveError(frame); break;
      case 'ready': this.#handleReady(); break;
      case 'delivered': this.#receiveDelivered(frame); break;
      case 'read': this.#receiveRead(frame); break;
      case 'edited':
      case 'deleted': this.#receiveChange(frame); break;
      case 'typing': this.#typingPeers.receive(frame); break;
      case 'presence': this.#receivePresence(frame); break;
      default: console.warn('Ignoring an unknown frame', frame);
    }
  }

  /** Another tab of this browser sent a frame through the shared socket. */
  #handleOutgoing(frame) {
    if (this.#stopped) return;
    if (frame.type === 'message') {
      this.#chats.add(frame.recipient_id);
      this.#outbox.observe(frame, this.#me.id);
    } else if (frame.type === 'read') {
      this.#readSent.set(frame.peer_id, Math.max(frame.up_to, this.#readSent.get(frame.peer_id) ?? 0));
      if (this.#unread.markRead(frame.peer_id, frame.up_to)) this.#renderList();
    }
  }

  #receiveMessage(frame) {
    // A message I sent from another device arrives here too: file it under its recipient.
    const mine = frame.sender_id === this.#me.id;
    const peerId = mine ? frame.recipient_id : frame.sender_id;
    if (!mine) this.#typingPeers.stop(peerId);
    const conversation = this.#conversation(peerId);
    const added = conversation.addStored(frame, this.#me.id);
    // A replayed copy of a message of ours whose ack was lost: it is stored, go on to the next.
    if (mine && !added) this.#outbox.settled();
    this.#chats.add(peerId);

    if (peerId === this.#openPeerId) this.#renderConversation();
    if (!mine && added && !frame.deleted_at) this.#unread.add(peerId, frame.id);
    if (!mine && peerId === this.#openPeerId) this.#markRead();
    this.#learnNewPeers();
    this.#renderList();
  }

  /** Fetches the list again if a conversation is with someone this tab knows nothing about. */
  #learnNewPeers() {
    if (this.#chats.hasStrangers(this.#people)) this.#refreshChats();
  }

  #receiveError(frame) {
    const text = asSentence(frame.message || 'The server refused the request.');
    if (frame.client_id && this.#outbox.reject(frame, text)) return;
    // Typing and read frames are best effort: being told to slow down needs no notice.
    if (frame.code === 'rate_limited') return;
    this.#toaster.show(text);
  }

  #receiveDelivered({ message_ids: ids }) {
    if (!Array.isArray(ids)) return;
    for (const conversation of this.#conversations.values()) {
      if (conversation.markDelivered(ids)) this.#renderIfOpen(conversation);
    }
    this.#renderList();
  }

  #receiveRead({ reader_id: readerId, peer_id: peerId, up_to: upTo }) {
    if (readerId === this.#me.id) {
      // I read this conversation on another device.
      this.#readSent.set(peerId, Math.max(upTo, this.#readSent.get(peerId) ?? 0));
      if (this.#unread.markRead(peerId, upTo)) this.#renderList();
      return;
    }
    const conversation = this.#conversation(readerId);
    if (conversation.markReadByPeer(upTo, this.#me.id)) {
      this.#renderIfOpen(conversation);
      this.#renderList();
    }
  }

  #receiveChange(frame) {
    const peerId = frame.sender_id === this.#me.id ? frame.recipient_id : frame.sender_id;
    const conversation = this.#conversations.get(peerId);
    if (!conversation) return;
    const changed = frame.type === 'edited' ? conversation.applyEdit(frame) : conversation.applyDelete(frame);
    if (!changed) return;
    if (frame.type === 'deleted' && this.#chat.composer.editingId === frame.message_id) this.#chat.composer.cancelEdit();
    this.#renderIfOpen(conversation);
    this.#renderList();
  }

  #receivePresence(frame) {
    if (!this.#people.setPresence(frame)) return;
    this.#showOpenPeer();
    this.#renderList();
  }

  #typingChanged(userId) {
    if (this.#stopped) return;
    if (userId === this.#openPeerId) this.#showOpenPeer();
    this.#renderList();
  }
}
