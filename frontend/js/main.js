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

/**
 * The logout button: this tab signs out at once, then the server revokes the token, which
 * closes its sockets with 4401 (other tabs follow through that or the `storage` event).
 */
function logOut() {
  const token = api.getToken();
  forgetAllDrafts();
  signOut();
  if (!token) return;
  api.logout(token).catch((error) => console.warn('Logout failed', error));
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
