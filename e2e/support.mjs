// Small helpers shared by the browser tests.

import assert from 'node:assert/strict';
import { createServer } from 'node:net';

export const PASSWORD = 'correct horse battery';

/**
 * Polls `condition` every 200 ms until it holds, failing after `timeoutMs`; `what` is a
 * string, or a function that says it when the wait fails (to show the last state seen).
 */
export async function waitUntil(condition, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`Timed out waiting for ${typeof what === 'function' ? what() : what}`);
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

/** A loopback port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
