// A signed-in session: builds the chat screen, wires the REST API, the shared socket, the shared
// state (session-state.js) and the views together, and starts and stops it all. What happens is
// elsewhere: frames are routed in frame-router.js, the sidebar's contents come from
// sidebar-model.js, rows and headers from conversation-labels.js, opening and loading
// conversations is navigation.js, my own messages message-actions.js, and every change is drawn
// by one scheduled render (render-scheduler.js, drawn by #draw here).

import * as api from './api.js';
import { AttachmentLinks } from './attachment-links.js';
import { isRoomKey, parseKey, roomKey } from './conversation-key.js';
import { ConversationLabels } from './conversation-labels.js';
import { Drafts } from './drafts.js';
import { FrameRouter } from './frame-router.js';
import { MessageActions } from './message-actions.js';
import { Navigation } from './navigation.js';
import { Notifier } from './notifications.js';
import { Outbox } from './outbox.js';
import { PendingAttachments } from './pending-attachments.js';
import { ReadMarkers } from './read-markers.js';
import { RenderScheduler } from './render-scheduler.js';
import { RoomMembers } from './room-members.js';
import { RoomSync } from './room-sync.js';
import { SessionState } from './session-state.js';
import { SharedConnection } from './shared-connection.js';
import { SidebarModel } from './sidebar-model.js';
import { chatSocketUrl } from './socket.js';
import { TypingNotifier } from './typing.js';
import { paintAvatar } from './ui/avatar.js';
import { ChatPane } from './ui/chat-pane.js';
import { ConnectionIndicator } from './ui/connection-indicator.js';
import { EmojiPicker } from './ui/emoji-picker.js';
import { fromTemplate } from './ui/element.js';
import { FaviconBadge } from './ui/favicon-badge.js';
import { ImageViewer } from './ui/image-viewer.js';
import { LogoutDialog } from './ui/logout-dialog.js';
import { MessageMenu } from './ui/message-menu.js';
import { NARROW_SCREEN } from './ui/narrow-screen.js';
import { NewRoomDialog } from './ui/new-room-dialog.js';
import { NotificationPrompt } from './ui/notification-prompt.js';
import { RoomBrowser } from './ui/room-browser.js';
import { watchSearch } from './ui/search-box.js';
import { SidebarList } from './ui/sidebar-list.js';
import { Toaster } from './ui/toast.js';

// "last seen 5 minutes ago" and the list's times are redrawn this often.
const CLOCK_TICK_MS = 30_000;

export class ChatSession {
  #onLogout;
  #onSessionEnded;
  #state;
  #labels;
  #render;
  #sidebar;
  #navigation;
  #connection;
  #outbox;
  #readMarkers;
  #members;
  #roomSync;
  #indicator;
  #chat;
  #attachments;
  #menu;
  #picker;
  #sidebarList;
  #search;
  #notifier;
  #toaster;
  #favicon = new FaviconBadge();
  #socketState = 'connecting';
  #openedBefore = false;
  // The socket came back after a drop: once the server is ready, refetch what frames don't replay.
  #catchUpOnReady = false;
  #clockTimer = null;

