// REST calls to the Parley server and the stored access token.

const TOKEN_KEY = 'parley.token';

/**
 * An error answer from the server: `status` 0 means the server could not be reached;
 * `field` is the request field a validation error is about, when the server says;
 * `retryAfterMs` how long to wait after a 429 or 503, when it says.
 */
export class ApiError extends Error {
  constructor(status, code, message, field = null, retryAfterMs = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfterMs = retryAfterMs;
  }
}

/** `header(name)` reads a response header. */
function retryAfterMs(header, data) {
  if (Number.isFinite(data?.retry_after_ms)) return data.retry_after_ms;
  const seconds = Number(header('Retry-After'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null;
}

let unauthorizedHandler = () => {};
let unavailableHandler = () => {};

/** Called with the ApiError whenever an authenticated call answers 401. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

/** Called with the ApiError whenever a call answers 503 `unavailable` (the database is down). */
export function onUnavailable(handler) {
  unavailableHandler = handler ?? (() => {});
}

// localStorage can throw (storage disabled, private mode quotas): the app then works for this tab only.
let memoryToken = null;

export function getToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? memoryToken;
  } catch {
    return memoryToken;
  }
}

export function setToken(token) {
  memoryToken = token;
  try {
    localStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Keep the in-memory copy only.
  }
}

export function clearToken() {
  memoryToken = null;
  try {
    localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing stored.
  }
}

async function readBody(response) {
  return parseBody(await response.text().catch(() => ''));
}

function parseBody(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 300) };
  }
}

/** `token: null` for the calls that need none; `reportUnauthorized: false` keeps a 401 to the caller. */
async function request(method, path, { body, token = getToken(), reportUnauthorized = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;

  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection and try again.');
  }

  const data = await readBody(response);
  if (response.ok) return data;
  throw failed(response.status, response.statusText, data,
    (answer) => retryAfterMs((name) => response.headers.get(name), answer), { token, reportUnauthorized });
}

/**
 * The ApiError of an error answer, after telling the handlers about a 401 or `unavailable`.
 * `retryAfter(data)` reads the wait after a 429 or 503.
 */
function failed(status, statusText, data, retryAfter, { token, reportUnauthorized = true }) {
  const message = typeof data?.message === 'string' && data.message
    ? data.message
    : `The server answered ${status} ${statusText}`.trim();
  const field = typeof data?.field === 'string' ? data.field : null;
  const error = new ApiError(status, data?.error ?? 'http_error', message, field,
    status === 429 || status === 503 ? retryAfter(data) : null);
  if (status === 401 && token && reportUnauthorized) unauthorizedHandler(error);
  if (error.code === 'unavailable') unavailableHandler(error);
  return error;
}

export function register(username, password) {
  return request('POST', '/register', { body: { username, password }, token: null });
}

export function login(username, password) {
  return request('POST', '/login', { body: { username, password }, token: null });
}

export function fetchMe() {
  return request('GET', '/me');
}

export function listUsers(query = '') {
  const search = query ? `?q=${encodeURIComponent(query)}` : '';
  return request('GET', `/users${search}`);
}

/** Revokes `token` on the server: its sockets close with 4401. No 401 handling: it is gone anyway. */
export function logout(token) {
  return request('POST', '/logout', { token, reportUnauthorized: false });
}

/** Conversations with their last message and unread count, most recent first. */
export function fetchConversations() {
  return request('GET', '/conversations');
}

/** Own messages only: the server answers 403 `forbidden` for anyone else's. */
export function editMessage(messageId, content) {
  return request('PATCH', `/messages/${encodeURIComponent(messageId)}`, { body: { content } });
}

/** Leaves a tombstone: the message JSON with empty content and `deleted_at` set. */
export function deleteMessage(messageId) {
  return request('DELETE', `/messages/${encodeURIComponent(messageId)}`);
}

/**
 * One page of the conversation with `userId`, oldest first; at most one of `before`, `after`
 * and `around` (message ids).
 */
export function fetchMessages(userId, page = {}) {
  return request('GET', `/messages/${encodeURIComponent(userId)}${pageQuery(page)}`);
}

