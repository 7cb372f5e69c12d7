// End-to-end: the real server binary, a fresh SQLite database, and Chromium driving the web UI.
//
//   cd e2e && npm install && cd .. && node --test e2e/
//
// Env: PARLEY_BIN (default target/debug/parley), CHROMIUM_PATH (default /usr/bin/chromium).

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.mjs';
import { PASSWORD, registerByApi, waitUntil } from './support.mjs';
import { ParleyPage } from './parley-page.mjs';
import { createServerEnvironment, startServer } from './server.mjs';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url).pathname;
const TEST_TIMEOUT_MS = 90_000;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

const shot = (name) => `${SCREENSHOTS}${name}.png`;

describe('Parley in the browser', { timeout: 10 * 60_000 }, () => {
  let environment;
  let server;
  let browser;
  const contexts = [];
  let alice;
  let bob;

  async function newPage({ viewport = DESKTOP, ...options } = {}) {
    const context = await browser.newContext({ viewport, ...options });
    contexts.push(context);
    return new ParleyPage(await context.newPage(), server.baseUrl);
  }

  /** GET an API path as the user whose page is given, from Node rather than the page. */
  async function apiGet(page, path) {
    const response = await fetch(`${server.baseUrl}${path}`, {
      headers: { Authorization: `Bearer ${await page.token()}` },
    });
    assert.equal(response.status, 200, `GET ${path}`);
    return response.json();
  }



  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    environment = await createServerEnvironment();
    server = await startServer(environment);
    browser = await launchChromium();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop();
    await environment?.remove();
  });

  it('shows the server’s reasons on the sign-in screen', { timeout: TEST_TIMEOUT_MS }, async () => {
    const page = await newPage();
    await page.open();
    await page.authForm.waitFor();
    await page.screenshot(shot('01-sign-in'));

    const unknown = await page.authError('login', 'nobody', 'wrong password');
    assert.ok(unknown.length > 0, 'a 401 shows a message');

    const shortName = await page.authError('register', 'ab', PASSWORD);
    assert.match(shortName, /username/i, 'a 422 names the username field');

    const shortPassword = await page.authError('register', 'valid_name', 'short');
    assert.match(shortPassword, /password/i, 'a 422 names the password field');
    await page.screenshot(shot('02-sign-in-error'));
  });

  it('two people register and talk live', { timeout: TEST_TIMEOUT_MS }, async () => {
    alice = await newPage();
    await alice.open();
    await alice.register('alice', PASSWORD);
    await alice.page.locator('.chat-empty', { hasText: 'Pick a chat' }).waitFor();
    assert.equal(await alice.composer.isDisabled(), true, 'no peer chosen yet');
    await alice.screenshot(shot('03-empty-state'));

    bob = await newPage();
    await bob.open();
    const taken = await bob.authError('register', 'ALICE', PASSWORD);
    assert.ok(taken.length > 0, 'a 409 shows a message');
    await bob.register('bob', PASSWORD);

    // Bob registered after Alice's list loaded: the prefix search asks the server again.
    await alice.search('bo');
    await alice.userButton('bob').and(alice.page.locator('[data-online="true"]')).waitFor();
    await alice.openChat('bob');
    assert.equal(await alice.composer.isDisabled(), false);
    await bob.openChat('alice');

    await alice.send('Hi Bob! 👋');
    await alice.waitForMessage('Hi Bob! 👋', 'mine', { status: 'sent' });
    await bob.waitForMessage('Hi Bob! 👋', 'theirs');

    // Shift+Enter makes a new line; the button sends too.
    await bob.composer.fill('Hey Alice,');
    await bob.composer.press('Shift+Enter');
    await bob.composer.pressSequentially('how are you?');
    await bob.page.locator('.send-button').click();
    await bob.waitForMessage('Hey Alice,\nhow are you?', 'mine', { status: 'sent' });
    await alice.waitForMessage('Hey Alice,\nhow are you?', 'theirs');

    await alice.send('Great, thanks. Try the new build at https://example.com/parley?x=1.');
    await bob.waitForMessage('Great, thanks. Try the new build at https://example.com/parley?x=1.', 'theirs');
    const link = bob.page.locator('.message-text a', { hasText: 'https://example.com/parley?x=1' });
    assert.equal(await link.getAttribute('href'), 'https://example.com/parley?x=1');

    await alice.screenshot(shot('04-desktop-alice'));
    await bob.screenshot(shot('05-desktop-bob'));
  });

  it('shows an unread badge for a conversation that is not open', { timeout: TEST_TIMEOUT_MS }, async () => {
    await alice.search('');
    const carol = await newPage();
    await carol.open();
    await carol.register('carol', PASSWORD);
    await carol.openChat('alice');
    await carol.send('psst, alice');
    await carol.waitForMessage('psst, alice', 'mine', { status: 'sent' });

    // Alice still has Bob open: Carol gets a badge, and her text stays out of Bob's pane.
    await alice.unreadBadge('carol').filter({ hasText: '1' }).waitFor();
    assert.equal(await alice.messages('psst, alice').count(), 0);
    await alice.screenshot(shot('06-unread-badge'));

    await alice.openChat('carol');
    await alice.waitForMessage('psst, alice', 'theirs');
    assert.equal(await alice.unreadBadge('carol').count(), 0, 'opening clears the badge');
    await alice.openChat('bob');
    await carol.page.context().close();
  });

  it('shows a message sent from another tab of the same account', { timeout: TEST_TIMEOUT_MS }, async () => {
    const secondTab = new ParleyPage(await alice.page.context().newPage(), server.baseUrl);
    await secondTab.open();
    await secondTab.waitForChat('alice');
    await secondTab.openChat('bob');
    await secondTab.send('Sent from my other tab');
    await secondTab.waitForMessage('Sent from my other tab', 'mine', { status: 'sent' });
    await alice.waitForMessage('Sent from my other tab', 'mine');
    await bob.waitForMessage('Sent from my other tab', 'theirs');
    await secondTab.page.close();
  });

  it('keeps the history across a reload', { timeout: TEST_TIMEOUT_MS }, async () => {
    await bob.page.reload();
    await bob.waitForChat('bob');
    await bob.openChat('alice');
    await bob.waitForMessage('Hi Bob! 👋', 'theirs');
    await bob.waitForMessage('Sent from my other tab', 'theirs');
    const texts = await bob.messageTexts();
    assert.deepEqual(texts, [
      'Hi Bob! 👋',
      'Hey Alice,\nhow are you?',
      'Great, thanks. Try the new build at https://example.com/parley?x=1.',
      'Sent from my other tab',
    ]);
  });

  it('delivers what was sent while the app was closed', { timeout: TEST_TIMEOUT_MS }, async () => {
    const bobContext = bob.page.context();
    await bob.page.close();
    await waitUntil(async () => {
      const users = await apiGet(alice, '/users?q=bob');
      return users.some((user) => user.username === 'bob' && !user.online);
    }, 'the server to see Bob offline');

    await alice.send('Are you there?');
    await alice.waitForMessage('Are you there?', 'mine', { status: 'sent' });

    bob = new ParleyPage(await bobContext.newPage(), server.baseUrl);
    await bob.open();
    await bob.waitForChat('bob'); // the stored token signs him in
    // The stored message arrives over the socket as soon as it connects.
    await bob.unreadBadge('alice').filter({ hasText: '1' }).waitFor();
    await bob.openChat('alice');
    await bob.waitForMessage('Are you there?', 'theirs');
    assert.equal(await bob.messages('Are you there?').count(), 1, 'socket and history do not duplicate it');
  });

  it('shows HTML in a message as text', { timeout: TEST_TIMEOUT_MS }, async () => {
    const html = '<img src=x onerror=alert(1)>';
    await alice.send(html);
    await alice.waitForMessage(html, 'mine', { status: 'sent' });
    await bob.waitForMessage(html, 'theirs');
    await bob.page.waitForTimeout(500); // give a wrongly parsed onerror a chance to fire
    for (const page of [alice, bob]) {
      assert.equal(await page.page.locator('.message-list img').count(), 0);
      assert.deepEqual(page.dialogs, []);
    }
  });

  it('queues a message while the server is down and sends it after reconnecting', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { port } = server;
    await server.stop();
    await alice.page.locator('.connection[data-state="waiting"]').waitFor();
    await alice.send('Written while offline');
    await alice.waitForMessage('Written while offline', 'mine', { status: 'queued' });
    await alice.screenshot(shot('07-offline'));

    server = await startServer(environment, { port });
    await alice.waitConnected();
    await bob.waitConnected();
    await alice.waitForMessage('Written while offline', 'mine', { status: 'sent' });
    await bob.waitForMessage('Written while offline', 'theirs');
    assert.equal(await bob.messages('Written while offline').count(), 1);
  });

  it('pages back through a long history, keeping the scroll position', { timeout: TEST_TIMEOUT_MS }, async () => {
    const total = 130;
    const reader = await newPage();
    await reader.open();
    await reader.register('frank', PASSWORD);

    // Erin fills the conversation through a raw socket, one message per ack.
    const erin = await registerByApi(server.baseUrl, 'erin');
    await reader.page.evaluate(async ({ token, recipientId, count }) => {
      const ws = new WebSocket(`ws://${location.host}/ws?token=${encodeURIComponent(token)}`);
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error('socket failed'));
      });
      const frames = [];
      let wake = null;
      ws.onmessage = (event) => {
        frames.push(JSON.parse(event.data));
        wake?.();
      };
      const nextFrame = async () => {
        while (frames.length === 0) await new Promise((resolve) => { wake = resolve; });
        return frames.shift();
      };
      for (let i = 1; i <= count; i += 1) {
        send: for (;;) {
          ws.send(JSON.stringify({ type: 'message', recipient_id: recipientId, content: `Note ${i}`, client_id: `note-${i}` }));
          for (;;) {
            const frame = await nextFrame();
            if (frame.type === 'ack') break send;
            if (frame.type === 'error' && frame.code === 'rate_limited') {
              await new Promise((resolve) => setTimeout(resolve, frame.retry_after_ms ?? 1000));
              continue send;
            }
            if (frame.type === 'error') throw new Error(`Unexpected frame ${JSON.stringify(frame)}`);
            // ready, delivered, presence…: not what this loop waits for.
          }
        }
      }
      ws.close();
    }, { token: erin.token, recipientId: (await apiGet(reader, '/me')).id, count: total });

    await reader.page.reload();
    await reader.waitForChat('frank');
    await reader.openChat('erin');
    await reader.waitForMessage(`Note ${total}`, 'theirs');
    const scroller = reader.page.locator('.messages');
    const firstPage = await reader.messageTexts();
    assert.equal(firstPage.length, 50, 'the newest page only');
    assert.equal(firstPage[0], `Note ${total - 49}`);

    // Scroll to the top: the next page is prepended and what was on screen stays put.
    const anchor = reader.messages(`Note ${total - 49}`);
    await scroller.evaluate((node) => { node.scrollTop = 0; });
    await reader.waitForMessage(`Note ${total - 99}`, 'theirs');
    const anchorTop = await anchor.evaluate((node) => node.getBoundingClientRect().top);
    const scrollerBox = await scroller.boundingBox();
    assert.ok(anchorTop > scrollerBox.y - 40 && anchorTop < scrollerBox.y + scrollerBox.height,
      `the message that was at the top is still in view (at ${anchorTop})`);

    await scroller.evaluate((node) => { node.scrollTop = 0; });
    await reader.waitForMessage('Note 1', 'theirs');
    await reader.page.locator('.messages-older[data-kind="start"]').waitFor();
    const texts = await reader.messageTexts();
    assert.deepEqual(texts, Array.from({ length: total }, (_, i) => `Note ${i + 1}`));
    await reader.screenshot(shot('08-history-start'));
  });

  it('works on a phone-sized screen', { timeout: TEST_TIMEOUT_MS }, async () => {
    const phone = await newPage({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await phone.open();
    await phone.authForm.waitFor();
    await phone.screenshot(shot('09-phone-sign-in'));
    await phone.register('dave', PASSWORD);

    const sidebar = phone.page.locator('.sidebar');
    const chat = phone.page.locator('.chat');
    assert.equal(await sidebar.isVisible(), true);
    assert.equal(await chat.isVisible(), false, 'only the list shows at first');
    await phone.search('al'); // a new account has no chats yet: find someone
    await phone.userButton('alice').waitFor();
    await phone.screenshot(shot('10-phone-list'));

    await phone.userButton('alice').tap();
    await phone.page.locator('.peer-name', { hasText: 'alice' }).waitFor();
    assert.equal(await sidebar.isVisible(), false, 'the chat replaces the list');
    await phone.send('Hello from my phone');
    await phone.waitForMessage('Hello from my phone', 'mine', { status: 'sent' });
    await alice.unreadBadge('dave').filter({ hasText: '1' }).waitFor();
    await phone.screenshot(shot('11-phone-chat'));

    await phone.page.locator('.back-button').tap();
    await sidebar.waitFor();
    assert.equal(await chat.isVisible(), false);
  });

  it('signs in, follows the dark colour scheme, and signs out', { timeout: TEST_TIMEOUT_MS }, async () => {
    const dark = await newPage({ colorScheme: 'dark' });
    await dark.open();
    await dark.login('bob', PASSWORD);
    await dark.openChat('alice');
    await dark.waitForMessage('Written while offline', 'theirs');
    await dark.screenshot(shot('12-dark'));

    await dark.logOut();
    assert.equal(await dark.token(), null);
    await dark.page.reload();
    await dark.authForm.waitFor();
  });

  it('goes back to sign-in when the server no longer accepts the token', { timeout: TEST_TIMEOUT_MS }, async () => {
    // A restart with a new signing key invalidates every token: the socket's reconnect is
    // refused, the app asks /me, gets 401, and shows the sign-in screen.
    const { port } = server;
    await server.stop();
    environment.env.JWT_SECRET = `${environment.env.JWT_SECRET}-rotated`;
    server = await startServer(environment, { port });
    await alice.authForm.waitFor({ timeout: 30_000 });
    assert.match(await alice.formError.textContent(), /sign in again/i);
    assert.equal(await alice.token(), null);
    await alice.screenshot(shot('13-session-ended'));
  });

  it('raised no script errors', () => {
    for (const page of [alice, bob]) assert.deepEqual(page?.errors ?? [], []);
  });
});
