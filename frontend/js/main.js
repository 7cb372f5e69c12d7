// Entry point: show the chat for a stored, still valid token, or the sign-in screen.

import * as api from './api.js';
import { ChatSession } from './chat-session.js';
import { forgetAllDrafts } from './drafts.js';
import { showAuthView } from './ui/auth-view.js';
import { ignoreStrayDrops } from './ui/drop-zone.js';

const root = document.getElementById('root');
let session = null;

const SESSION_ENDED = 'Your session ended. Please sign in again.';

function showChat(me) {
  session?.stop();
  session = new ChatSession(me, {
    onLogout: () => logOut(),
    onSessionEnded: () => signOut(SESSION_ENDED),
  });
  session.start(root);
}

// How long a logout waits for this browser's Web Push subscription to be removed.
const PUSH_OFF_MS = 3000;
let loggingOut = false;

/**
 * The logout button: this browser's Web Push subscription is removed first (while the token
 * still works: the next person here must not get this account's pushes), then this tab signs
 * out, then the server revokes the token, which closes its sockets with 4401 (other tabs follow
 * through that or the `storage` event).
 */
async function logOut() {
  if (loggingOut) return;
  loggingOut = true;
  await pushOff();
  loggingOut = false;
  const token = api.getToken();
  forgetAllDrafts();
  signOut();
  if (!token) return;
  api.logout(token).catch((error) => console.warn('Logout failed', error));
}

/** push-subscription.js is helper h/push's, loaded lazily (the app works without it); bounded. */
function pushOff() {
  const off = import('./push-subscription.js')
    .then((push) => push.disablePush(api))
    .catch((error) => console.info('Push notifications are not available', error));
  return Promise.race([off, new Promise((resolve) => setTimeout(resolve, PUSH_OFF_MS))]);
}

function signOut(notice = '') {
  session?.stop();
  session = null;
  api.clearToken();
  if (history.state?.parleyChat !== undefined) history.replaceState(null, '');
  showAuthView(root, { onAuthenticated: showChat, notice });
}

api.onUnauthorized(() => {
  // Several calls can fail at once; go back to the sign-in screen only once.
  if (!session) return;
  signOut(SESSION_ENDED);
});

// Another tab signed out (or in as someone else): follow it.
window.addEventListener('storage', (event) => {
  if (event.key !== 'parley.token') return;
  if (event.newValue === null) {
    if (session) signOut(SESSION_ENDED);
  } else if (event.newValue !== event.oldValue) {
    boot();
  }
});

async function boot() {
  if (!api.getToken()) {
    signOut();
    return;
  }
  try {
    showChat(await api.fetchMe());
  } catch (error) {
    if (error.status === 401) signOut(SESSION_ENDED);
    // Down or restarting: keep the token and try again (after the server's hint).
    else if (error.status === 0 || error.status === 503) showOffline(error.retryAfterMs);
    else signOut(error.message);
  }
}

/** With `retryAfterMs` (the server said when), tries again by itself then. */
function showOffline(retryAfterMs = null) {
  const note = document.createElement('div');
  note.className = 'boot';
  const text = document.createElement('p');
  text.textContent = 'Cannot reach the server.';
  const retry = document.createElement('button');
  retry.type = 'button';
  retry.className = 'button-primary';
  retry.textContent = 'Try again';
  retry.addEventListener('click', boot);
  note.append(text, retry);
  root.replaceChildren(note);
  if (retryAfterMs !== null) {
    text.textContent = 'The server is unavailable. Reconnecting…';
    const again = setTimeout(boot, Math.max(1_000, retryAfterMs));
    retry.addEventListener('click', () => clearTimeout(again));
  }
}

ignoreStrayDrops();
boot();
