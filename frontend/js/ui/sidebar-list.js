// The sidebar list: conversations (direct ones and rooms), or, while searching, the chats and
// the people matching it as two labelled sections. Each
// row: avatar (with an online dot for a person, square for a room), name, time of the last
// message, a preview line ("typing…", the last message, presence or the room's summary) and
// the unread badge.

import { formatListTime } from '../format-time.js';
import { paintAvatar } from './avatar.js';
import { attachmentSummary } from './attachment-text.js';
import { element } from './element.js';
import { receiptIcon, receiptOf } from './receipt.js';

export class SidebarList {
  #list;
  #empty;

  /** onSelect(key): a row was chosen ("user:ID" or "room:ID"). `listNode` holds the sections. */
  constructor(listNode, emptyNode, { onSelect }) {
    this.#list = listNode;
    this.#empty = emptyNode;
    listNode.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-key]');
      if (button) onSelect(button.dataset.key);
    });
  }

  /**
   * @param {object} state
   * @param {Array<{id: string, heading: string, rows: Array<object>}>} state.sections  each a heading
   *   and its rows (a section without rows is not shown); a row: { key, name, isRoom, isPrivate (a private group), online, status, typing (text or ''),
   *   last (a message, see conversation.js, or null), lastSender ('You', a name, or null),
   *   receipts (show ticks on my last message), unread, mutedUntil (Date or null), mentions }
   * @param {number} state.myId
   * @param {string|null} state.selectedKey
   * @param {string} state.emptyText  shown when there are no rows
   */
  render({ sections, myId, selectedKey, emptyText }) {
    const shown = sections.filter((section) => section.rows.length > 0);
    const nodes = shown.map(({ id, heading, rows }) => {
      const headingId = `list-heading-${id}`;
      return element('section', { className: 'list-section', dataset: { section: id } }, [
        element('h2', { className: 'list-heading', text: heading, attrs: { id: headingId } }),
        element('ul', { className: 'user-list', attrs: { 'aria-labelledby': headingId } },
          rows.map((row) => this.#item(row, { myId, selected: row.key === selectedKey }))),
      ]);
    });
    // Re-rendering must not steal keyboard focus from the conversation being navigated to.
    const focusedKey = document.activeElement?.closest?.('button[data-key]')?.dataset.key;
    this.#list.replaceChildren(...nodes);
    if (focusedKey) this.#list.querySelector(`button[data-key="${CSS.escape(focusedKey)}"]`)?.focus();

    this.#empty.textContent = emptyText ?? '';
    this.#empty.hidden = shown.length > 0 || !emptyText;
  }

  #item(row, { myId, selected }) {
    const { key, name, isRoom, isPrivate, online, status, typing, last, unread, mutedUntil, mentions } = row;
    const avatar = element('span', { className: `avatar${isRoom ? ' avatar-room' : ''}`, attrs: { 'aria-hidden': 'true' } });
    paintAvatar(avatar, name);
    // A person's corner shows whether they are online; a private group's, a lock.
    let corner = null;
    if (!isRoom) {
      corner = element('span', { className: 'presence', dataset: { online: String(Boolean(online)) }, attrs: { 'aria-hidden': 'true' } });
    } else if (isPrivate) {
      corner = element('span', { className: 'private-mark', attrs: { 'aria-hidden': 'true' } }, [lockIcon()]);
    }

    const previewLine = typing
      ? element('span', { className: 'user-preview', text: typing, dataset: { kind: 'typing' } })
      : this.#preview(row, myId);

    const badge = unread > 0
      ? element('span', {
        className: 'unread-badge',
        text: unread > 99 ? '99+' : unread,
        attrs: { 'aria-label': `${unread} unread` },
      })
      : null;

    const mentionBadge = mentions > 0
      ? element('span', { className: 'mention-badge', text: '@', attrs: { 'aria-label': `${mentions} mentioning you`, title: `${mentions} mentioning you` } })
      : null;
    const mutedMark = mutedUntil
      ? element('span', { className: 'muted-mark', attrs: { role: 'img', 'aria-label': 'Muted', title: 'Muted' } }, [mutedIcon()])
      : null;

    const text = element('span', { className: 'user-text' }, [
      element('span', { className: 'user-line' }, [
        element('span', { className: 'user-name', text: name }),
        last ? element('time', {
          className: 'user-time',
          text: formatListTime(last.createdAt),
          attrs: { datetime: last.createdAt.toISOString() },
        }) : null,
      ]),
      element('span', { className: 'user-line' }, [previewLine, mutedMark, mentionBadge, badge]),
    ]);

    const kind = isRoom ? 'room' : 'user';
    const id = key.split(':')[1];
    const button = element('button', {
      className: 'user',
      dataset: {
        key,
        kind,
        [kind === 'room' ? 'roomId' : 'userId']: id,
        online: String(Boolean(online)),
        typing: String(Boolean(typing)),
        muted: String(Boolean(mutedUntil)),
      },
      attrs: {
        type: 'button',
        'aria-current': selected ? 'true' : 'false',
        title: `${name} · ${status}`,
      },
    }, [element('span', { className: 'avatar-wrap' }, [avatar, corner]), text]);
    return element('li', {}, [button]);
  }

  /** The last message (with ticks when it is mine, or its sender in a room), else the status. */
  #preview({ last, lastSender, receipts, status }, myId) {
    if (!last) return element('span', { className: 'user-preview', text: status, dataset: { kind: 'status' } });
    const deleted = last.deletedAt !== null;
    const node = element('span', { className: 'user-preview', dataset: { kind: deleted ? 'deleted' : 'message' } });
    if (receipts && last.senderId === myId && !deleted) node.append(receiptIcon(receiptOf(last), { queued: last.status === 'queued' }));
    if (lastSender && !deleted) node.append(element('span', { className: 'user-preview-sender', text: `${lastSender}: ` }));
    node.append(element('span', {
      className: 'user-preview-text',
      text: deleted ? 'This message was deleted' : (last.content || attachmentSummary(last.attachments)),
    }));
    return node;
  }
}

function lockIcon() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M7 11V8a5 5 0 0 1 10 0v3M6 11h12v9H6z');
  svg.append(path);
  return svg;
}

/** A bell struck through. */
export function mutedIcon() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M6 16V11a6 6 0 0 1 9.5-4.9M18 11v5l2 2H6M10 20a2 2 0 0 0 4 0M3 3l18 18');
  svg.append(path);
  return svg;
}
