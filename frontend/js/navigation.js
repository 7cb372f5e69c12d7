// Which conversation is open: opening one (its header, history and read marker), closing it and
// the phone's back button, the open room's pane following my membership, and its history: the
// newest page, older pages on scrolling up, and what an outage missed; a jump to a quoted
// original (the page around it when it is not loaded, then newer pages on scrolling down).

import { isRoomKey, parseKey, roomKey } from './conversation-key.js';
import { loadAround, loadLatest, loadNewer, loadOlder } from './history.js';
import { NARROW_SCREEN } from './ui/narrow-screen.js';

export class Navigation {
  #state;
  #labels;
  #view;
  #chat;
  #menu;
  #members;
  #readMarkers;
  #roomSync;
  #toaster;
  #render;

  /**
   * @param {object} options
   * @param {import('./session-state.js').SessionState} options.state  its openKey is changed here only
   * @param {import('./conversation-labels.js').ConversationLabels} options.labels
   * @param {HTMLElement} options.view  the chat screen (data-view: 'list' or 'chat')
   * @param {import('./ui/chat-pane.js').ChatPane} options.chat
   * @param {import('./ui/message-menu.js').MessageMenu} options.menu
   * @param {import('./room-members.js').RoomMembers} options.members
   * @param {import('./read-markers.js').ReadMarkers} options.readMarkers
   * @param {import('./room-sync.js').RoomSync} options.roomSync
   * @param {import('./ui/toast.js').Toaster} options.toaster
   * @param {import('./render-scheduler.js').RenderScheduler} options.render
   */
  constructor({ state, labels, view, chat, menu, members, readMarkers, roomSync, toaster, render }) {
    this.#state = state;
    this.#labels = labels;
    this.#view = view;
    this.#chat = chat;
    this.#menu = menu;
    this.#members = members;
    this.#readMarkers = readMarkers;
    this.#roomSync = roomSync;
    this.#toaster = toaster;
    this.#render = render;
  }

  /** Opens a conversation; opening the open one again only refreshes its header and read marker. */
  open(key) {
    const state = this.#state;
    const header = this.#labels.header(key);
    if (!header) return;
    const alreadyOpen = state.isOpen(key);
    if (!alreadyOpen) this.#members.close();
    state.openKey = key;
    this.#menu.close();
    this.#chat.open(header);
    // Before markRead below: the "N new messages" divider counts what was unread on opening.
    if (!alreadyOpen) this.#chat.messages.expectUnread(state.unread.count(key));
    // On a phone the chat replaces the list: the system back button should bring it back.
    if (this.#view.dataset.view !== 'chat' && NARROW_SCREEN.matches) {
      history.pushState({ parleyChat: key }, '');
    }
    this.#view.dataset.view = 'chat';
    if (isRoomKey(key)) this.syncOpenRoom();
    this.markRead();
    this.#render.schedule({ conversation: alreadyOpen ? null : 'reset' });
    if (!NARROW_SCREEN.matches) this.#chat.composer.focus();
    if (alreadyOpen || !state.isMember(key)) return;
    // Its members: offered after "@", and what my own mentions resolve against.
    if (isRoomKey(key)) this.#members.load(parseKey(key).id);
    const conversation = state.conversation(key);
    // Left after a jump to an old message: it opens at the newest again.
    if (conversation.hasNewer) conversation.backToLatest();
    this.loadLatest(conversation, { catchUp: conversation.loadedLatest });
  }

  /** The back button in the chat's header. */
  goBack() {
    if (history.state?.parleyChat !== undefined) history.back();
    else this.#close();
  }

  /** The browser's back button (see open). */
  handlePopState = () => {
    if (this.#state.openKey !== null && history.state?.parleyChat === undefined) this.#close();
  };

  #close() {
    this.#state.openKey = null;
    this.#menu.close();
    this.#members.close();
    this.#chat.close();
    this.#view.dataset.view = 'list';
    this.#render.schedule();
  }

