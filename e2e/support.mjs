// Small helpers shared by the browser tests.

import assert from 'node:assert/strict';

export const PASSWORD = 'correct horse battery';

/** Polls `condition` every 200 ms until it holds, failing after `timeoutMs`. */
export async function waitUntil(condition, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`Timed out waiting for ${what}`);
}

/** Creates an account through the API (not the UI); returns its id and token. */
export async function registerByApi(baseUrl, username) {
  const post = (path) => fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  const registered = await post('/register');
  assert.equal(registered.status, 201, 'POST /register');
  const login = await post('/login');
  assert.equal(login.status, 200, 'POST /login');
  const session = await login.json();
  return { id: session.user.id, token: session.access_token };
}