  constructor(me, { onLogout, onSessionEnded }) {
    this.#onLogout = onLogout;
    this.#onSessionEnded = onSessionEnded;
    this.#state = new SessionState(me, { onTypingChanged: () => this.#typingChanged() });
    this.#render = new RenderScheduler((parts) => this.#draw(parts), () => this.#state.openKey);
    this.#labels = new ConversationLabels(this.#state, () => this.#render.schedule({ conversation: 'update' }));
    this.#sidebar = new SidebarModel({
      state: this.#state,
      labels: this.#labels,
      onChange: () => this.#render.schedule(),
      onChatsLoaded: () => {
        this.#navigation.markRead();
        this.#render.schedule();
      },
    });
  }

  /** Renders the chat screen into `root` and connects. */
  start(root) {
    const state = this.#state;
    const me = state.me;
    const render = this.#render;
    const view = fromTemplate('chat-template');
    view.dataset.view = 'list';

    paintAvatar(view.querySelector('.me-avatar'), me.username);
    view.querySelector('.me-name').textContent = me.username;
    const logoutDialog = new LogoutDialog(view.querySelector('.logout-dialog'), { onConfirm: () => this.#onLogout() });
    view.querySelector('.logout-button').addEventListener('click', () => logoutDialog.open());

    this.#indicator = new ConnectionIndicator(
      view.querySelector('.connection'),
      view.querySelector('.connection-banner'),
      view.querySelector('.header-connection'),
    );
    const toaster = new Toaster(view);
    this.#toaster = toaster;
    new NotificationPrompt(view.querySelector('.notify-banner'), view.querySelector('.notify-button'), (text) =>
      toaster.show(text),
    );
    this.#sidebarList = new SidebarList(view.querySelector('.sidebar-lists'), view.querySelector('.user-list-empty'), {
      onSelect: (key) => {
        // A result was opened: the list shows every chat again (a search must not hide them).
        this.#search.clear();
        this.#navigation.open(key);
      },
    });
    this.#search = watchSearch(view.querySelector('.search-input'), (query) => this.#sidebar.search(query));
    // Made below, once the outbox exists; the pane only calls them after start().
    let actions = null;
    const viewer = new ImageViewer(view.querySelector('.image-viewer'));
    const links = new AttachmentLinks(state, render);
    this.#attachments = new PendingAttachments({
      onChange: () => this.#chat.composer.attachmentsChanged(),
      onNotice: (text) => toaster.show(text),
    });
    this.#chat = new ChatPane(view.querySelector('.chat'), {
      attachments: this.#attachments,
      drafts: new Drafts(me.id),
      members: () => this.#mentionable(),
      onSend: (content, files, replyTo) => {
        const sent = actions.send(content, files, replyTo);
        // Written after a jump to an old message: back to the newest, where it shows. (After
        // sending: the quote is taken from the original while it is still loaded.)
        if (sent) this.#navigation.showLatest();
        return sent;
      },
      onEdit: (id, content) => actions.edit(id, content),
      onTyping: () => actions.typed(),
      onBack: () => this.#navigation.goBack(),
      onMembers: () => {
        if (isRoomKey(state.openKey)) this.#members.toggle(parseKey(state.openKey).id);
      },
      onMute: (until) => this.#mute(state.openKey, until),
      list: {
        nearTop: () => this.#navigation.loadOlder(),
        nearBottom: () => this.#navigation.loadNewer(),
        latest: () => this.#navigation.showLatest(),
        retry: (clientId) => this.#outbox.retry(clientId),
        menu: (id, anchor, point) => this.#menu.open(id, anchor, point),
        jump: (id) => this.#navigation.jumpTo(id),
        react: (id, emoji) => actions.toggleReaction(id, emoji),
        reply: (id) => actions.startReply(id),
        openImage: (attachment, thumbnail) => viewer.open(attachment, thumbnail),
        linkFailed: (messageId) => links.refresh(state.openKey, messageId),
      },
    });
    this.#members = new RoomMembers({
      node: view.querySelector('.member-panel'),
      rooms: state.rooms,
      people: state.people,
      myId: me.id,
      toaster,
      onLeave: (roomId) => this.#navigation.leaveRoom(roomId),
      onOpenChange: (open) => {
        this.#chat.membersButton.setAttribute('aria-expanded', String(open));
        view.dataset.members = String(open);
      },
    });
    this.#roomSync = new RoomSync({
      rooms: state.rooms,
      members: this.#members,
      myId: me.id,
      toaster,
      conversation: (key) => state.conversation(key),
      isStopped: () => state.stopped,
      on: {
        joined: (room) => this.#sidebar.roomJoined(room),
        gone: (roomId, how) => this.#roomGone(roomId, how),
        entered: (room) => this.#navigation.enterRoom(room),
        changed: (roomId) => render.changed(roomKey(roomId)),
        synced: () => {
          this.#navigation.roomsSynced();
          render.schedule();
        },
      },
    });
    this.#picker = new EmojiPicker(view);
    this.#menu = new MessageMenu(view, {
      describe: (id) => actions.describe(id),
      reply: (id) => actions.startReply(id),
      react: (id, emoji) => actions.toggleReaction(id, emoji),
      more: (id, anchor) => this.#picker.open(anchor, (emoji) => actions.toggleReaction(id, emoji)),
      copy: (id) => actions.copy(id),
      edit: (id) => actions.startEdit(id),
      delete: (id) => actions.delete(id),
    });
    const newRoomDialog = new NewRoomDialog(view.querySelector('.new-room-dialog'), {
      onCreate: (name, kind) => {
        this.#search.clear();
        return this.#roomSync.create(name, kind);
      },
    });
    const roomBrowser = new RoomBrowser(view.querySelector('.room-browser'), {
      search: (query) => api.listRooms({ q: query }),
      onChoose: (room) => {
        this.#search.clear();
        return this.#roomSync.join(room);
      },
    });
    view.querySelector('.new-room-button').addEventListener('click', () => newRoomDialog.open());
    view.querySelector('.browse-rooms-button').addEventListener('click', () => roomBrowser.open());

    // The router needs the outbox, which needs the connection: made below, before the connection starts.
    let router = null;
    this.#connection = new SharedConnection({
      name: `parley.socket.${me.id}`,
      urlFor: (since) => chatSocketUrl(api.getToken() ?? '', since),
      mayReconnect: () => this.#tokenStillValid(),
      onFrame: (frame) => router.route(frame),
      onStatus: (status) => this.#handleStatus(status),
      onOutgoing: (frame) => router.routeOutgoing(frame),
    });
    const typingNotifier = new TypingNotifier((frame) => this.#connection.send(frame));
    this.#readMarkers = new ReadMarkers((frame) => this.#connection.send(frame));
    this.#outbox = new Outbox({
      connection: this.#connection,
      conversationFor: (key) => state.conversation(key),
      conversations: () => state.conversations.values(),
      onChange: (conversation) => render.changed(conversation.key),
      onStalled: () => this.#connection.restart(),
    });
    this.#navigation = new Navigation({
      state,
      labels: this.#labels,
      view,
      chat: this.#chat,
      menu: this.#menu,
      members: this.#members,
      readMarkers: this.#readMarkers,
      roomSync: this.#roomSync,
      toaster,
      render,
    });
    actions = new MessageActions({
      state,
      outbox: this.#outbox,
      typingNotifier,
      composer: this.#chat.composer,
      toaster,
      render,
      connection: this.#connection,
      nameOf: this.#labels.nameOf,
      members: () => this.#mentionable(),
    });
    this.#notifier = new Notifier({
      state,
      labels: this.#labels,
      onOpen: (key) => {
        this.#search.clear();
        this.#navigation.open(key);
      },
    });
    router = new FrameRouter({
      state,
      sidebar: this.#sidebar,
      navigation: this.#navigation,
      outbox: this.#outbox,
      roomSync: this.#roomSync,
      readMarkers: this.#readMarkers,
      members: this.#members,
      indicator: this.#indicator,
      toaster,
      composer: this.#chat.composer,
      render,
      onReady: () => this.#handleReady(),
      onIncoming: (key, frame, how) => this.#notifier.incoming(key, frame, how),
    });

    root.replaceChildren(view);
    window.addEventListener('popstate', this.#navigation.handlePopState);
    document.addEventListener('visibilitychange', this.#handleAttention);
    window.addEventListener('focus', this.#handleAttention);
    render.schedule();
    this.#sidebar.loadChats();
    this.#roomSync.refresh();
    this.#clockTimer = setInterval(() => render.schedule(), CLOCK_TICK_MS);
    api.onUnavailable((error) => this.#indicator.showUnavailable(error.retryAfterMs));
    this.#connection.start();
    // On a phone, focusing would pop up the keyboard over the list.
    if (!NARROW_SCREEN.matches) view.querySelector('.search-input').focus({ preventScroll: true });
    this.#openFromLink();
  }

  /** A push clicked while no tab was open opens the app at `/?chat=<key>` (see sw.js). */
  #openFromLink() {
    const url = new URL(window.location.href);
    const key = url.searchParams.get('chat');
    if (!key) return;
    url.searchParams.delete('chat');
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
    if (!/^(user|room):\d+$/.test(key)) return;
    // Opened only once the chat is known: the person, or the rooms, loaded.
    const { kind, id } = parseKey(key);
    const known = kind === 'user' ? this.#state.people.find(id) : this.#roomSync.refresh();
    Promise.resolve(known)
      .catch(() => null)
      .then(() => this.#navigation.open(key));
  }

  stop() {
    if (this.#state.stopped) return;
    this.#state.stopped = true;
    this.#render.dispose();
    api.onUnavailable(null);
    this.#connection.stop();
    this.#outbox.dispose();
    // Uploads still going are aborted: nothing could send them now.
    this.#attachments.clear();
    this.#state.typing.dispose();
    this.#menu.close();
    this.#picker.close();
    clearInterval(this.#clockTimer);
    this.#indicator.dispose();
    this.#search.stop();
    this.#notifier.stop();
    this.#favicon.dispose();
    window.removeEventListener('popstate', this.#navigation.handlePopState);
    document.removeEventListener('visibilitychange', this.#handleAttention);
    window.removeEventListener('focus', this.#handleAttention);
    document.title = 'Parley';
  }

  /** The scheduled render: the sidebar, the title, the open conversation's header and, when asked, its history. */
  #draw({ conversation, ownMessage }) {
    const state = this.#state;
    const { sections, emptyText } = this.#sidebar.view();
    this.#sidebarList.render({ sections, myId: state.myId, selectedKey: state.openKey, emptyText });
    // Muted chats still count in their rows, not in the tab's title and icon.
    const total = state.unread.total((key) => !state.mutes.isMuted(key));
    document.title = total > 0 ? `(${total}) Parley` : 'Parley';
    this.#favicon.show(total);
    this.#notifier.closeRead((key) => state.unread.count(key) > 0);

    if (state.openKey === null) return;
    const header = this.#labels.header(state.openKey);
    if (header) this.#chat.showHeader(header);
    if (conversation === null) return;
    this.#chat.messages.render(state.conversation(state.openKey), {
      myId: state.myId,
      myName: state.me.username,
      room: isRoomKey(state.openKey) ? state.rooms.get(parseKey(state.openKey).id) ?? null : null,
      title: this.#chat.header?.name ?? '',
      nameOf: this.#labels.nameOf,
      mode: conversation,
      ownMessage,
    });
  }

  /** PUT …/mute; the `muted` frame that follows updates every tab, this one is drawn at once. */
  async #mute(key, until) {
    if (key === null) return;
    try {
      const { muted_until: mutedUntil } = await api.muteChat(parseKey(key), until);
      if (this.#state.stopped) return;
      this.#state.mutes.set(key, mutedUntil);
      this.#render.schedule();
    } catch (error) {
      if (error.status !== 401) this.#toaster.show(error.message || 'Could not change notifications.');
    }
  }

  /** The open room's other members, for "@" in the composer; null outside rooms. */
  #mentionable() {
    const state = this.#state;
    if (!isRoomKey(state.openKey)) return null;
    const roomId = parseKey(state.openKey).id;
    const members = state.rooms.members(roomId);
    if (!members) {
      // Not fetched yet: offered as soon as they are.
      this.#members.load(roomId).then(() => this.#chat.composer.membersChanged());
      return [];
    }
    return members
      .filter((member) => member.user_id !== state.myId)
      .map((member) => ({ id: member.user_id, username: member.username }));
  }

  /**
   * I left or was removed (`how`: 'left', 'removed', or null when the list just no longer has
   * it): the room leaves the list; if it is open, it turns read-only.
   */
  #roomGone(roomId, how) {
    const key = roomKey(roomId);
    this.#state.rooms.markLeft(roomId);
    this.#state.chats.remove(key);
    this.#state.unread.forget(key);
    this.#readMarkers.forget(key);
    this.#state.typing.stopAll(key);
    this.#navigation.roomGone(roomId, how);
    this.#render.schedule();
  }

  #handleAttention = () => {
    this.#navigation.markRead();
    this.#render.schedule();
  };

  #typingChanged() {
    if (!this.#state.stopped) this.#render.schedule();
  }

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
    this.#navigation.markRead();
    // Unread counts, presence and read receipts are not in the replay: fetch them again.
    const catchUp = this.#catchUpOnReady;
    this.#catchUpOnReady = false;
    if (catchUp || !this.#state.chats.loaded) this.#sidebar.loadChats();
    if (catchUp || !this.#state.rooms.loaded) this.#roomSync.refresh();
    if (catchUp) this.#navigation.catchUp();
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
}
