// The scrolling message history (laid out by day in message-days.js, each message built by
// message-item.js) and its rules: anchored at the bottom, sticking to the newest message,
// keeping the position when older messages are prepended, the "N new messages" divider placed
// once per opening, a jump to a quoted original with a highlight, and the clicks on menus,
// quotes and reaction chips. Keyboard: the list is one tab stop (see MessageKeys).

import { MessageAttachments } from './message-attachments.js';
import { dayItems } from './message-days.js';
import { messageItem } from './message-item.js';
import { MessageKeys } from './message-keys.js';
import { watchSwipes } from './message-swipe.js';

const NEAR_BOTTOM_PX = 80;
const NEAR_TOP_PX = 150;
const HIGHLIGHT_MS = 2_000;

export class MessageList {
  #scroller;
  #list;
  #older;
  #jump;
  #on;
  #attachments;
  #keys;
  #seenKeys = new Set();
  #pinnedToBottom = true;
  #hasNewer = false;
  // The divider: how many were unread when the chat opened, and (once placed) before which id.
  #unreadAtOpen = 0;
  #divider = null;
  #highlightId = null;
  #highlightTimer = null;

  /**
   * on: { nearTop(), nearBottom() (a jump left newer messages unloaded), latest() (back to the
   * newest), retry(clientId), menu(messageId, anchor, point|null), jump(messageId) (a quote was
   * clicked), react(messageId, emoji) (a chip was clicked), reply(messageId) (swiped),
   * openImage, linkFailed (see MessageAttachments) }
   */
  constructor(scroller, on) {
    this.#scroller = scroller;
    this.#list = scroller.querySelector('.message-list');
    this.#older = scroller.querySelector('.messages-older');
    this.#jump = scroller.parentElement.querySelector('.jump-button');
    this.#on = on;
    this.#attachments = new MessageAttachments({ onOpen: on.openImage, onLinkFailed: on.linkFailed });
    this.#keys = new MessageKeys(this.#list, { onMenu: (item) => this.#openMenu(item, null) });

    scroller.addEventListener('scroll', () => {
      this.#pinnedToBottom = this.#isNearBottom() && !this.#hasNewer;
      if (scroller.scrollTop < NEAR_TOP_PX) on.nearTop();
      if (this.#hasNewer && this.#isNearBottom()) on.nearBottom();
      if (this.#pinnedToBottom) this.#jump.hidden = true;
    }, { passive: true });

    // The pane shrinks when the composer grows, the window is resized or a phone keyboard
    // opens: a reader who was at the newest message stays there.
    new ResizeObserver(() => {
      if (this.#pinnedToBottom) this.scrollToBottom();
    }).observe(scroller);

    this.#jump.addEventListener('click', () => {
      if (this.#hasNewer) on.latest();
      else this.scrollToBottom('smooth');
    });

    this.#list.addEventListener('click', (event) => this.#click(event));
    // Right click, or a long press on a touch screen.
    this.#list.addEventListener('contextmenu', (event) => {
      const item = event.target.closest('.message[data-menu="true"]');
      if (!item || event.target.closest('a')) return;
      event.preventDefault();
      this.#openMenu(item, { x: event.clientX, y: event.clientY });
    });
    watchSwipes(this.#list, (item) => on.reply(Number(item.dataset.messageId)));
  }

  /** The chat just opened with `count` unread messages: the divider goes before the first of them. */
  expectUnread(count) {
    this.#unreadAtOpen = count;
    this.#divider = null;
  }

  /**
   * Renders the conversation.
   * mode: 'reset' (a conversation was opened: go to the bottom), 'prepend' (older messages came in
   * above: keep what is on screen still), 'update' (new or changed messages: follow the bottom if
   * the reader was there, or if `ownMessage` was just sent), 'append' (newer messages came in below
   * after a jump: stay still), 'jump' (show the message given to highlight()).
   * `title` is the peer's or room's name; `room` the room's view (null for a person);
   * `nameOf(userId)` a person's name (or null).
   */
  render(conversation, {
    myId, myName, title, room = null, nameOf = () => null, mode = 'update', ownMessage = false,
  }) {
    const scroller = this.#scroller;
    const wasNearBottom = this.#isNearBottom();
    const previousHeight = scroller.scrollHeight;
    const previousTop = scroller.scrollTop;
    const hadFocus = this.#list.contains(document.activeElement);

    const messages = conversation.visibleMessages;
    this.#hasNewer = conversation.hasNewer;
    if (mode === 'reset') this.#seenKeys = new Set(messages.map((message) => message.key));
    const unseenIncoming = messages.some((message) => !this.#wasSeen(message) && message.kind === 'message'
      && message.senderId !== myId);
    const dividerPlaced = this.#placeDivider(conversation, messages, myId);

    const ctx = {
      myId,
      myName,
      room: conversation.isRoom,
      nameOf: (id) => (id === myId ? 'You' : nameOf(id)),
      usernameOf: (id) => (id === myId ? myName : nameOf(id)),
      find: (id) => conversation.findStored(id),
      attachments: this.#attachments,
    };
    const animateNew = mode === 'update' || mode === 'reset';
    this.#list.replaceChildren(...dayItems(messages, {
      myId,
      nameOf,
      room,
      divider: this.#divider,
      buildItem: (message, startsGroup) => {
        const item = messageItem(message, { ...ctx, startsGroup });
        if (animateNew && !this.#wasSeen(message)) item.classList.add('is-new');
        if (message.id !== null && message.id === this.#highlightId) item.classList.add('is-highlighted');
        return item;
      },
    }));
    this.#attachments.rendered();
    this.#keys.rendered(hadFocus);
    this.#renderOlderNote(conversation, title, messages.length);

    if (mode === 'jump') {
      this.#showHighlighted();
    } else if (dividerPlaced && mode !== 'prepend') {
      this.#showDivider();
    } else if (mode === 'reset') {
      this.scrollToBottom();
      this.#jump.hidden = true;
    } else if (mode === 'prepend') {
      scroller.scrollTop = scroller.scrollHeight - (previousHeight - previousTop);
    } else if (mode === 'append') {
      // Newer messages came in below after a jump: what is on screen stays put.
    } else if ((wasNearBottom && !this.#hasNewer) || ownMessage) {
      this.scrollToBottom();
    } else if (unseenIncoming) {
      this.#jump.hidden = false;
    }
    if (this.#hasNewer) this.#jump.hidden = false;
    this.#jump.textContent = this.#hasNewer ? 'Latest messages ↓' : 'New messages ↓';
    for (const message of messages) this.#seenKeys.add(message.key);

    // A short history does not fill the pane, so no scroll event would ever ask for more.
    if (conversation.hasOlder && scroller.scrollHeight <= scroller.clientHeight + NEAR_TOP_PX) {
      queueMicrotask(this.#on.nearTop);
    }
  }

  /** The next render with mode 'jump' scrolls to message `id` and highlights it for a moment. */
  highlight(id) {
    this.#highlightId = id;
    // The reader went elsewhere: a divider not placed by now would only get in the way.
    if (this.#divider === null) this.#unreadAtOpen = 0;
    clearTimeout(this.#highlightTimer);
    this.#highlightTimer = setTimeout(() => {
      this.#highlightId = null;
      this.#list.querySelector('.message.is-highlighted')?.classList.remove('is-highlighted');
    }, HIGHLIGHT_MS);
  }

  clear() {
    this.#list.replaceChildren();
    this.#attachments.forget();
    this.#older.hidden = true;
    this.#jump.hidden = true;
    this.#seenKeys = new Set();
    this.#pinnedToBottom = true;
    this.#hasNewer = false;
    this.#unreadAtOpen = 0;
    this.#divider = null;
    this.#highlightId = null;
    this.#keys.reset();
  }

  scrollToBottom(behavior = 'instant') {
    this.#pinnedToBottom = !this.#hasNewer;
    this.#scroller.scrollTo({ top: this.#scroller.scrollHeight, behavior });
  }

  /** Places the divider once the unread messages are loaded; true if it was placed just now. */
  #placeDivider(conversation, messages, myId) {
    if (this.#unreadAtOpen === 0 || this.#divider !== null || !conversation.loadedLatest) return false;
    const incoming = messages.filter((message) => message.kind === 'message' && message.id !== null
      && message.senderId !== myId && message.deletedAt === null);
    if (incoming.length < this.#unreadAtOpen && conversation.hasOlder) return false;
    const first = incoming[Math.max(0, incoming.length - this.#unreadAtOpen)];
    if (!first) return false;
    this.#divider = { beforeId: first.id, count: Math.min(this.#unreadAtOpen, incoming.length) };
    return true;
  }

  // The divider near the top of the pane, so the first unread message is the first thing read.
  #showDivider() {
    const divider = this.#list.querySelector('.unread-divider');
    if (!divider) return;
    const top = divider.getBoundingClientRect().top - this.#scroller.getBoundingClientRect().top;
    this.#scroller.scrollTop += top - 8;
    this.#pinnedToBottom = this.#isNearBottom();
    this.#jump.hidden = this.#pinnedToBottom;
  }

  #showHighlighted() {
    const item = this.#list.querySelector('.message.is-highlighted');
    if (!item) return;
    item.scrollIntoView({ block: 'center', behavior: 'instant' });
    this.#keys.activate(item);
    this.#pinnedToBottom = this.#isNearBottom() && !this.#hasNewer;
  }

  #click(event) {
    const retry = event.target.closest('button.retry-button');
    if (retry) this.#on.retry(retry.dataset.clientId);
    const item = event.target.closest('.message');
    if (!item) return;
    this.#keys.activate(item, { focus: false });
    const id = Number(item.dataset.messageId);
    if (event.target.closest('button.message-menu-button')) {
      this.#openMenu(item, null);
    } else if (event.target.closest('.reply-quote')) {
      this.#on.jump(Number(event.target.closest('.reply-quote').dataset.replyTo));
    } else if (event.target.closest('.reaction-chip')) {
      this.#on.react(id, event.target.closest('.reaction-chip').dataset.emoji);
    }
  }

  #openMenu(item, point) {
    if (item.dataset.menu !== 'true') return;
    const anchor = point ? item.querySelector('.bubble') : (item.querySelector('.message-menu-button') ?? item);
    this.#on.menu(Number(item.dataset.messageId), anchor, point);
  }

  // An acked message changes its key from the client id to the server id: still the same bubble.
  #wasSeen(message) {
    return this.#seenKeys.has(message.key)
      || (message.clientId !== null && this.#seenKeys.has(`c${message.clientId}`));
  }

  #isNearBottom() {
    const { scrollHeight, scrollTop, clientHeight } = this.#scroller;
    return scrollHeight - scrollTop - clientHeight < NEAR_BOTTOM_PX;
  }

  #renderOlderNote(conversation, title, count) {
    const note = this.#older;
    note.hidden = false;
    const room = conversation.isRoom;
    if (!conversation.loadedLatest || conversation.loadingOlder) {
      note.textContent = 'Loading messages…';
      note.dataset.kind = 'loading';
    } else if (conversation.hasOlder) {
      note.textContent = '';
      note.hidden = true;
    } else if (conversation.historyPruned) {
      note.textContent = 'Older messages were removed by the room’s history limit.';
      note.dataset.kind = 'pruned';
    } else if (count === 0) {
      note.textContent = room ? `No messages in ${title} yet. Say hello!` : `No messages yet. Say hello to ${title}!`;
      note.dataset.kind = 'empty';
    } else {
      note.textContent = room ? `This is the beginning of ${title}.` : `This is the beginning of your conversation with ${title}.`;
      note.dataset.kind = 'start';
    }
  }
}

