// Lays out the history by day: each day is a list item with its heading ("Today",
// "Yesterday", then the date) and its own list of messages, so the day headings are real
// headings rather than separators inside a list. Consecutive messages of one sender within a
// few minutes form a group (the name once, tighter spacing); the "N new messages" divider goes
// before the first unread message.

import { dayKey, formatDay, formatFull } from '../format-time.js';
import { element } from './element.js';
import { memberEventText } from './room-text.js';

const GROUP_GAP_MS = 5 * 60_000;
// The owner's join that came with the room's creation (the same request, so moments apart).
const CREATION_WINDOW_MS = 5_000;

/**
 * `buildItem(message, startsGroup)` makes a message's list item; `divider`: {beforeId, count}
 * or null; `room`: the room's view (its owner and creation) or null. Returns the day items.
 */
export function dayItems(messages, {
  myId, nameOf, divider, room, buildItem,
}) {
  const days = [];
  let list = null;
  let previous = null;
  for (const message of messages) {
    const newDay = !previous || dayKey(previous.createdAt) !== dayKey(message.createdAt);
    if (newDay) {
      list = element('ol', { className: 'day-messages' });
      days.push(element('li', { className: 'day', dataset: { day: dayKey(message.createdAt) } }, [
        element('h3', { className: 'day-heading', text: formatDay(message.createdAt) }),
        list,
      ]));
    }
    const dividerHere = divider !== null && message.id === divider.beforeId;
    if (dividerHere) list.append(dividerItem(divider.count));
    const startsGroup = newDay || dividerHere
      || previous.kind !== 'message'
      || previous.senderId !== message.senderId
      || message.createdAt - previous.createdAt > GROUP_GAP_MS;
    list.append(message.kind === 'member' ? memberEvent(message, myId, nameOf, room) : buildItem(message, startsGroup));
    previous = message;
  }
  return days;
}

function dividerItem(count) {
  return element('li', { className: 'unread-divider' }, [
    element('span', { text: `${count} new message${count === 1 ? '' : 's'}` }),
  ]);
}

/** "Carol was added": a line across the history, not a bubble. */
function memberEvent(event, myId, nameOf, room) {
  const name = event.userId === myId ? null : (nameOf(event.userId) ?? 'Someone');
  const action = isCreation(event, room) ? 'created' : event.action;
  return element('li', {
    className: 'member-event',
    dataset: { action, userId: String(event.userId), messageId: String(event.id) },
  }, [element('span', {
    text: memberEventText(action, name, room?.kind === 'private' ? 'group' : 'room'),
    attrs: { title: formatFull(event.createdAt) },
  })]);
}

function isCreation(event, room) {
  return room !== null && event.action === 'joined' && event.userId === room.owner_id
    && Math.abs(event.createdAt - new Date(room.created_at)) < CREATION_WINDOW_MS;
}
