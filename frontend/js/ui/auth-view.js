// The sign-in / create-account screen.

import * as api from '../api.js';
import { asSentence } from '../sentence.js';
import { fromTemplate } from './element.js';

const LABELS = {
  login: { submit: 'Sign in', busy: 'Signing in…', passwordAutocomplete: 'current-password' },
  register: { submit: 'Create account', busy: 'Creating account…', passwordAutocomplete: 'new-password' },
};

/** Shows the auth screen in `root`; calls `onAuthenticated(user)` once a token is stored. */
export function showAuthView(root, { onAuthenticated, notice = '' }) {
  const view = fromTemplate('auth-template');
  const form = view.querySelector('.auth-form');
  const tabs = [...view.querySelectorAll('.auth-tab')];
  const username = form.elements.username;
  const password = form.elements.password;
  const errorBox = form.querySelector('.form-error');
  const submit = form.querySelector('.auth-submit');
  let mode = 'login';
  let busy = false;

  function showError(text, kind = 'error') {
    errorBox.textContent = text;
    errorBox.dataset.kind = kind;
    errorBox.hidden = !text;
  }

  function markInvalid(field) {
    for (const input of [username, password]) input.removeAttribute('aria-invalid');
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  }

  function setMode(next) {
    mode = next;
    for (const tab of tabs) tab.setAttribute('aria-selected', String(tab.dataset.mode === mode));
    for (const hint of form.querySelectorAll('[data-register-only]')) hint.hidden = mode !== 'register';
    password.autocomplete = LABELS[mode].passwordAutocomplete;
    submit.textContent = LABELS[mode].submit;
    showError('');
    markInvalid(null);
  }

  // The server may name the field; otherwise look for it in the message.
  function invalidField(error) {
    const named = error.field ?? '';
    const text = `${named} ${error.message}`.toLowerCase();
    if (text.includes('username')) return username;
    if (text.includes('password')) return password;
    return null;
  }

  async function authenticate(name, secret) {
    if (mode === 'register') await api.register(name, secret);
    const session = await api.login(name, secret);
    api.setToken(session.access_token);
    return session.user;
  }

  for (const tab of tabs) tab.addEventListener('click', () => setMode(tab.dataset.mode));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    const name = username.value.trim();
    const secret = password.value;
    if (!name) {
      showError('Enter a username.');
      markInvalid(username);
      return;
    }
    if (!secret) {
      showError('Enter a password.');
      markInvalid(password);
      return;
    }

    busy = true;
    submit.disabled = true;
    submit.textContent = LABELS[mode].busy;
    showError('');
    markInvalid(null);
    try {
      const user = await authenticate(name, secret);
      onAuthenticated(user);
    } catch (error) {
      showError(errorText(error));
      if (error.code === 'username_taken') markInvalid(username);
      else if (error.code === 'invalid_credentials') markInvalid(password);
      else if (error.status === 422) markInvalid(invalidField(error));
    } finally {
      busy = false;
      submit.disabled = false;
      submit.textContent = LABELS[mode].submit;
    }
  });

  root.replaceChildren(view);
  setMode('login');
  if (notice) showError(notice, 'notice');
  username.focus();
}

function errorText(error) {
  if (!(error instanceof api.ApiError)) return 'Something went wrong. Please try again.';
  if (error.code === 'rate_limited') {
    const seconds = Math.ceil((error.retryAfterMs ?? 30_000) / 1000);
    return `Too many attempts. Try again in ${seconds < 90 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`}.`;
  }
  return asSentence(error.message);
}