  /** I created or joined a room here: open it. */
  enterRoom(view) {
    const key = roomKey(view.id);
    // Rejoining: what was loaded before may have a gap, so the newest page is loaded afresh
    // (also when the room is open, read-only, right now).
    this.#state.conversation(key).loadedLatest = false;
    if (this.#state.isOpen(key)) this.#state.openKey = null;
    this.#render.schedule();
    this.open(key);
  }

  /** "Leave room" was confirmed in the member panel. */
  async leaveRoom(roomId) {
    if ((await this.#roomSync.leave(roomId)) && this.#state.isOpen(roomKey(roomId))) this.goBack();
  }

  /** I left or was removed from a room (`how`: 'left', 'removed' or null): its open pane turns read-only. */
  roomGone(roomId, how) {
    if (this.#members.openRoomId === roomId) this.#members.close();
    if (!this.#state.isOpen(roomKey(roomId))) return;
    this.syncOpenRoom();
    if (how === 'removed') this.#chat.setReadOnly('You were removed from this group.');
  }

  /** The list of rooms I am in was fetched. */
  roomsSynced() {
    if (isRoomKey(this.#state.openKey)) this.syncOpenRoom();
    this.markRead();
  }

  /** The open room's header and whether it can be written to follow the room's state. */
  syncOpenRoom() {
    const { id } = parseKey(this.#state.openKey);
    const room = this.#state.rooms.get(id);
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

  /** Sends a read marker for the open conversation if someone is looking at it. */
  markRead() {
    const state = this.#state;
    const key = state.openKey;
    if (key === null || document.visibilityState !== 'visible' || !document.hasFocus()) return;
    if (!state.isMember(key)) return;
    const conversation = state.conversation(key);
    // Reading old messages after a jump: what came in since is not on screen yet.
    if (conversation.hasNewer) return;
    this.#readMarkers.send(conversation);
    if (state.unread.markRead(key, conversation.newestIncomingId ?? Infinity)) this.#render.schedule();
  }

  /** The socket is back after a drop: the open conversation fetches what it missed. */
  catchUp() {
    if (this.#state.openKey === null) return;
    const conversation = this.#state.conversation(this.#state.openKey);
    // Showing older messages after a jump: scrolling down fetches what is newer anyway.
    if (!conversation.hasNewer) this.loadLatest(conversation, { catchUp: true });
  }

  /** A quote was clicked: shows its original, loading the page around it if need be. */
  async jumpTo(id) {
    const state = this.#state;
    const key = state.openKey;
    if (key === null) return;
    const conversation = state.conversation(key);
    const loaded = conversation.visibleMessages.some((message) => message.id === id);
    if (!loaded) {
      try {
        await loadAround(conversation, state.myId, id);
      } catch (error) {
        if (error.status !== 401 && !state.stopped) {
          this.#toaster.show(error.status === 404 ? 'The original message is no longer here.' : `Could not load the message: ${error.message}`);
        }
        return;
      }
      if (state.stopped || !state.isOpen(key)) return;
    }
    this.#chat.messages.highlight(id);
    this.#render.schedule({ conversation: 'jump' });
  }

  /** The reader scrolled to the bottom of what a jump loaded: the next newer page. */
  async loadNewer() {
    const state = this.#state;
    if (state.openKey === null) return;
    const conversation = state.conversation(state.openKey);
    if (!conversation.hasNewer || conversation.loadingNewer) return;
    conversation.loadingNewer = true;
    try {
      await loadNewer(conversation, state.myId);
    } catch (error) {
      if (error.status !== 401 && !state.stopped) this.#toaster.show(`Could not load newer messages: ${error.message}`);
    } finally {
      conversation.loadingNewer = false;
    }
    if (state.stopped) return;
    this.#render.changed(conversation.key, 'append');
    this.markRead();
  }

  /** Back to the newest messages after a jump (the "jump to bottom" button, or sending). */
  showLatest() {
    const state = this.#state;
    if (state.openKey === null) return;
    const conversation = state.conversation(state.openKey);
    if (!conversation.hasNewer) return;
    conversation.backToLatest();
    this.#render.schedule({ conversation: 'reset' });
    this.loadLatest(conversation, { catchUp: true });
  }

  /** Fetches the newest page; with `catchUp`, also what was missed during an outage. */
  async loadLatest(conversation, { catchUp = false } = {}) {
    const state = this.#state;
    try {
      await loadLatest(conversation, state.myId, { catchUp });
    } catch (error) {
      if (error.status === 404 || error.status === 403) {
        if (conversation.isRoom) this.#roomSync.refresh();
        return;
      }
      if (error.status !== 401 && !state.stopped) this.#toaster.show(`Could not load messages: ${error.message}`);
      return;
    }
    if (state.stopped) return;
    this.#render.changed(conversation.key);
    if (state.isOpen(conversation.key)) this.markRead();
  }

  /** The reader scrolled near the top: the page before the oldest loaded message. */
  async loadOlder() {
    const state = this.#state;
    if (state.openKey === null) return;
    const conversation = state.conversation(state.openKey);
    if (!conversation.loadedLatest || !conversation.hasOlder || conversation.loadingOlder) return;
    if (conversation.oldestId === null) {
      conversation.hasOlder = false;
      this.#render.schedule({ conversation: 'prepend' });
      return;
    }
    conversation.loadingOlder = true;
    this.#render.schedule({ conversation: 'prepend' });
    try {
      await loadOlder(conversation, state.myId);
    } catch (error) {
      if (error.status !== 401 && !state.stopped) this.#toaster.show(`Could not load older messages: ${error.message}`);
    } finally {
      conversation.loadingOlder = false;
    }
    if (!state.stopped) this.#render.changed(conversation.key, 'prepend');
  }
}
