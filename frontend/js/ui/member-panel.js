// The open room's members: online dots, the owner marked, "Add people" and a remove button
// for the owner of a private group, and "Leave room" for everyone.

import { paintAvatar } from './avatar.js';
import { element } from './element.js';
import { watchSearch } from './search-box.js';

export class MemberPanel {
  #node;
  #title;
  #list;
  #add;
  #addInput;
  #addResults;
  #leave;
  #searchUsers;
  #onAdd;
  #state = null;
  #query = '';
  #request = 0;

  /**
   * @param {HTMLElement} node the .member-panel element
   * @param {object} handlers onClose(), onLeave(), onAdd(userId), onRemove(userId),
   *   searchUsers(query) → Promise<users>
   */
  constructor(node, { onClose, onLeave, onAdd, onRemove, searchUsers }) {
    this.#node = node;
    this.#title = node.querySelector('.member-panel-title');
    this.#list = node.querySelector('.member-list');
    this.#add = node.querySelector('.member-add');
    this.#addInput = node.querySelector('.member-add-input');
    this.#addResults = node.querySelector('.member-add-results');
    this.#leave = node.querySelector('.leave-button');
    this.#searchUsers = searchUsers;
    this.#onAdd = onAdd;
    node.querySelector('.member-panel-close').addEventListener('click', onClose);
    this.#leave.addEventListener('click', onLeave);
    node.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !this.#addInput.value) onClose();
    });
    this.#list.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-remove]');
      if (button) onRemove(Number(button.dataset.remove));
    });
    this.#addResults.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-add]');
      if (!button) return;
      button.disabled = true;
      this.#onAdd(Number(button.dataset.add));
    });
    watchSearch(this.#addInput, (query) => {
      this.#query = query;
      this.#searchCandidates();
    });
  }

  get isOpen() {
    return !this.#node.hidden;
  }

  get roomId() {
    return this.isOpen ? this.#state?.room.id ?? null : null;
  }

  show() {
    this.#node.hidden = false;
  }

  hide() {
    this.#node.hidden = true;
    this.clearSearch();
  }

  /** Empties "Add people" (after someone was added, or for another room). */
  clearSearch() {
    this.#request += 1;
    this.#addInput.value = '';
    this.#query = '';
    this.#addResults.replaceChildren();
  }

  /**
   * @param {object} state { room (view), members (array or null while loading), myId }
   */
  render(state) {
    const roomChanged = this.#state?.room.id !== state.room.id;
    this.#state = state;
    const { room, members, myId } = state;
    const owner = room.role === 'owner';
    const manage = owner && room.kind === 'private';
    this.#title.textContent = members ? `Members · ${members.length}` : 'Members';
    this.#add.hidden = !manage;
    this.#leave.textContent = room.kind === 'private' ? 'Leave group' : 'Leave room';
    if (roomChanged) {
      this.clearSearch();
    } else if (manage && this.#query) {
      this.#searchCandidates();
    }
    if (!members) {
      this.#list.replaceChildren(element('li', { className: 'member-note', text: 'Loading members…' }));
      return;
    }
    this.#list.replaceChildren(...members.map((member) => memberRow(member, { myId, manage })));
  }

  async #searchCandidates() {
    const request = ++this.#request;
    const query = this.#query;
    if (!query) {
      this.#addResults.replaceChildren();
      return;
    }
    let users;
    try {
      users = await this.#searchUsers(query);
    } catch {
      users = null;
    }
    if (request !== this.#request) return;
    if (!users) {
      this.#addResults.replaceChildren(element('li', { className: 'member-note', text: 'Could not search.' }));
      return;
    }
    const memberIds = new Set((this.#state?.members ?? []).map((member) => member.user_id));
    const candidates = users.filter((user) => !memberIds.has(user.id));
    if (candidates.length === 0) {
      this.#addResults.replaceChildren(element('li', { className: 'member-note', text: 'No one else by that name.' }));
      return;
    }
    this.#addResults.replaceChildren(...candidates.slice(0, 8).map((user) => candidateRow(user)));
  }
}

function personCell(name, online) {
  const avatar = element('span', { className: 'avatar member-avatar', attrs: { 'aria-hidden': 'true' } });
  paintAvatar(avatar, name);
  return element('span', { className: 'avatar-wrap' }, [
    avatar,
    element('span', { className: 'presence', dataset: { online: String(Boolean(online)) }, attrs: { 'aria-hidden': 'true' } }),
  ]);
}

function memberRow(member, { myId, manage }) {
  const me = member.user_id === myId;
  const status = member.online ? 'Online' : 'Offline';
  return element('li', {
    className: 'member',
    dataset: { userId: String(member.user_id), online: String(Boolean(member.online)), role: member.role },
  }, [
    personCell(member.username, member.online),
    element('span', { className: 'member-text' }, [
      element('span', { className: 'member-name', text: me ? `${member.username} (you)` : member.username }),
      element('span', { className: 'member-status', text: status }),
    ]),
    member.role === 'owner' ? element('span', { className: 'member-role', text: 'Owner' }) : null,
    manage && !me ? element('button', {
      className: 'member-remove',
      text: 'Remove',
      attrs: { type: 'button', 'aria-label': `Remove ${member.username}` },
      dataset: { remove: String(member.user_id) },
    }) : null,
  ]);
}

function candidateRow(user) {
  return element('li', { className: 'member member-candidate', dataset: { userId: String(user.id) } }, [
    personCell(user.username, user.online),
    element('span', { className: 'member-text' }, [
      element('span', { className: 'member-name', text: user.username }),
    ]),
    element('button', {
      className: 'member-add-button',
      text: 'Add',
      attrs: { type: 'button', 'aria-label': `Add ${user.username}` },
      dataset: { add: String(user.id) },
    }),
  ]);
}
