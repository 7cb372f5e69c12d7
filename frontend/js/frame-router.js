// Routes what the socket brings to what it changes: messages, edits and deletions to their
// conversations, receipts, typing and presence, room membership, acks and errors to the outbox,
// and the frames other tabs of this browser sent through the shared socket.

import { isRoomKey, keyOfFrame, keyOfOutgoing, roomKey, userKey } from './conversation-key.js';
import { asSentence } from './sentence.js';
import { sendErrorText } from './ui/attachment-text.js';

export class FrameRouter {
  #state;
  #sidebar;
  #navigation;
  #outbox;
  #roomSync;
  #readMarkers;
  #members;
  #indicator;
  #toaster;
  #composer;
  #render;
  #onReady;
  #onIncoming;

  /**
   * @param {object} options
   * @param {import('./session-state.js').SessionState} options.state
   * @param {import('./sidebar-model.js').SidebarModel} options.sidebar
   * @param {import('./navigation.js').Navigation} options.navigation
   * @param {import('./outbox.js').Outbox} options.outbox
   * @param {import('./room-sync.js').RoomSync} options.roomSync
   * @param {import('./read-markers.js').ReadMarkers} options.readMarkers
   * @param {import('./room-members.js').RoomMembers} options.members
   * @param {import('./ui/connection-indicator.js').ConnectionIndicator} options.indicator
   * @param {import('./ui/toast.js').Toaster} options.toaster
   * @param {import('./ui/composer.js').Composer} options.composer
   * @param {import('./render-scheduler.js').RenderScheduler} options.render
   * @param {() => void} options.onReady  the server finished replaying: the socket is ready
   * @param {(key: string, frame: object, how: {mentionsMe: boolean}) => void} options.onIncoming  a new,
   *   unread message from someone else (for notifications)
   */
  constructor({
    state, sidebar, navigation, outbox, roomSync, readMarkers, members, indicator, toaster, composer, render, onReady, onIncoming,
  }) {
    this.#state = state;
    this.#sidebar = sidebar;
    this.#navigation = navigation;
    this.#outbox = outbox;
    this.#roomSync = roomSync;
    this.#readMarkers = readMarkers;
    this.#members = members;
    this.#indicator = indicator;
    this.#toaster = toaster;
    this.#composer = composer;
    this.#render = render;
    this.#onReady = onReady;
    this.#onIncoming = onIncoming;
  }