/** `?before=…&limit=…` for a history page (see fetchMessages); '' when none is set. */
function pageQuery({ before, after, around, limit }) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries({ before, after, around, limit })) {
    if (value !== undefined && value !== null) params.set(name, String(value));
  }
  return params.toString() ? `?${params}` : '';
}

/** Adds (`on`) or takes back my reaction `emoji` on a message: `{message_id, reactions}`. */
export function setReaction(messageId, emoji, on) {
  return request(on ? 'PUT' : 'DELETE', `/messages/${encodeURIComponent(messageId)}/reactions/${encodeURIComponent(emoji)}`);
}

// ---- rooms ----

/**
 * Public rooms and the private ones I am in, most recent activity first; `q` filters by name,
 * `joined` keeps only the rooms I am in.
 */
export function listRooms({ q = '', joined = false, limit } = {}) {
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  if (joined) params.set('joined', 'true');
  if (limit !== undefined) params.set('limit', String(limit));
  const search = params.toString() ? `?${params}` : '';
  return request('GET', `/rooms${search}`);
}

/** `kind`: 'public' | 'private'. Answers the room view; I am its owner. */
export function createRoom(name, kind) {
  return request('POST', '/rooms', { body: { name, kind } });
}

export function fetchRoom(roomId) {
  return request('GET', `/rooms/${encodeURIComponent(roomId)}`);
}

export function joinRoom(roomId) {
  return request('POST', `/rooms/${encodeURIComponent(roomId)}/join`);
}

export function leaveRoom(roomId) {
  return request('POST', `/rooms/${encodeURIComponent(roomId)}/leave`);
}

/** `[{user_id, username, role, joined_at, online}]`, owner first. */
export function fetchRoomMembers(roomId) {
  return request('GET', `/rooms/${encodeURIComponent(roomId)}/members`);
}

/** The owner adds someone to a private group. */
export function addRoomMember(roomId, userId) {
  return request('POST', `/rooms/${encodeURIComponent(roomId)}/members`, { body: { user_id: userId } });
}

export function removeRoomMember(roomId, userId) {
  return request('DELETE', `/rooms/${encodeURIComponent(roomId)}/members/${encodeURIComponent(userId)}`);
}

/** `{items (oldest first), end_of_history, history_pruned}`; a page as in fetchMessages (stream ids). */
export function fetchRoomMessages(roomId, page = {}) {
  return request('GET', `/rooms/${encodeURIComponent(roomId)}/messages${pageQuery(page)}`);
}

// ---- attachments ----

/**
 * Uploads one file as `multipart/form-data` (part `file`). XMLHttpRequest rather than fetch:
 * it reports upload progress and can be aborted. `onProgress(fraction)` as bytes leave.
 * Returns `{ done, abort }`: `done` resolves to the attachment JSON, or rejects with an
 * ApiError (code `aborted` after abort()).
 */
export function uploadAttachment(file, { onProgress = () => {} } = {}) {
  const token = getToken();
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open('POST', '/attachments');
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      const data = parseBody(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data);
        return;
      }
      const retryAfter = (answer) => retryAfterMs((name) => xhr.getResponseHeader(name), answer);
      reject(failed(xhr.status, xhr.statusText, data, retryAfter, { token }));
    });
    xhr.addEventListener('error', () => {
      reject(new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection and try again.'));
    });
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.')));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/** Mutes a chat ("user:ID" or "room:ID" parts) until `until` (RFC 3339), or unmutes it with null. */
export function muteChat({ kind, id }, until) {
  const path = kind === 'room' ? `/rooms/${id}/mute` : `/conversations/${id}/mute`;
  return request('PUT', path, { body: { until } });
}

/** The server's VAPID public key (base64url), for `pushManager.subscribe`. */
export function fetchPushKey() {
  return request('GET', '/push/key', { token: null });
}

/** Registers this browser's push subscription (`PushSubscription.toJSON()`). */
export function savePushSubscription(subscription) {
  return request('POST', '/push/subscriptions', { body: subscription });
}

export function deletePushSubscription(endpoint) {
  return request('DELETE', '/push/subscriptions', { body: { endpoint } });
}
