// The sidebar list (conversations, or people matching a search): avatar with online dot,
// name, time of the last message, a preview line ("typing…", the last message, or presence)
// and the unread badge.

import { formatListTime } from '../format-time.js';
import { paintAvatar } from './avatar.js';
import { element } from './element.js';
import { presenceText } from './presence-text.js';
import { receiptIcon, receiptOf } from './receipt.js';

export class UserList {
  #list;
  #empty;

  constructor(listNode, emptyNode, { onSelect }) {
    this.#list = listNode;
    this.#empty = emptyNode;
    listNode.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-user-id]');
      if (button) onSelect(Number(button.dataset.userId));
    });
  }

  /**
   * @param {object} state
   * @param {Array<{user: object, last: object|null, unread: number, typing: boolean}>} state.rows
   *   `last` is the conversation's last message (see conversation.js)
   * @param {number} state.myId
   * @param {number|null} state.selectedId
   * @param {string} state.emptyText  shown when there are no rows
   */
  render({ rows, myId, selectedId, emptyText }) {
    const items = rows.map((row) => this.#item(row, { myId, selected: row.user.id === selectedId }));
    // Re-rendering must not steal keyboard focus from the person being navigated to.
    const focusedId = document.activeElement?.closest?.('button[data-user-id]')?.dataset.userId;
    this.#list.replaceChildren(...items);
    if (focusedId) this.#list.querySelector(`button[data-user-id="${focusedId}"]`)?.focus();

    this.#empty.textContent = emptyText ?? '';
    this.#empty.hidden = rows.length > 0 || !emptyText;
  }

  #item({ user, last, unread, typing }, { myId, selected }) {
    const presence = presenceText(user);
    const avatar = element('span', { className: 'avatar', attrs: { 'aria-hidden': 'true' } });
    paintAvatar(avatar, user.username);
    const dot = element('span', {
      className: 'presence',
      dataset: { online: String(Boolean(user.online)) },
      attrs: { 'aria-hidden': 'true' },
    });

    const previewLine = typing
      ? element('span', { className: 'user-preview', text: 'typing…', dataset: { kind: 'typing' } })
      : this.#preview(last, myId, presence);

    const badge = unread > 0
      ? element('span', {
        className: 'unread-badge',
        text: unread > 99 ? '99+' : unread,
        attrs: { 'aria-label': `${unread} unread` },
      })
      : null;

    const text = element('span', { className: 'user-text' }, [
      element('span', { className: 'user-line' }, [
        element('span', { className: 'user-name', text: user.username }),
        last ? element('time', {
          className: 'user-time',
          text: formatListTime(last.createdAt),
          attrs: { datetime: last.createdAt.toISOString() },
        }) : null,
      ]),
      element('span', { className: 'user-line' }, [previewLine, badge]),
    ]);

    const button = element('button', {
      className: 'user',
      dataset: { userId: String(user.id), online: String(Boolean(user.online)), typing: String(typing) },
      attrs: {
        type: 'button',
        'aria-current': selected ? 'true' : 'false',
        title: `${user.username} · ${presence}`,
      },
    }, [element('span', { className: 'avatar-wrap' }, [avatar, dot]), text]);
    return element('li', {}, [button]);
  }

  /** The last message (with ticks when it is mine), or the presence line when there is none. */
  #preview(last, myId, presence) {
    if (!last) return element('span', { className: 'user-preview', text: presence, dataset: { kind: 'status' } });
    const deleted = last.deletedAt !== null;
    const node = element('span', { className: 'user-preview', dataset: { kind: deleted ? 'deleted' : 'message' } });
    if (last.senderId === myId && !deleted) node.append(receiptIcon(receiptOf(last), { queued: last.status === 'queued' }));
    node.append(element('span', {
      className: 'user-preview-text',
      text: deleted ? 'This message was deleted' : last.content,
    }));
    return node;
  }
}