  /** A frame from the server. */
  route(frame) {
    if (this.#state.stopped) return;
    switch (frame?.type) {
      case 'message': this.#message(frame); break;
      case 'member': this.#roomSync.receiveMember(frame); break;
      case 'ack':
        this.#indicator.clearUnavailable();
        // A message from another tab may be the first with someone this tab has not seen.
        if (this.#outbox.acknowledge(frame)) this.#sidebar.learnNewPeers();
        break;
      case 'error': this.#error(frame); break;
      case 'ready': this.#onReady(); break;
      case 'delivered': this.#delivered(frame); break;
      case 'read': this.#read(frame); break;
      case 'edited':
      case 'deleted': this.#change(frame); break;
      case 'reaction': this.#reaction(frame); break;
      case 'typing': this.#state.typing.receive(frame.room_id == null ? userKey(frame.user_id) : roomKey(frame.room_id), frame); break;
      case 'presence': this.#presence(frame); break;
      case 'muted': this.#muted(frame); break;
      default: console.warn('Ignoring an unknown frame', frame);
    }
  }

  /** Another tab of this browser sent a frame through the shared socket. */
  routeOutgoing(frame) {
    const state = this.#state;
    if (state.stopped) return;
    const key = keyOfOutgoing(frame);
    if (frame.type === 'message') {
      state.chats.add(key);
      this.#outbox.observe(frame, state.myId);
    } else if (frame.type === 'read') {
      this.#readMarkers.observe(key, frame.up_to);
      if (state.unread.markRead(key, frame.up_to)) this.#render.schedule();
    }
  }

  #message(frame) {
    const state = this.#state;
    // A message I sent from another device arrives here too: file it under its conversation.
    const mine = frame.sender_id === state.myId;
    const key = keyOfFrame(frame, state.myId);
    const room = isRoomKey(key);
    if (room) this.#roomSync.sawMessage(frame);
    if (!mine) state.typing.stop(key, frame.sender_id);
    const added = state.conversation(key).addStored(frame, state.myId);
    // A replayed copy of a message of ours whose ack was lost: it is stored, go on to the next.
    if (mine && !added) this.#outbox.settled();
    if (!room) state.chats.add(key);

    if (!mine && added && !frame.deleted_at) {
      const mentionsMe = Array.isArray(frame.mentions) && frame.mentions.includes(state.myId);
      // Counted once: a replayed or already loaded message does not notify again.
      if (state.unread.add(key, frame.id, { mentionsMe })) this.#onIncoming(key, frame, { mentionsMe });
    }
    if (!mine && state.isOpen(key)) this.#navigation.markRead();
    this.#sidebar.learnNewPeers();
    this.#render.changed(key);
  }

  #error(frame) {
    const text = sendErrorText(frame.code) ?? asSentence(frame.message || 'The server refused the request.');
    if (frame.code === 'unavailable') this.#indicator.showUnavailable(frame.retry_after_ms);
    const roomGone = this.#roomSync.refused(frame.code);
    if (frame.client_id && this.#outbox.reject(frame, text)) return;
    // Typing and read frames are best effort: being told to slow down or to try again later
    // (the indicator shows it), or that a room is gone (the refreshed list shows it), needs no
    // notice.
    if (frame.code === 'rate_limited' || frame.code === 'unavailable' || roomGone) return;
    this.#toaster.show(text);
  }

  #delivered({ message_ids: ids }) {
    if (!Array.isArray(ids)) return;
    for (const conversation of this.#state.conversations.values()) {
      if (conversation.markDelivered(ids)) this.#render.changed(conversation.key);
    }
    this.#render.schedule();
  }

  #read({ reader_id: readerId, peer_id: peerId, room_id: roomId, up_to: upTo }) {
    const state = this.#state;
    const room = roomId !== undefined && roomId !== null;
    if (readerId === state.myId) {
      // I read this conversation on another device.
      const key = room ? roomKey(roomId) : userKey(peerId);
      this.#readMarkers.observe(key, upTo);
      if (state.unread.markRead(key, upTo)) this.#render.schedule();
      return;
    }
    // Rooms show no read receipts.
    if (room) return;
    const conversation = state.conversation(userKey(readerId));
    if (conversation.markReadByPeer(upTo, state.myId)) this.#render.changed(conversation.key);
  }

  #change(frame) {
    const conversation = this.#state.conversations.get(keyOfFrame(frame, this.#state.myId));
    if (!conversation) return;
    const changed = frame.type === 'edited' ? conversation.applyEdit(frame) : conversation.applyDelete(frame);
    if (!changed) return;
    if (frame.type === 'deleted') {
      if (this.#composer.editingId === frame.message_id) this.#composer.cancelEdit();
      this.#composer.forgetReply(frame.message_id);
    }
    this.#render.changed(conversation.key);
  }

  #reaction(frame) {
    // The reactor's side: `recipient_id` is the other person of the DM from the reactor's view.
    const key = keyOfFrame({ ...frame, sender_id: frame.user_id }, this.#state.myId);
    const conversation = this.#state.conversations.get(key);
    if (conversation?.applyReaction(frame)) this.#render.changed(conversation.key);
  }

  #presence(frame) {
    if (!this.#state.people.setPresence(frame)) return;
    if (this.#members.openRoomId !== null) this.#members.roomChanged(this.#members.openRoomId);
    this.#render.schedule();
  }

  /** I muted or unmuted a chat (here or on another device). */
  #muted({ peer_id: peerId, room_id: roomId, until }) {
    const key = roomId !== undefined && roomId !== null ? roomKey(roomId) : userKey(peerId);
    this.#state.mutes.set(key, until);
    this.#render.schedule();
  }
}
