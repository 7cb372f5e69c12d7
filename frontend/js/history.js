// Fills a conversation from the history endpoint (GET /messages/{user_id}).

import * as api from './api.js';
import { PAGE_SIZE } from './conversation.js';

// After an outage, how many older pages to fetch to close a gap before giving up on it.
const CATCH_UP_PAGES = 4;

/**
 * Fetches the newest page and merges it; with `catchUp`, also closes a gap left by an outage.
 * Throws the ApiError of a failed request.
 */
export async function loadLatest(conversation, myId, { catchUp = false } = {}) {
  const newestKnown = conversation.newestId;
  let rows = await api.fetchMessages(conversation.peerId, { limit: PAGE_SIZE });
  if (catchUp && newestKnown !== null) rows = await fetchBackTo(conversation.peerId, rows, newestKnown);
  if (catchUp && newestKnown !== null && rows.length > 0 && !rows.some((row) => row.id <= newestKnown)) {
    // Still a gap after several pages: drop what is below it; scrolling up refetches it.
    conversation.forgetOlderThan(rows[0].id);
  }
  conversation.mergePage(rows, myId, { older: false });
}

/** Fetches the page before the oldest loaded message. Throws the ApiError of a failed request. */
export async function loadOlder(conversation, myId) {
  const rows = await api.fetchMessages(conversation.peerId, { before: conversation.oldestId, limit: PAGE_SIZE });
  conversation.mergePage(rows, myId, { older: true });
}

/** Prepends older pages to `rows` until they reach `newestKnown` (or a page limit). */
async function fetchBackTo(peerId, rows, newestKnown) {
  let all = rows;
  let lastPage = rows;
  for (let page = 0; page < CATCH_UP_PAGES; page += 1) {
    const oldest = all[0];
    if (!oldest || oldest.id <= newestKnown || lastPage.length < PAGE_SIZE) break;
    lastPage = await api.fetchMessages(peerId, { before: oldest.id, limit: PAGE_SIZE });
    all = [...lastPage, ...all];
  }
  return all;
}
