// End-to-end, issue 13: a database outage in the browser. PostgreSQL (a throwaway server of
// this test's own) stops while a socket is open: a send gets `unavailable`, the app says
// "Reconnecting…" and resends with the same client_id after `retry_after_ms`; once the
// database is back the message arrives exactly once.
//
//   cd e2e && npm install && cd .. && node --test e2e/outage.test.mjs

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.mjs';
import { PASSWORD, waitUntil } from './support.mjs';
import { ParleyPage } from './parley-page.mjs';
import { startPostgres } from './postgres.mjs';
import { createServerEnvironment, startServer } from './server.mjs';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url).pathname;
const DESKTOP = { width: 1280, height: 800 };

describe('A database outage in the browser', { timeout: 5 * 60_000 }, () => {
  let database;
  let environment;
  let server;
  let browser;

  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    database = await startPostgres();
    environment = await createServerEnvironment();
    environment.env.DATABASE_URL = database.url;
    server = await startServer(environment);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await database?.stop();
    await environment?.remove();
  });

  async function signUp(username) {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = new ParleyPage(await context.newPage(), server.baseUrl);
    await page.open();
    await page.register(username, PASSWORD);
    return page;
  }

  it('shows "Reconnecting…" on unavailable and resends once the database is back', { timeout: 120_000 }, async () => {
    const ada = await signUp('ada');
    const ben = await signUp('ben');
    const unavailable = [];
    ada.page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
      const frame = JSON.parse(String(payload));
      if (frame.code === 'unavailable') unavailable.push(frame);
    }));
    // A socket opened after the listener: reload so the listener sees it.
    await ada.page.reload();
    await ada.waitConnected();
    await ada.openChat('ben');
    await ada.send('Before the outage');
    await ben.openChat('ada');
    await ben.waitForMessage('Before the outage', 'theirs');

    await database.pause();
    await ada.send('Written while the database was down');
    const status = ada.page.locator('.connection[data-state="unavailable"]');
    await status.waitFor();
    assert.equal((await status.locator('.connection-text').textContent()).trim(), 'Reconnecting…');
    await ada.waitForMessage('Written while the database was down', 'mine', { status: 'queued' });
    // The same message, refused and resent (after the 1 s hint) with the same client_id.
    await waitUntil(() => unavailable.length >= 2, 'the resend after the hint to be refused too');
    assert.equal(new Set(unavailable.map((frame) => frame.client_id)).size, 1);
    assert.ok(unavailable.every((frame) => frame.retry_after_ms >= 1));
    await ada.screenshot(`${SCREENSHOTS}40-database-unavailable.png`);

    await database.resume();
    await ben.waitForMessage('Written while the database was down', 'theirs');
    await ada.waitForReceipt('Written while the database was down', 'read');
    await ada.page.locator('.connection[data-state="open"]').waitFor();
    await ada.screenshot(`${SCREENSHOTS}41-database-back.png`);
    const texts = ['Before the outage', 'Written while the database was down'];
    assert.deepEqual(await ben.messageTexts(), texts);
    assert.deepEqual(await ada.messageTexts(), texts);
    const history = await ada.page.evaluate(async (peer) => {
      const token = localStorage.getItem('parley.token');
      const users = await (await fetch(`/users?q=${peer}`, { headers: { Authorization: `Bearer ${token}` } })).json();
      const id = users.find((user) => user.username === peer).id;
      return (await fetch(`/messages/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
    }, 'ben');
    assert.deepEqual(history.map((message) => message.content), texts);
  });
});
