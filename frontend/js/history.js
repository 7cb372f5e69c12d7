// Fills a conversation from its history endpoint: GET /messages/{user_id} for a direct
// conversation, GET /rooms/{id}/messages for a room. Both give pages here as
// `{ rows (oldest first), end (nothing older), pruned (a room's history limit removed older) }`.

import * as api from './api.js';
import { PAGE_SIZE } from './conversation.js';
import { parseKey } from './conversation-key.js';

// After an outage, how many older pages to fetch to close a gap before giving up on it.
const CATCH_UP_PAGES = 4;

/** `where`: at most one of { before, after, around } (ids). `end`: nothing older (for `before`). */
async function fetchPage(key, where = {}) {
  const { kind, id } = parseKey(key);
  if (kind === 'room') {
    const page = await api.fetchRoomMessages(id, { ...where, limit: PAGE_SIZE });
    return { rows: page?.items ?? [], end: Boolean(page?.end_of_history), pruned: Boolean(page?.history_pruned) };
  }
  const rows = await api.fetchMessages(id, { ...where, limit: PAGE_SIZE });
  return { rows, end: rows.length < PAGE_SIZE, pruned: false };
}

/**
 * Fetches the newest page and merges it; with `catchUp`, also closes a gap left by an outage.
 * Throws the ApiError of a failed request.
 */
export async function loadLatest(conversation, myId, { catchUp = false } = {}) {
  const newestKnown = conversation.newestId;
  let page = await fetchPage(conversation.key);
  if (catchUp && newestKnown !== null) page = await fetchBackTo(conversation.key, page, newestKnown);
  const { rows } = page;
  if (catchUp && newestKnown !== null && rows.length > 0 && !rows.some((row) => row.id <= newestKnown)) {
    // Still a gap after several pages: drop what is below it; scrolling up refetches it.
    conversation.forgetOlderThan(rows[0].id);
  }
  conversation.mergePage(page, myId, { older: false });
}

/** Fetches the page before the oldest loaded message. Throws the ApiError of a failed request. */
export async function loadOlder(conversation, myId) {
  const page = await fetchPage(conversation.key, { before: conversation.oldestId });
  conversation.mergePage(page, myId, { older: true });
}

/**
 * Shows the page around message `id` instead of what is loaded (a jump to an old original);
 * newer pages come with loadNewer. Throws the ApiError of a failed request (404 if `id` is not
 * in this chat).
 */
export async function loadAround(conversation, myId, id) {
  const { rows } = await fetchPage(conversation.key, { around: id });
  conversation.showWindow(rows, myId);
}

/** The page after the newest shown message while a jump left newer ones unloaded. */
export async function loadNewer(conversation, myId) {
  const { rows } = await fetchPage(conversation.key, { after: conversation.windowEnd });
  conversation.extendWindow(rows, myId, { end: rows.length < PAGE_SIZE });
}

/** Prepends older pages to `page` until they reach `newestKnown` (or a page limit). */
async function fetchBackTo(key, page, newestKnown) {
  let { rows } = page;
  let last = page;
  for (let count = 0; count < CATCH_UP_PAGES; count += 1) {
    const oldest = rows[0];
    if (!oldest || oldest.id <= newestKnown || last.end) break;
    last = await fetchPage(key, { before: oldest.id });
    rows = [...last.rows, ...rows];
  }
  return { rows, end: last.end, pruned: last.pruned };
}

/**
 * Fetches the page that ends with message `id` again, for its fresh attachment links, and
 * updates the messages already here. Returns the ids it fetched. Throws the ApiError of a
 * failed request.
 */
export async function refreshAround(conversation, myId, id) {
  const { rows } = await fetchPage(conversation.key, { before: id + 1 });
  conversation.refreshStored(rows, myId);
  return rows.map((row) => row.id);
}
