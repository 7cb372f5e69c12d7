// One message of the history as a list item: the quoted original of a reply, the sender's name
// (rooms, first of a group), files, text with links and mentions, the time, edited mark and
// receipt, the reactions under the bubble, and the ⋮ button that opens its menu.

import { formatFull, formatTime } from '../format-time.js';
import { hueFor } from './avatar.js';
import { element } from './element.js';
import { svgIcon } from './icons.js';
import { fillMessageText } from './message-text.js';
import { reactionChips } from './reaction-chips.js';
import { receiptIcon, receiptOf } from './receipt.js';
import { replyQuote } from './reply-quote.js';

/**
 * ctx: { myId, myName, room, nameOf(userId) → name|null ('You' for me), usernameOf(userId) →
 * name|null, find(id) → a loaded message|null, startsGroup, attachments (MessageAttachments) }
 */
export function messageItem(message, ctx) {
  const { myId, room, startsGroup } = ctx;
  const mine = message.senderId === myId;
  const deleted = message.deletedAt !== null;
  const text = element('span', { className: 'message-text' });
  if (deleted) {
    text.append(deletedIcon(), document.createTextNode(mine ? 'You deleted this message' : 'This message was deleted'));
  } else {
    fillMessageText(text, message.content, mentionsOf(message, ctx));
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

  const stored = message.id !== null;
  const files = deleted ? null : ctx.attachments.nodeFor(message);
  // Pictures alone fill the bubble, with the time over the last one.
  const media = files?.dataset.kind === 'images' && !message.content && !message.replyTo;
  const bubble = element('div', { className: `bubble${media ? ' bubble-media' : ''}` }, [
    room && !mine && startsGroup ? senderName(message.senderId, ctx.nameOf) : null,
    message.replyTo && !deleted ? replyQuote(message.replyTo, ctx.nameOf, ctx.find(message.replyTo.id)) : null,
    files,
    element('p', { className: 'message-body' }, [text, meta]),
  ]);
  const hasMenu = stored && !deleted;

  const item = element('li', {
    className: `message ${mine ? 'message-mine' : 'message-theirs'}${startsGroup ? ' group-start' : ''}`,
    attrs: { tabindex: '-1' },
    dataset: { status: message.status, deleted: String(deleted), editable: String(mine && hasMenu), menu: String(hasMenu) },
  }, [
    element('div', { className: 'message-row' }, [
      bubble,
      hasMenu ? element('button', {
        className: 'message-menu-button',
        attrs: {
          type: 'button', tabindex: '-1', 'aria-label': 'Message options', 'aria-haspopup': 'menu', title: 'Message options',
        },
      }, [menuIcon()]) : null,
    ]),
    !deleted && message.reactions?.length > 0 ? reactionChips(message.reactions, ctx) : null,
  ]);
  if (receipt && !room) item.dataset.receipt = receipt;
  if (room) item.dataset.senderId = String(message.senderId);
  if (stored) item.dataset.messageId = String(message.id);
  if (message.clientId) item.dataset.clientId = message.clientId;
  if (message.mentions?.includes(myId) && !mine) item.dataset.mentionsMe = 'true';

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

/** The usernames this message mentions (resolved by the server when it was stored). */
function mentionsOf(message, { usernameOf, myName }) {
  if (!message.mentions?.length) return null;
  const names = new Set();
  for (const id of message.mentions) {
    const name = usernameOf(id);
    if (name) names.add(name.toLowerCase());
  }
  return { names, mine: myName.toLowerCase() };
}

function senderName(userId, nameOf) {
  const name = nameOf(userId) ?? 'Someone';
  const node = element('span', { className: 'message-sender', text: name });
  node.style.setProperty('--sender-hue', String(hueFor(name)));
  return node;
}

function deletedIcon() {
  return svgIcon('deleted-icon', ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM5.6 5.6l12.8 12.8']);
}

function menuIcon() {
  return svgIcon('menu-icon', ['M12 5.5v.01M12 12v.01M12 18.5v.01']);
}
