// The scrolling message history: day separators, grouped bubbles, receipts (direct
// conversations only), sender names in rooms, member events ("Bob joined"), files and images
// (message-attachments.js), edited and deleted messages, the menu button on my own, and the
// scroll rules (stick to the bottom, keep the position when older messages are prepended).

import { dayKey, formatDay, formatFull, formatTime } from '../format-time.js';
import { hueFor } from './avatar.js';
import { element } from './element.js';
import { svgIcon } from './icons.js';
import { MessageAttachments } from './message-attachments.js';
import { fillMessageText } from './message-text.js';
import { receiptIcon, receiptOf } from './receipt.js';
import { memberEventText } from './room-text.js';

const NEAR_BOTTOM_PX = 80;
const NEAR_TOP_PX = 150;
const GROUP_GAP_MS = 5 * 60_000;
// Touch screens have no hover to reveal ⋮: a tap on my message opens its menu instead.
const TOUCH_ONLY = window.matchMedia('(hover: none)');

export class MessageList {
  #scroller;
  #list;
  #older;
  #jump;
  #onNearTop;
  #onRetry;
  #onMenu;
  #attachments;
  #seenKeys = new Set();
  #pinnedToBottom = true;

  /**
   * onMenu(messageId, anchor: Element, point: {x, y}|null): my message's menu was asked for;
   * onOpenImage and onLinkFailed: see MessageAttachments.
   */
  constructor(scroller, { onNearTop, onRetry, onMenu, onOpenImage, onLinkFailed }) {
    this.#scroller = scroller;
    this.#list = scroller.querySelector('.message-list');
    this.#older = scroller.querySelector('.messages-older');
    this.#jump = scroller.parentElement.querySelector('.jump-button');
    this.#onNearTop = onNearTop;
    this.#onRetry = onRetry;
    this.#onMenu = onMenu;
    this.#attachments = new MessageAttachments({ onOpen: onOpenImage, onLinkFailed });

    scroller.addEventListener('scroll', () => {
      this.#pinnedToBottom = this.#isNearBottom();
      if (scroller.scrollTop < NEAR_TOP_PX) onNearTop();
      if (this.#pinnedToBottom) this.#jump.hidden = true;
    }, { passive: true });

    // The pane shrinks when the composer grows, the window is resized or a phone keyboard
    // opens: a reader who was at the newest message stays there.
    new ResizeObserver(() => {
      if (this.#pinnedToBottom) this.scrollToBottom();
    }).observe(scroller);

    this.#jump.addEventListener('click', () => this.scrollToBottom('smooth'));

    this.#list.addEventListener('click', (event) => {
      const retry = event.target.closest('button.retry-button');
      if (retry) this.#onRetry(retry.dataset.clientId);
      const menu = event.target.closest('button.message-menu-button');
      if (menu) {
        this.#onMenu(Number(menu.closest('.message').dataset.messageId), menu, null);
        return;
      }
      const tapped = TOUCH_ONLY.matches && event.target.closest('.message[data-editable="true"] .bubble');
      if (tapped && !event.target.closest('a, button')) {
        this.#onMenu(Number(tapped.closest('.message').dataset.messageId), tapped, { x: event.clientX, y: event.clientY });
      }
    });

    // Right click, or a long press on a touch screen.
    this.#list.addEventListener('contextmenu', (event) => {
      const item = event.target.closest('.message[data-editable="true"]');
      if (!item || event.target.closest('a')) return;
      event.preventDefault();
      this.#onMenu(Number(item.dataset.messageId), item.querySelector('.bubble'), { x: event.clientX, y: event.clientY });
    });
  }

  /**
   * Renders the conversation.
   * mode: 'reset' (a conversation was opened: go to the bottom), 'prepend' (older messages came in
   * above: keep what is on screen still), 'update' (new or changed messages: follow the bottom if
   * the reader was there, or if `ownMessage` was just sent).
   * `title` is the peer's or room's name; `nameOf(userId)` a room member's name (or null).
   */
  render(conversation, { myId, title, nameOf = () => null, mode = 'update', ownMessage = false }) {
    const scroller = this.#scroller;
    const wasNearBottom = this.#isNearBottom();
    const previousHeight = scroller.scrollHeight;
    const previousTop = scroller.scrollTop;

    const messages = conversation.messages;
    if (mode === 'reset') this.#seenKeys = new Set(messages.map((message) => message.key));
    const unseenIncoming = messages.some((message) => !this.#wasSeen(message) && message.kind === 'message'
      && message.senderId !== myId);

    const context = { myId, room: conversation.isRoom, nameOf, animateNew: mode !== 'prepend' };
    this.#list.replaceChildren(...this.#items(messages, context));
    this.#attachments.rendered();
    this.#renderOlderNote(conversation, title, messages.length);

    if (mode === 'reset') {
      this.scrollToBottom();
      this.#jump.hidden = true;
    } else if (mode === 'prepend') {
      scroller.scrollTop = scroller.scrollHeight - (previousHeight - previousTop);
    } else if (wasNearBottom || ownMessage) {
      this.scrollToBottom();
    } else if (unseenIncoming) {
      this.#jump.hidden = false;
    }
    for (const message of messages) this.#seenKeys.add(message.key);

    // A short history does not fill the pane, so no scroll event would ever ask for more.
    if (conversation.hasOlder && scroller.scrollHeight <= scroller.clientHeight + NEAR_TOP_PX) {
      queueMicrotask(this.#onNearTop);
    }
  }

  clear() {
    this.#list.replaceChildren();
    this.#attachments.forget();
    this.#older.hidden = true;
    this.#jump.hidden = true;
    this.#seenKeys = new Set();
    this.#pinnedToBottom = true;
  }

  scrollToBottom(behavior = 'instant') {
    this.#pinnedToBottom = true;
    this.#scroller.scrollTo({ top: this.#scroller.scrollHeight, behavior });
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

  #items(messages, { myId, room, nameOf, animateNew }) {
    const items = [];
    let previous = null;
    for (const message of messages) {
      const newDay = !previous || dayKey(previous.createdAt) !== dayKey(message.createdAt);
      if (newDay) {
        items.push(element('li', { className: 'day-separator', attrs: { role: 'separator' } }, [
          element('span', { text: formatDay(message.createdAt) }),
        ]));
      }
      const startsGroup = newDay
        || previous.kind !== 'message'
        || previous.senderId !== message.senderId
        || message.createdAt - previous.createdAt > GROUP_GAP_MS;
      const item = message.kind === 'member'
        ? memberEvent(message, myId, nameOf)
        : this.#item(message, { myId, room, nameOf, startsGroup });
      if (animateNew && !this.#wasSeen(message)) item.classList.add('is-new');
      items.push(item);
      previous = message;
    }
    return items;
  }

  #item(message, { myId, room, nameOf, startsGroup }) {
    const mine = message.senderId === myId;
    const deleted = message.deletedAt !== null;
    const text = element('span', { className: 'message-text' });
    if (deleted) {
      text.append(deletedIcon(), document.createTextNode(mine ? 'You deleted this message' : 'This message was deleted'));
    } else {
      fillMessageText(text, message.content);
    }

    // The time floats right after the text: on its last line if there is room, else below it.
    const meta = element('span', { className: 'message-meta' }, [
      message.editedAt && !deleted ? element('span', {
        className: 'message-edited',
        text: 'edited',
        attrs: { title: `Edited ${formatFull(message.editedAt)}` },
      }) : null,
      element('time', {
        text: formatTime(message.createdAt),
        attrs: { datetime: message.createdAt.toISOString(), title: formatFull(message.createdAt) },
      }),
    ]);
    // Rooms have no delivery receipts: only "on its way" and "not sent" show there.
    const receipt = mine ? receiptOf(message) : null;
    const showReceipt = mine && !deleted && (!room || receipt === 'pending' || receipt === 'failed');
    if (showReceipt) meta.append(receiptIcon(receipt, { queued: message.status === 'queued' }));

    const editable = mine && !deleted && message.id !== null;
    const files = deleted ? null : this.#attachments.nodeFor(message);
    // Pictures alone fill the bubble, with the time over the last one.
    const media = files?.dataset.kind === 'images' && !message.content;
    const bubble = element('div', { className: `bubble${media ? ' bubble-media' : ''}` }, [
      room && !mine && startsGroup ? senderName(message.senderId, nameOf) : null,
      files,
      element('p', { className: 'message-body' }, [text, meta]),
      editable ? element('button', {
        className: 'message-menu-button',
        attrs: { type: 'button', 'aria-label': 'Message options', 'aria-haspopup': 'menu', title: 'Message options' },
      }, [menuIcon()]) : null,
    ]);

    const item = element('li', {
      className: `message ${mine ? 'message-mine' : 'message-theirs'}${startsGroup ? ' group-start' : ''}`,
      dataset: { status: message.status, deleted: String(deleted), editable: String(editable) },
    }, [bubble]);
    if (receipt && !room) item.dataset.receipt = receipt;
    if (room) item.dataset.senderId = String(message.senderId);
    if (message.id !== null) item.dataset.messageId = String(message.id);
    if (message.clientId) item.dataset.clientId = message.clientId;

    if (message.status === 'failed') {
      const retry = element('button', {
        className: 'retry-button',
        text: 'Retry',
        attrs: { type: 'button' },
        dataset: { clientId: message.clientId },
      });
      item.append(element('p', { className: 'message-error' }, [
        element('span', { text: message.error || 'Not sent.' }),
        retry,
      ]));
    }
    return item;
  }
}

function senderName(userId, nameOf) {
  const name = nameOf(userId) ?? 'Someone';
  const node = element('span', { className: 'message-sender', text: name });
  node.style.setProperty('--sender-hue', String(hueFor(name)));
  return node;
}

/** "Carol was added": a line across the history, not a bubble. */
function memberEvent(event, myId, nameOf) {
  const name = event.userId === myId ? null : (nameOf(event.userId) ?? 'Someone');
  return element('li', {
    className: 'member-event',
    dataset: { action: event.action, userId: String(event.userId), messageId: String(event.id) },
  }, [element('span', {
    text: memberEventText(event.action, name),
    attrs: { title: formatFull(event.createdAt) },
  })]);
}

function deletedIcon() {
  return svgIcon('deleted-icon', ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM5.6 5.6l12.8 12.8']);
}

function menuIcon() {
  return svgIcon('menu-icon', ['M12 5.5v.01M12 12v.01M12 18.5v.01']);
}
