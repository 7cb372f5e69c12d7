// "Public rooms": search the public rooms by name and join one (or open one I am in).

import { paintAvatar } from './avatar.js';
import { element } from './element.js';
import { roomSummary } from './room-text.js';
import { watchSearch } from './search-box.js';

export class RoomBrowser {
  #dialog;
  #input;
  #list;
  #empty;
  #search;
  #request = 0;
  #rooms = new Map();

  /**
   * @param {HTMLDialogElement} dialog
   * @param {object} handlers search(query) → Promise<room views>, onChoose(room) → Promise
   *   (joins it if need be and opens it; rejects with the server's error)
   */
  constructor(dialog, { search, onChoose }) {
    this.#dialog = dialog;
    this.#input = dialog.querySelector('.room-browser-input');
    this.#list = dialog.querySelector('.room-browser-list');
    this.#empty = dialog.querySelector('.room-browser-empty');
    this.#search = search;
    dialog.querySelector('.dialog-cancel').addEventListener('click', () => dialog.close());
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) dialog.close();
    });
    watchSearch(this.#input, () => this.#refresh());
    this.#list.addEventListener('click', async (event) => {
      const button = event.target.closest('button[data-room-id]');
      const room = button && this.#rooms.get(Number(button.dataset.roomId));
      if (!room) return;
      button.disabled = true;
      try {
        await onChoose(room);
        dialog.close();
      } catch (error) {
        button.disabled = false;
        this.#showEmpty(error.message || 'Could not join the room.');
      }
    });
  }

  open() {
    this.#input.value = '';
    this.#list.replaceChildren();
    this.#showEmpty('Loading rooms…');
    this.#dialog.showModal();
    this.#input.focus();
    this.#refresh();
  }

  async #refresh() {
    const request = ++this.#request;
    const query = this.#input.value.trim();
    let rooms;
    try {
      rooms = await this.#search(query);
    } catch (error) {
      if (request === this.#request) this.#showEmpty(error.message || 'Could not load rooms.');
      return;
    }
    if (request !== this.#request) return;
    const publicRooms = rooms.filter((room) => room.kind === 'public');
    this.#rooms = new Map(publicRooms.map((room) => [room.id, room]));
    this.#list.replaceChildren(...publicRooms.map((room) => roomRow(room)));
    if (publicRooms.length > 0) this.#showEmpty('');
    else this.#showEmpty(query ? `No public room’s name contains “${query}”.` : 'No public rooms yet. Create one!');
  }

  #showEmpty(text) {
    this.#empty.textContent = text;
    this.#empty.hidden = !text;
  }
}

function roomRow(room) {
  const avatar = element('span', { className: 'avatar avatar-room', attrs: { 'aria-hidden': 'true' } });
  paintAvatar(avatar, room.name);
  return element('li', { className: 'room-row', dataset: { roomId: String(room.id) } }, [
    avatar,
    element('span', { className: 'room-row-text' }, [
      element('span', { className: 'room-row-name', text: room.name }),
      element('span', { className: 'room-row-summary', text: roomSummary(room) }),
    ]),
    element('button', {
      className: room.joined ? 'button-secondary room-row-button' : 'button-primary room-row-button',
      text: room.joined ? 'Open' : 'Join',
      attrs: { type: 'button', 'aria-label': `${room.joined ? 'Open' : 'Join'} ${room.name}` },
      dataset: { roomId: String(room.id) },
    }),
  ]);
}
