// Entry point: show the chat for a stored, still valid token, or the sign-in screen.

import * as api from './api.js';
import { ChatSession } from './chat-session.js';
import { showAuthView } from './ui/auth-view.js';

const root = document.getElementById('root');
let session = null;

function showChat(me) {
  session?.stop();
  session = new ChatSession(me, { onLogout: () => signOut() });
  session.start(root);
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
  signOut('Your session has ended. Please sign in again.');
});

async function boot() {
  if (!api.getToken()) {
    signOut();
    return;
  }
  try {
    showChat(await api.fetchMe());
  } catch (error) {
    if (error.status === 401) signOut('Your session has ended. Please sign in again.');
    else if (error.status === 0) showOffline();
    else signOut(error.message);
  }
}

function showOffline() {
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
}

boot();
