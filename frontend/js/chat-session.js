// A signed-in session: wires the REST API, the shared socket and the views together and holds
// the state they share (conversations with people and rooms, unread counts, who is typing, the
// open conversation). Conversations are named by key, "user:ID" or "room:ID" (conversation-key.js).

import * as api from './api.js';
import { ChatList } from './chat-list.js';
import { Conversation } from './conversation.js';
import { isRoomKey, keyOfFrame, keyOfOutgoing, parseKey, roomKey, userKey } from './conversation-key.js';
import { loadLatest, loadOlder } from './history.js';
import { Outbox } from './outbox.js';
import { People } from './people.js';
import { ReadMarkers } from './read-markers.js';
import { RenderScheduler } from './render-scheduler.js';
import { RoomMembers } from './room-members.js';
import { RoomSync } from './room-sync.js';
import { Rooms } from './rooms.js';
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
import { NewRoomDialog } from './ui/new-room-dialog.js';
import { presenceText } from './ui/presence-text.js';
import { RoomBrowser } from './ui/room-browser.js';
import { roomSummary, typingText } from './ui/room-text.js';
import { watchSearch } from './ui/search-box.js';
import { SidebarList } from './ui/sidebar-list.js';
import { Toaster } from './ui/toast.js';

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
  #rooms = new Rooms();
  #members;
  #roomSync;
  #unread = new UnreadCounts();
  #typingPeers;
  #typingNotifier;
  #sidebar;
  #listHeading;
  #chat;
  #menu;
  #indicator;
  #toaster;
  #newRoomDialog;
  #roomBrowser;
  #stopSearch;

  #conversations = new Map();
  // Direct conversations (from GET /conversations and messages since) and joined rooms.
  #chats = new ChatList();
  #openKey = null;
  #readMarkers;
  #socketState = 'connecting';
  #openedBefore = false;
  // The socket came back after a drop: once the server is ready, refetch what frames don't replay.
  #catchUpOnReady = false;
  #clockTimer = null;
  #stopped = false;
  #render = new RenderScheduler((parts) => this.#draw(parts));

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
    this.#sidebar = new SidebarList(view.querySelector('.user-list'), view.querySelector('.user-list-empty'), {
      onSelect: (key) => this.#openConversation(key),
    });
    this.#stopSearch = watchSearch(view.querySelector('.search-input'), (query) => {
      this.#people.query = query;
      this.#render.schedule();
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
      onMembers: () => {
        if (isRoomKey(this.#openKey)) this.#members.toggle(parseKey(this.#openKey).id);
      },
    });
    this.#members = new RoomMembers({
      node: view.querySelector('.member-panel'),
      rooms: this.#rooms,
      people: this.#people,
      myId: this.#me.id,
      toaster: this.#toaster,
      onLeave: (roomId) => this.#leaveRoom(roomId),
      onOpenChange: (open) => {
        this.#chat.membersButton.setAttribute('aria-expanded', String(open));
        this.#view.dataset.members = String(open);
      },
    });
    this.#roomSync = new RoomSync({
      rooms: this.#rooms,
      members: this.#members,
      myId: this.#me.id,
      toaster: this.#toaster,
      conversation: (key) => this.#conversation(key),
      isStopped: () => this.#stopped,
      on: {
        joined: (view) => this.#roomJoined(view),
        gone: (roomId, how) => this.#roomGone(roomId, how),
        entered: (view) => this.#enterRoom(view),
        changed: (roomId) => this.#roomChanged(roomId),
        synced: () => this.#roomsSynced(),
      },
    });
    this.#menu = new MessageMenu(view, {
      onEdit: (id) => this.#startEdit(id),
      onDelete: (id) => this.#delete(id),
    });
    this.#newRoomDialog = new NewRoomDialog(view.querySelector('.new-room-dialog'), {
      onCreate: (name, kind) => this.#roomSync.create(name, kind),
    });
    this.#roomBrowser = new RoomBrowser(view.querySelector('.room-browser'), {
      search: (query) => api.listRooms({ q: query }),
      onChoose: (room) => this.#roomSync.join(room),
    });
    view.querySelector('.new-room-button').addEventListener('click', () => this.#newRoomDialog.open());
    view.querySelector('.browse-rooms-button').addEventListener('click', () => this.#roomBrowser.open());
    this.#typingPeers = new TypingPeers((key) => this.#typingChanged(key));

    this.#connection = new SharedConnection({
      name: `parley.socket.${this.#me.id}`,
      urlFor: (since) => chatSocketUrl(api.getToken() ?? '', since),
      mayReconnect: () => this.#tokenStillValid(),
      onFrame: (frame) => this.#handleFrame(frame),
      onStatus: (status) => this.#handleStatus(status),
      onOutgoing: (frame) => this.#handleOutgoing(frame),
    });
    this.#typingNotifier = new TypingNotifier((frame) => this.#connection.send(frame));
    this.#readMarkers = new ReadMarkers((frame) => this.#connection.send(frame));
    this.#outbox = new Outbox({
      connection: this.#connection,
      conversationFor: (key) => this.#conversation(key),
      conversations: () => this.#conversations.values(),
      onChange: (conversation) => {
        this.#renderIfOpen(conversation);
      },
      onStalled: () => this.#connection.restart(),
    });

    root.replaceChildren(view);
    window.addEventListener('popstate', this.#handlePopState);
    document.addEventListener('visibilitychange', this.#handleAttention);
    window.addEventListener('focus', this.#handleAttention);
    this.#render.schedule();
    this.#refreshChats();
    this.#roomSync.refresh();
    this.#clockTimer = setInterval(() => this.#tick(), CLOCK_TICK_MS);
    api.onUnavailable((error) => this.#indicator.showUnavailable(error.retryAfterMs));
    this.#connection.start();
    // On a phone, focusing would pop up the keyboard over the list.
    if (!NARROW_SCREEN.matches) view.querySelector('.search-input').focus({ preventScroll: true });
  }

  stop() {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#render.dispose();
    api.onUnavailable(null);
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
      const key = userKey(peer.id);
      this.#people.remember(peer);
      this.#chats.add(key);
      if (last) this.#conversation(key).addStored(last, this.#me.id);
      this.#unread.setFromServer(key, unread ?? 0, last?.id ?? 0);
    }
    this.#chats.loaded = true;
    this.#markRead();
    this.#render.schedule();
  }

  /** A room I am in, from the server: on the list, with its unread count and last message. */
  #roomJoined(view) {
    const key = roomKey(view.id);
    this.#chats.add(key);
    if (view.last_message) this.#conversation(key).addStored(view.last_message, this.#me.id);
    this.#unread.setFromServer(key, view.unread_count ?? 0, view.last_message?.id ?? 0);
  }

  #roomsSynced() {
    if (isRoomKey(this.#openKey)) this.#syncOpenRoom();
    this.#markRead();
    this.#render.schedule();
  }

  /** A room's view (member count, my role) or history changed. */
  #roomChanged(roomId) {
    this.#render.schedule({ conversation: this.#openKey === roomKey(roomId) ? 'update' : null });
  }

  /** GET /users for the search; without one, the sidebar shows the chats. */
  async #refreshPeople() {
    if (!this.#people.query) return;
    if (!(await this.#people.refresh()) || this.#stopped) return;
    this.#render.schedule();
  }

  /** The scheduled render: the sidebar, the open conversation's header and, if asked, its history. */
  #draw({ conversation, ownMessage }) {
    this.#drawList();
    this.#drawHeader();
    if (conversation !== null) this.#drawConversation(conversation, { ownMessage });
  }

  #drawList() {
    const searching = this.#people.query !== '';
    const keys = searching
      ? this.#people.list.map((user) => userKey(user.id))
      : this.#chats.byRecency(this.#conversations, (key) => this.#shownInList(key), (key) => this.#createdAt(key));
    const loaded = searching ? this.#people.loaded : this.#chats.loaded;
    let emptyText = '';
    if (loaded && searching) emptyText = `No one’s name starts with “${this.#people.query}”.`;
    else if (loaded) emptyText = 'No chats yet. Search for someone by name, or create or join a room.';

    this.#listHeading.textContent = searching ? 'People' : 'Chats';
    this.#sidebar.render({
      rows: keys.map((key) => this.#row(key)),
      myId: this.#me.id,
      selectedKey: this.#openKey,
      emptyText,
    });
    const total = this.#unread.total;
    document.title = total > 0 ? `(${total}) Parley` : 'Parley';
  }

  #shownInList(key) {
    const { kind, id } = parseKey(key);
    if (kind === 'room') return this.#rooms.isJoined(id);
    return this.#people.has(id) && Boolean(this.#conversations.get(key)?.last);
  }

  /** When a room without any loaded activity was made (a new room sorts by it). */
  #createdAt(key) {
    const room = this.#rooms.get(parseKey(key).id);
    return room ? Date.parse(room.created_at) || 0 : 0;
  }

  /** One line of the sidebar. */
  #row(key) {
    const { kind, id } = parseKey(key);
    const last = this.#conversations.get(key)?.last ?? null;
    const base = { key, last, unread: this.#unread.count(key), typing: this.#typingLine(key) };
    if (kind === 'room') {
      const room = this.#rooms.get(id);
      let lastSender = null;
      if (last) lastSender = last.senderId === this.#me.id ? 'You' : this.#nameOf(last.senderId);
      return {
        ...base,
        name: room?.name ?? 'Room',
        isRoom: true,
        isPrivate: room?.kind === 'private',
        status: room ? roomSummary(room) : '',
        lastSender,
        receipts: false,
      };
    }
    const user = this.#people.get(id);
    return {
      ...base,
      name: user?.username ?? '',
      isRoom: false,
      online: user?.online,
      status: user ? presenceText(user) : '',
      lastSender: null,
      receipts: true,
    };
  }

  /** "typing…" for a person, "Bob is typing…" for a room, '' when no one is. */
  #typingLine(key) {
    const typers = this.#typingPeers.typers(key);
    if (typers.length === 0) return '';
    if (!isRoomKey(key)) return 'typing…';
    return typingText(typers.map((userId) => this.#nameOf(userId) ?? 'Someone'));
  }

  #tick() {
    this.#render.schedule();
  }

  // ---- the open conversation ----

  #conversation(key) {
    let conversation = this.#conversations.get(key);
    if (!conversation) {
      conversation = new Conversation(key, this.#me.id);
      this.#conversations.set(key, conversation);
    }
    return conversation;
  }

  /** The header for a conversation, or null if its person or room is not known. */
  #headerFor(key) {
    const { kind, id } = parseKey(key);
    const typing = this.#typingLine(key);
    if (kind === 'room') {
      const room = this.#rooms.get(id);
      if (!room) return null;
      return {
        key, name: room.name, isRoom: true, online: false, typing: Boolean(typing),
        status: typing || (room.joined ? roomSummary(room) : 'You are not a member'),
        canShowMembers: room.joined,
      };
    }
    const peer = this.#people.get(id);
    if (!peer) return null;
    return {
      key, name: peer.username, isRoom: false, online: peer.online, typing: Boolean(typing),
      status: typing || presenceText(peer), canShowMembers: false,
    };
  }

  #openConversation(key) {
    const header = this.#headerFor(key);
    if (!header) return;
    const alreadyOpen = this.#openKey === key;
    if (!alreadyOpen) this.#members.close();
    this.#openKey = key;
    this.#menu.close();
    this.#chat.open(header);
    // On a phone the chat replaces the list: the system back button should bring it back.
    if (this.#view.dataset.view !== 'chat' && NARROW_SCREEN.matches) {
      history.pushState({ parleyChat: key }, '');
    }
    this.#view.dataset.view = 'chat';
    if (isRoomKey(key)) this.#syncOpenRoom();
    this.#markRead();
    this.#render.schedule();
    if (!NARROW_SCREEN.matches) this.#chat.composer.focus();
    if (alreadyOpen) return;

    const conversation = this.#conversation(key);
    this.#render.schedule({ conversation: 'reset' });
    if (isRoomKey(key) && !this.#rooms.isJoined(parseKey(key).id)) return;
    this.#loadLatest(conversation, { catchUp: conversation.loadedLatest });
  }

  #closeConversation() {
    this.#openKey = null;
    this.#menu.close();
    this.#members.close();
    this.#chat.close();
    this.#view.dataset.view = 'list';
    this.#render.schedule();
  }

  #goBack() {
    if (history.state?.parleyChat !== undefined) history.back();
    else this.#closeConversation();
  }

  #handlePopState = () => {
    if (this.#openKey !== null && history.state?.parleyChat === undefined) this.#closeConversation();
  };

  #drawHeader() {
    if (this.#openKey === null) return;
    const header = this.#headerFor(this.#openKey);
    if (header) this.#chat.showHeader(header);
  }

  /** The open room's header and whether it can be written to follow the room's state. */
  #syncOpenRoom() {
    const { id } = parseKey(this.#openKey);
    const room = this.#rooms.get(id);
    this.#render.schedule();
    if (room?.joined) {
      this.#chat.setReadOnly(null);
    } else {
      this.#chat.setReadOnly(room?.kind === 'private' || !room
        ? 'You are no longer a member of this group.'
        : 'You left this room. Join it again to write here.');
      this.#members.close();
    }
  }

  /** A person's name, or null while they are unknown here (then everyone is fetched, once). */
  #nameOf = (userId) => {
    const name = this.#people.get(userId)?.username;
    if (name !== undefined) return name;
    this.#people.lookUp(userId)?.then((found) => {
      if (!found || this.#stopped) return;
      this.#render.schedule({ conversation: 'update' });
    });
    return null;
  };

  #drawConversation(mode, { ownMessage }) {
    if (this.#openKey === null) return;
    this.#chat.messages.render(this.#conversation(this.#openKey), {
      myId: this.#me.id,
      title: this.#chat.header?.name ?? '',
      nameOf: this.#nameOf,
      mode,
      ownMessage,
    });
  }

  /** Something in `conversation` changed: the next render redraws the list, and its history if it is open. */
  #renderIfOpen(conversation, mode = 'update') {
    this.#render.schedule({ conversation: conversation.key === this.#openKey ? mode : null });
  }

  /** Fetches the newest page; with `catchUp`, also what was missed during an outage. */
  async #loadLatest(conversation, { catchUp = false } = {}) {
    try {
      await loadLatest(conversation, this.#me.id, { catchUp });
    } catch (error) {
      if (error.status === 404 || error.status === 403) {
        if (conversation.isRoom) this.#roomSync.refresh();
        return;
      }
      if (error.status !== 401 && !this.#stopped) this.#toaster.show(`Could not load messages: ${error.message}`);
      return;
    }
    if (this.#stopped) return;
    this.#renderIfOpen(conversation);
    if (conversation.key === this.#openKey) this.#markRead();
    this.#render.schedule();
  }

  async #loadOlder() {
    if (this.#openKey === null) return;
    const conversation = this.#conversation(this.#openKey);
    if (!conversation.loadedLatest || !conversation.hasOlder || conversation.loadingOlder) return;
    if (conversation.oldestId === null) {
      conversation.hasOlder = false;
      this.#render.schedule({ conversation: 'prepend' });
      return;
    }
    conversation.loadingOlder = true;
    this.#render.schedule({ conversation: 'prepend' });
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
    const key = this.#openKey;
    if (key === null) return false;
    if (isRoomKey(key) && !this.#rooms.isJoined(parseKey(key).id)) return false;
    this.#chats.add(key);
    this.#outbox.send(this.#conversation(key), { senderId: this.#me.id, content });
    this.#typingNotifier.sent(key);
    this.#render.schedule({ conversation: 'update', ownMessage: true });
    return true;
  }

  #typed() {
    if (this.#openKey !== null) this.#typingNotifier.typed(this.#openKey);
  }

  #startEdit(id) {
    const message = this.#openKey === null ? null : this.#conversation(this.#openKey).findStored(id);
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
    const conversation = this.#conversation(keyOfFrame(raw, this.#me.id));
    conversation.addStored(raw, this.#me.id);
    this.#renderIfOpen(conversation);
  }

  /** I created or joined a room here: open it. */
  #enterRoom(view) {
    const key = roomKey(view.id);
    // Rejoining: what was loaded before may have a gap, so the newest page is loaded afresh
    // (also when the room is open, read-only, right now).
    this.#conversation(key).loadedLatest = false;
    if (this.#openKey === key) this.#openKey = null;
    this.#render.schedule();
    this.#openConversation(key);
  }

  async #leaveRoom(roomId) {
    if ((await this.#roomSync.leave(roomId)) && this.#openKey === roomKey(roomId)) this.#goBack();
  }

  /**
   * I left or was removed (`how`: 'left', 'removed', or null when the list just no longer has
   * it): the room leaves the list; if it is open, it turns read-only.
   */
  #roomGone(roomId, how) {
    const key = roomKey(roomId);
    this.#rooms.markLeft(roomId);
    this.#chats.remove(key);
    this.#unread.forget(key);
    this.#readMarkers.forget(key);
    this.#typingPeers.stopAll(key);
    if (this.#members.openRoomId === roomId) this.#members.close();
    if (this.#openKey === key) {
      this.#syncOpenRoom();
      if (how === 'removed') this.#chat.setReadOnly('You were removed from this group.');
    }
    this.#render.schedule();
  }

  /** Sends a read marker for the open conversation if someone is looking at it. */
  #markRead() {
    const key = this.#openKey;
    if (key === null || document.visibilityState !== 'visible' || !document.hasFocus()) return;
    if (isRoomKey(key) && !this.#rooms.isJoined(parseKey(key).id)) return;
    const conversation = this.#conversation(key);
    this.#readMarkers.send(conversation);
    if (this.#unread.markRead(key, conversation.newestIncomingId ?? Infinity)) this.#render.schedule();
  }

  #handleAttention = () => {
    this.#markRead();
    this.#render.schedule();
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
    this.#readMarkers.reset();
    this.#markRead();
    // Unread counts, presence and read receipts are not in the replay: fetch them again.
    const catchUp = this.#catchUpOnReady;
    this.#catchUpOnReady = false;
    if (catchUp || !this.#chats.loaded) this.#refreshChats();
    if (catchUp || !this.#rooms.loaded) this.#roomSync.refresh();
    if (catchUp && this.#openKey !== null) {
      this.#loadLatest(this.#conversation(this.#openKey), { catchUp: true });
    }
    this.#render.schedule();
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
      case 'member': this.#roomSync.receiveMember(frame); break;
      case 'ack':
        this.#indicator.clearUnavailable();
        // A message from another tab may be the first with someone this tab has not seen.
        if (this.#outbox.acknowledge(frame)) this.#learnNewPeers();
        break;
      case 'error': this.#receiveError(frame); break;
      case 'ready': this.#handleReady(); break;
      case 'delivered': this.#receiveDelivered(frame); break;
      case 'read': this.#receiveRead(frame); break;
      case 'edited':
      case 'deleted': this.#receiveChange(frame); break;
      case 'typing': this.#typingPeers.receive(frame.room_id == null ? userKey(frame.user_id) : roomKey(frame.room_id), frame); break;
      case 'presence': this.#receivePresence(frame); break;
      default: console.warn('Ignoring an unknown frame', frame);
    }
  }

  /** Another tab of this browser sent a frame through the shared socket. */
  #handleOutgoing(frame) {
    if (this.#stopped) return;
    const key = keyOfOutgoing(frame);
    if (frame.type === 'message') {
      this.#chats.add(key);
      this.#outbox.observe(frame, this.#me.id);
    } else if (frame.type === 'read') {
      this.#readMarkers.observe(key, frame.up_to);
      if (this.#unread.markRead(key, frame.up_to)) this.#render.schedule();
    }
  }

  #receiveMessage(frame) {
    // A message I sent from another device arrives here too: file it under its conversation.
    const mine = frame.sender_id === this.#me.id;
    const key = keyOfFrame(frame, this.#me.id);
    const room = isRoomKey(key);
    if (room) this.#roomSync.sawMessage(frame);
    if (!mine) this.#typingPeers.stop(key, frame.sender_id);
    const conversation = this.#conversation(key);
    const added = conversation.addStored(frame, this.#me.id);
    // A replayed copy of a message of ours whose ack was lost: it is stored, go on to the next.
    if (mine && !added) this.#outbox.settled();
    if (!room) this.#chats.add(key);

    this.#renderIfOpen(conversation);
    if (!mine && added && !frame.deleted_at) this.#unread.add(key, frame.id);
    if (!mine && key === this.#openKey) this.#markRead();
    this.#learnNewPeers();
    this.#render.schedule();
  }

  /** Fetches the list again if a conversation is with someone this tab knows nothing about. */
  #learnNewPeers() {
    if (this.#chats.hasStrangers(this.#people)) this.#refreshChats();
  }

  #receiveError(frame) {
    const text = asSentence(frame.message || 'The server refused the request.');
    if (frame.code === 'unavailable') this.#indicator.showUnavailable(frame.retry_after_ms);
    const roomGone = this.#roomSync.refused(frame.code);
    if (frame.client_id && this.#outbox.reject(frame, text)) return;
    // Typing and read frames are best effort: being told to slow down or to try again later
    // (the indicator shows it), or that a room is gone (the refreshed list shows it), needs no
    // notice.
    if (frame.code === 'rate_limited' || frame.code === 'unavailable' || roomGone) return;
    this.#toaster.show(text);
  }

  #receiveDelivered({ message_ids: ids }) {
    if (!Array.isArray(ids)) return;
    for (const conversation of this.#conversations.values()) {
      if (conversation.markDelivered(ids)) this.#renderIfOpen(conversation);
    }
    this.#render.schedule();
  }

  #receiveRead({ reader_id: readerId, peer_id: peerId, room_id: roomId, up_to: upTo }) {
    const room = roomId !== undefined && roomId !== null;
    if (readerId === this.#me.id) {
      // I read this conversation on another device.
      const key = room ? roomKey(roomId) : userKey(peerId);
      this.#readMarkers.observe(key, upTo);
      if (this.#unread.markRead(key, upTo)) this.#render.schedule();
      return;
    }
    // Rooms show no read receipts.
    if (room) return;
    const conversation = this.#conversation(userKey(readerId));
    if (conversation.markReadByPeer(upTo, this.#me.id)) {
      this.#renderIfOpen(conversation);
    }
  }

  #receiveChange(frame) {
    const conversation = this.#conversations.get(keyOfFrame(frame, this.#me.id));
    if (!conversation) return;
    const changed = frame.type === 'edited' ? conversation.applyEdit(frame) : conversation.applyDelete(frame);
    if (!changed) return;
    if (frame.type === 'deleted' && this.#chat.composer.editingId === frame.message_id) this.#chat.composer.cancelEdit();
    this.#renderIfOpen(conversation);
  }

  #receivePresence(frame) {
    if (!this.#people.setPresence(frame)) return;
    if (this.#members.openRoomId !== null) this.#members.roomChanged(this.#members.openRoomId);
    this.#render.schedule();
  }

  #typingChanged(key) {
    if (this.#stopped) return;
    this.#render.schedule();
  }
}
