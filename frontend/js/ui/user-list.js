// The people list in the sidebar: avatar with online dot, name, a preview line, unread badge.

import { paintAvatar } from './avatar.js';
import { element } from './element.js';

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
   * @param {Array<{id:number, username:string, online:boolean}>} state.users
   * @param {number|null} state.selectedId
   * @param {Map<number, number>} state.unread   user id -> unread count
   * @param {Map<number, string>} state.previews user id -> last message text
   * @param {string} state.query
   * @param {boolean} state.loaded
   */
  render({ users, selectedId, unread, previews, query, loaded }) {
    const items = users.map((user) => this.#item(user, {
      selected: user.id === selectedId,
      unread: unread.get(user.id) ?? 0,
      preview: previews.get(user.id) ?? '',
    }));
    // Re-rendering must not steal keyboard focus from the person being navigated to.
    const focusedId = document.activeElement?.closest?.('button[data-user-id]')?.dataset.userId;
    this.#list.replaceChildren(...items);
    if (focusedId) this.#list.querySelector(`button[data-user-id="${focusedId}"]`)?.focus();

    if (users.length > 0 || !loaded) {
      this.#empty.hidden = true;
    } else {
      this.#empty.textContent = query
        ? `No one’s name starts with “${query}”.`
        : 'No one else is here yet. Invite a friend to create an account.';
      this.#empty.hidden = false;
    }
  }

  #item(user, { selected, unread, preview }) {
    const avatar = element('span', { className: 'avatar', attrs: { 'aria-hidden': 'true' } });
    paintAvatar(avatar, user.username);
    const presence = element('span', {
      className: 'presence',
      dataset: { online: String(Boolean(user.online)) },
      attrs: { 'aria-hidden': 'true' },
    });

    const statusText = user.online ? 'Online' : 'Offline';
    const text = element('span', { className: 'user-text' }, [
      element('span', { className: 'user-name', text: user.username }),
      element('span', {
        className: 'user-preview',
        text: preview || statusText,
        dataset: { kind: preview ? 'message' : 'status' },
      }),
    ]);
    const badge = unread > 0
      ? element('span', {
        className: 'unread-badge',
        text: unread > 99 ? '99+' : unread,
        attrs: { 'aria-label': `${unread} unread` },
      })
      : null;

    const button = element('button', {
      className: 'user',
      dataset: { userId: String(user.id), online: String(Boolean(user.online)) },
      attrs: {
        type: 'button',
        'aria-current': selected ? 'true' : 'false',
        title: `${user.username} · ${statusText}`,
      },
    }, [element('span', { className: 'avatar-wrap' }, [avatar, presence]), text, badge]);
    return element('li', {}, [button]);
  }
}
