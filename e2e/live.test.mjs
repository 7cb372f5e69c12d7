// End-to-end, protocol v2 (issue 3): receipts, typing, unread badges across tabs and devices,
// edits and deletes, one shared socket per browser, resending after an outage, revoked tokens.
//
//   cd e2e && npm install && cd .. && node --test e2e/
//
// Each test has its own people, so the tests do not depend on each other's order.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.mjs';
import { PASSWORD, registerByApi, waitUntil } from './support.mjs';
import { ParleyPage } from './parley-page.mjs';
import { createServerEnvironment, startServer } from './server.mjs';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url).pathname;
const TEST_TIMEOUT_MS = 90_000;
const DESKTOP = { width: 1280, height: 800 };

const shot = (name) => `${SCREENSHOTS}${name}.png`;

describe('Parley v2 in the browser', { timeout: 10 * 60_000 }, () => {
  let environment;
  let server;
  let browser;
  const contexts = [];
  const pages = [];

  async function newContext(options = {}) {
    const context = await browser.newContext({ viewport: DESKTOP, ...options });
    contexts.push(context);
    return context;
  }

  async function newTab(context) {
    const page = new ParleyPage(await context.newPage(), server.baseUrl);
    pages.push(page);
    return page;
  }

  /** A new browser (context) with one tab, signed up as `username`. */
  async function signUp(username, options) {
    const page = await newTab(await newContext(options));
    await page.open();
    await page.register(username, PASSWORD);
    return page;
  }

  /** A second tab in the same browser as `page`, already signed in through the shared token. */
  async function secondTab(page) {
    const tab = await newTab(page.page.context());
    await tab.open();
    await tab.waitForChat(await page.page.locator('.me-name').textContent());
    return tab;
  }

  /** Another device: a new browser context that signs in through the form. */
  async function signIn(username) {
    const page = await newTab(await newContext());
    await page.open();
    await page.login(username, PASSWORD);
    return page;
  }

  async function api(method, path, { token, body } = {}) {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }



  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    environment = await createServerEnvironment();
    // A low sending limit, so that a burst from the composer runs into it (see the rate test).
    Object.assign(environment.env, { SEND_RATE: '5', SEND_BURST: '10' });
    server = await startServer(environment);
    browser = await launchChromium();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop();
    await environment?.remove();
  });

  it('shows ✓ sent, ✓✓ delivered and blue ✓✓ read as the peer connects and opens the chat', { timeout: TEST_TIMEOUT_MS }, async () => {
    await registerByApi(server.baseUrl, 'rita'); // offline: no socket yet
    const sam = await signUp('sam');
    await sam.openChat('rita');
    await sam.send('Are you around?');
    await sam.waitForReceipt('Are you around?', 'sent');
    await sam.page.waitForTimeout(300);
    assert.equal(await sam.receipt('Are you around?'), 'sent', 'not delivered while Rita has no socket');
    await sam.screenshot(shot('20-receipt-sent'));

    // Rita signs in: the message reaches her socket, but she has not opened the chat.
    const rita = await signIn('rita');
    await rita.unreadBadge('sam').filter({ hasText: '1' }).waitFor();
    await sam.waitForReceipt('Are you around?', 'delivered');
    await sam.page.waitForTimeout(300);
    assert.equal(await sam.receipt('Are you around?'), 'delivered', 'not read before she opens it');
    assert.equal(await sam.userButton('rita').locator('.receipt-delivered').count(), 1, 'the list shows ✓✓ too');
    await sam.screenshot(shot('21-receipt-delivered'));

    await rita.openChat('sam');
    await sam.waitForReceipt('Are you around?', 'read');
    const color = await sam.messages('Are you around?', 'mine').locator('.receipt').evaluate((node) => getComputedStyle(node).color);
    const readColor = await sam.page.evaluate(() => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--read)';
      document.body.append(probe);
      const value = getComputedStyle(probe).color;
      probe.remove();
      return value;
    });
    assert.equal(color, readColor, 'read ticks are blue');
    assert.equal(await rita.unreadBadge('sam').count(), 0);

    // A message sent while Rita has the chat open goes straight to read.
    await sam.send('Great, see you at 6');
    await sam.waitForReceipt('Great, see you at 6', 'read');
    await sam.screenshot(shot('22-receipt-read'));

    // After a reload, the ticks come from the history (read_at).
    await sam.page.reload();
    await sam.waitForChat('sam');
    await sam.openChat('rita');
    await sam.waitForReceipt('Are you around?', 'read');
    await sam.waitForReceipt('Great, see you at 6', 'read');
  });

  it('shows “typing…” while the peer types and hides it when the message arrives or the lease ends', { timeout: TEST_TIMEOUT_MS }, async () => {
    const tina = await signUp('tina');
    const uma = await signUp('uma');
    await tina.openChat('uma');
    await tina.send('Hi Uma');
    await uma.openChat('tina');
    await uma.waitForMessage('Hi Uma', 'theirs');

    await uma.composer.pressSequentially('Hello there, I am writ', { delay: 30 });
    await tina.typingInHeader.waitFor();
    await tina.typingInList('uma').waitFor();
    await tina.screenshot(shot('23-typing'));

    await uma.composer.pressSequentially('ing back', { delay: 30 });
    await uma.composer.press('Enter');
    await tina.waitForMessage('Hello there, I am writing back', 'theirs');
    await tina.typingInHeader.waitFor({ state: 'detached', timeout: 2_000 });
    assert.equal(await tina.typingInList('uma').count(), 0);
    assert.match(await tina.page.locator('.peer-status').textContent(), /^(Online|last seen)/);

    // Typing and stopping: the indicator goes away by itself once its lease runs out.
    await uma.composer.pressSequentially('hmm', { delay: 30 });
    await tina.typingInHeader.waitFor();
    const started = Date.now();
    await tina.typingInHeader.waitFor({ state: 'detached', timeout: 12_000 });
    assert.ok(Date.now() - started > 1_000, 'it stays while the lease runs');

    // Idle: no typing frames go out (nothing appears without keystrokes).
    await tina.page.waitForTimeout(1_500);
    assert.equal(await tina.typingInHeader.count(), 0);

    // Uma leaves: a presence frame turns her dot off and shows when she was last seen.
    assert.equal(await tina.page.locator('.peer-status').textContent(), 'Online');
    await uma.page.context().close();
    await tina.page.locator('.peer-status', { hasText: 'last seen just now' }).waitFor();
    await tina.userButton('uma').and(tina.page.locator('[data-online="false"]')).waitFor();
  });

  it('counts unread messages and clears the badge in every tab and device once one reads them', { timeout: TEST_TIMEOUT_MS }, async () => {
    const vera = await signUp('vera');
    const walt = await signUp('walt');
    const waltTab2 = await secondTab(walt);
    const waltPhone = await signIn('walt');

    await vera.openChat('walt');
    await vera.send('One');
    await vera.send('Two');
    await vera.send('Three');
    await vera.waitForReceipt('Three', 'delivered');

    for (const page of [walt, waltTab2, waltPhone]) {
      await page.unreadBadge('vera').filter({ hasText: '3' }).waitFor();
    }
    assert.match(await walt.page.title(), /^\(3\) Parley$/);
    const preview = await walt.userButton('vera').locator('.user-preview').textContent();
    assert.equal(preview, 'Three');
    await walt.screenshot(shot('24-unread-badges'));

    // Reading in one tab clears the badge in the other tab (same socket) and on the other
    // device (the server's read frame).
    await walt.openChat('vera');
    await waltTab2.unreadBadge('vera').waitFor({ state: 'detached' });
    await waltPhone.unreadBadge('vera').waitFor({ state: 'detached' });
    assert.equal(await waltTab2.page.title(), 'Parley');
    await vera.waitForReceipt('Three', 'read');

    // The server agrees: nothing unread after a reload.
    await waltPhone.page.reload();
    await waltPhone.waitForChat('walt');
    await waltPhone.userButton('vera').waitFor();
    assert.equal(await waltPhone.unreadBadge('vera').count(), 0);
  });

  it('edits and deletes a message, and the peer sees both live', { timeout: TEST_TIMEOUT_MS }, async () => {
    const xena = await signUp('xena');
    const yuri = await signUp('yuri');
    await xena.openChat('yuri');
    await xena.send('See you at the trian station');
    await xena.send('Bring the tickets');
    await yuri.openChat('xena');
    await yuri.waitForMessage('Bring the tickets', 'theirs');

    // Every message has a menu (Reply, React, Copy); only mine offers Edit and Delete.
    assert.equal(await yuri.page.locator('.message-theirs .message-menu-button').count(), 2);
    await xena.messages('Bring the tickets', 'mine').hover();
    await xena.messages('Bring the tickets', 'mine').locator('.message-menu-button').waitFor();
    await xena.page.waitForTimeout(200); // the ⋮ fades in
    await xena.screenshot(shot('25-message-hover'));
    await xena.openMessageMenu('See you at the trian station');
    await xena.screenshot(shot('25-message-menu-open'));
    await xena.page.keyboard.press('Escape');

    await xena.editMessage('See you at the trian station', 'See you at the train station');
    await xena.waitForMessage('See you at the train station', 'mine');
    const edited = await yuri.waitForMessage('See you at the train station', 'theirs');
    assert.equal(await edited.locator('.message-edited').textContent(), 'edited');
    assert.equal(await yuri.messages('See you at the trian station').count(), 0);

    await xena.deleteMessage('Bring the tickets');
    await yuri.deletedMessages.filter({ hasText: 'This message was deleted' }).waitFor();
    await xena.deletedMessages.filter({ hasText: 'You deleted this message' }).waitFor();
    assert.equal(await yuri.messages('Bring the tickets').count(), 0);
    const style = await yuri.deletedMessages.locator('.message-text').evaluate((node) => getComputedStyle(node).fontStyle);
    assert.equal(style, 'italic');
    await yuri.userButton('xena').locator('.user-preview[data-kind="deleted"]', { hasText: 'This message was deleted' }).waitFor();
    await yuri.screenshot(shot('26-edited-deleted'));

    // The server has the same view: history after a reload.
    await yuri.page.reload();
    await yuri.waitForChat('yuri');
    await yuri.openChat('xena');
    await yuri.waitForMessage('See you at the train station', 'theirs');
    await yuri.deletedMessages.first().waitFor();
    assert.deepEqual(await yuri.messageTexts(), ['See you at the train station', 'This message was deleted']);
  });

  it('shares one WebSocket between the tabs of a browser', { timeout: TEST_TIMEOUT_MS }, async () => {
    const zoe = await signUp('zoe');
    const context = await newContext();
    const sockets = [];
    const watch = (page) => {
      page.page.on('websocket', (ws) => {
        if (new URL(ws.url()).pathname === '/ws') sockets.push({ ws, page: page.page });
      });
      return page;
    };

    const amy = watch(await newTab(context));
    await amy.open();
    await amy.register('amy', PASSWORD);
    const amy2 = watch(await secondTab(amy));
    const amy3 = watch(await secondTab(amy));
    await amy3.waitConnected();
    await amy.page.waitForTimeout(1_000);
    assert.equal(sockets.length, 1, 'three tabs, one socket');

    // A message sent from a tab that does not own the socket goes out through the one that does,
    // and every tab shows it.
    await amy2.openChat('zoe');
    await amy2.send('Sent from tab two');
    await amy2.waitForReceipt('Sent from tab two', 'delivered');
    await zoe.openChat('amy');
    await zoe.waitForMessage('Sent from tab two', 'theirs');
    await amy3.openChat('zoe');
    await amy3.waitForMessage('Sent from tab two', 'mine');
    assert.equal(await amy3.messages('Sent from tab two').count(), 1);
    await amy.userButton('zoe').locator('.user-preview', { hasText: 'Sent from tab two' }).waitFor();

    // Frames reach every tab.
    await zoe.send('Hello all of you');
    for (const page of [amy2, amy3]) await page.waitForMessage('Hello all of you', 'theirs');
    await amy.unreadBadge('zoe').waitFor({ state: 'detached' }); // read in the tabs showing the chat

    // The tab with the socket closes: another takes over, with a socket of its own.
    assert.equal(sockets[0].page, amy.page, 'the first tab owns it');
    await amy.page.close();
    await waitUntil(() => sockets.length === 2, 'another tab to open the socket');
    await amy2.waitConnected();
    await zoe.send('Still there?');
    await amy2.waitForMessage('Still there?', 'theirs');
    await amy3.waitForMessage('Still there?', 'theirs');
    await amy2.page.waitForTimeout(500);
    const open = sockets.filter(({ ws, page }) => !page.isClosed() && !ws.isClosed());
    assert.equal(open.length, 1, 'still one socket');
  });

  it('resends what was written while the server was down, and it arrives exactly once', { timeout: TEST_TIMEOUT_MS }, async () => {
    const bea = await signUp('bea');
    const cal = await signUp('cal');
    await bea.openChat('cal');
    await bea.send('Before the outage');
    await cal.openChat('bea');
    await cal.waitForMessage('Before the outage', 'theirs');

    const { port } = server;
    await server.stop();
    await bea.page.locator('.connection[data-state="waiting"]').waitFor();
    await bea.send('Written during the outage');
    await bea.send('And another one');
    await bea.waitForReceipt('Written during the outage', 'pending');
    assert.equal(await bea.messages('And another one').getAttribute('data-status'), 'queued');
    await bea.screenshot(shot('27-offline-pending'));

    server = await startServer(environment, { port });
    await bea.waitConnected();
    await cal.waitConnected();
    await cal.waitForMessage('And another one', 'theirs');
    await bea.waitForReceipt('And another one', 'read');
    await cal.page.waitForTimeout(500);
    assert.deepEqual(await cal.messageTexts(), ['Before the outage', 'Written during the outage', 'And another one']);
    assert.deepEqual(await bea.messageTexts(), ['Before the outage', 'Written during the outage', 'And another one']);
    await bea.screenshot(shot('28-after-outage'));
  });

  it('waits out rate limiting and sends every message once, in order', { timeout: TEST_TIMEOUT_MS }, async () => {
    const gus = await newTab(await newContext());
    let rateLimited = 0;
    gus.page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
      if (String(payload).includes('"rate_limited"')) rateLimited += 1;
    }));
    await gus.open();
    await gus.register('gus', PASSWORD);
    const hal = await signUp('hal');
    await gus.openChat('hal');
    await hal.openChat('gus');
    const total = 25;
    const texts = Array.from({ length: total }, (_, i) => `Burst ${i + 1}`);
    await gus.page.evaluate((all) => {
      const form = document.querySelector('.composer');
      const input = form.querySelector('.composer-input');
      for (const text of all) {
        input.value = text;
        form.requestSubmit();
      }
    }, texts);
    await hal.waitForMessage(`Burst ${total}`, 'theirs');
    await gus.waitForReceipt(`Burst ${total}`, 'read');
    await hal.page.waitForTimeout(1_000);
    assert.deepEqual(await hal.messageTexts(), texts);
    assert.deepEqual(await gus.messageTexts(), texts);
    assert.ok(rateLimited > 0, 'the burst went over the server’s limit');
    assert.equal(await gus.page.locator('.message-error').count(), 0, 'nothing was refused');
    const history = await api('GET', `/messages/${(await api('GET', '/me', { token: await hal.token() })).body.id}?limit=200`, { token: await gus.token() });
    assert.deepEqual(history.body.map((message) => message.content), texts, 'stored once each, in order');
  });

  it('recovers a message whose ack was lost, from the replay or by resending it with the same client_id', { timeout: TEST_TIMEOUT_MS }, async () => {
    const dan = await signUp('dan');
    const context = await newContext();
    // Between this browser and the server: the ack for the watched text is swallowed and the
    // connection dropped, as if the network failed right after the server stored the message.
    // With `hideReplay`, the stored copy is also kept out of the replay on the next connection,
    // so the app cannot tell it was stored and must send it again.
    const watch = { text: null, hideReplay: false, clientId: null, dropped: false, acks: [] };
    await context.routeWebSocket(/\/ws\?/, (ws) => {
      const upstream = ws.connectToServer();
      ws.onMessage((message) => {
        const frame = JSON.parse(message);
        if (frame.type === 'message' && frame.content === watch.text) watch.clientId = frame.client_id;
        upstream.send(message);
      });
      upstream.onMessage((message) => {
        const frame = JSON.parse(message);
        const watched = watch.clientId !== null && frame.client_id === watch.clientId;
        if (watched && frame.type === 'ack' && !watch.dropped) {
          watch.dropped = true;
          upstream.close();
          ws.close({ code: 1012, reason: 'test: connection lost' });
          return;
        }
        if (watched && frame.type === 'ack') watch.acks.push(frame);
        if (watched && frame.type === 'message' && watch.hideReplay) return;
        ws.send(message);
      });
    });
    const eve = await newTab(context);
    await eve.open();
    await eve.register('eve', PASSWORD);
    await eve.openChat('dan');
    await dan.openChat('eve');
    const danId = (await api('GET', '/me', { token: await dan.token() })).body.id;

    const check = async (text) => {
      await dan.waitForMessage(text, 'theirs');
      await eve.waitForReceipt(text, 'read');
      assert.equal(watch.dropped, true, 'the first ack was dropped');
      await dan.page.waitForTimeout(500);
      assert.equal(await dan.messages(text).count(), 1);
      assert.equal(await eve.messages(text).count(), 1);
      const history = await api('GET', `/messages/${danId}`, { token: await eve.token() });
      assert.equal(history.body.filter((message) => message.content === text).length, 1, 'stored once');
    };

    // The replay after reconnecting carries the stored message with its client_id.
    Object.assign(watch, { text: 'Lost ack', hideReplay: false, clientId: null, dropped: false, acks: [] });
    await eve.send('Lost ack');
    await check('Lost ack');
    assert.deepEqual(watch.acks, [], 'no need to send it again');

    // Without the replay copy, the app resends it and the server answers with the original.
    Object.assign(watch, { text: 'Lost ack, resent', hideReplay: true, clientId: null, dropped: false, acks: [] });
    await eve.send('Lost ack, resent');
    await check('Lost ack, resent');
    assert.equal(watch.acks.length, 1);
    assert.equal(watch.acks[0].duplicate, true, 'the resend is answered as a duplicate');
  });

  it('goes back to sign-in with a notice when the token is revoked, and logout revokes it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const fay = await signUp('fay');
    const fayTab2 = await secondTab(fay);
    const token = await fay.token();

    // Revoked elsewhere (e.g. "log out everywhere"): the socket closes with 4401.
    assert.equal((await api('POST', '/logout', { token })).status, 204);
    for (const page of [fay, fayTab2]) {
      await page.authForm.waitFor({ timeout: 20_000 });
      assert.match(await page.formError.textContent(), /session ended/i);
    }
    await fay.screenshot(shot('29-session-ended'));

    // The logout button revokes the token on the server too.
    await fay.login('fay', PASSWORD);
    const second = await fay.token();
    await fayTab2.page.reload();
    await fayTab2.waitForChat('fay');
    await fay.logOut();
    await fayTab2.authForm.waitFor({ timeout: 20_000 });
    await waitUntil(async () => (await api('GET', '/me', { token: second })).status === 401, 'the token to be revoked');
  });

  it('offers Retry only for a message the server refused', { timeout: TEST_TIMEOUT_MS }, async () => {
    const lea = await signUp('lea');
    const context = await newContext();
    // The first try of this text is refused as if the server had rejected it; a retry goes through.
    let refused = 0;
    await context.routeWebSocket(/\/ws\?/, (ws) => {
      const upstream = ws.connectToServer();
      ws.onMessage((message) => {
        const frame = JSON.parse(message);
        if (frame.type === 'message' && frame.content === 'Refused once' && refused === 0) {
          refused += 1;
          ws.send(JSON.stringify({ type: 'error', code: 'internal_error', message: 'the server could not store the message', client_id: frame.client_id }));
          return;
        }
        upstream.send(message);
      });
    });
    const max = await newTab(context);
    await max.open();
    await max.register('max', PASSWORD);
    await max.openChat('lea');
    await max.send('Refused once');
    await max.send('Right behind it');
    await max.waitForMessage('Refused once', 'mine', { status: 'failed' });
    const error = max.messages('Refused once', 'mine').locator('.message-error');
    assert.match(await error.textContent(), /could not store the message/);
    // The refusal does not hold up what was written after it.
    await max.waitForReceipt('Right behind it', 'delivered');
    await max.screenshot(shot('35-refused-retry'));

    await error.locator('.retry-button').click();
    await max.waitForReceipt('Refused once', 'delivered');
    assert.equal(await max.page.locator('.message-error').count(), 0);
    await lea.openChat('max');
    await lea.waitForMessage('Refused once', 'theirs');
    assert.deepEqual(await lea.messageTexts(), ['Right behind it', 'Refused once']);
  });

  it('works on a phone in the dark: list, receipts, menu and editing', { timeout: TEST_TIMEOUT_MS }, async () => {
    const phoneOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: 'dark' };
    const ivy = await signUp('ivy', phoneOptions);
    const jon = await signUp('jon');
    const kim = await signUp('kim');
    await kim.openChat('ivy');
    await kim.send('Lunch tomorrow?');
    await jon.openChat('ivy');
    await jon.send('Did you see the game last night?');
    await jon.send('Unbelievable ending');

    await ivy.userButton('jon').waitFor();
    await ivy.unreadBadge('jon').filter({ hasText: '2' }).waitFor();
    await ivy.unreadBadge('kim').filter({ hasText: '1' }).waitFor();
    const order = await ivy.page.locator('.user .user-name').allTextContents();
    assert.deepEqual(order, ['jon', 'kim'], 'most recent first');
    await jon.composer.pressSequentially('One more th', { delay: 20 });
    await ivy.typingInList('jon').waitFor();
    await ivy.screenshot(shot('30-phone-dark-list'));

    await ivy.userButton('jon').tap();
    await ivy.page.locator('.peer-name', { hasText: 'jon' }).waitFor();
    await ivy.waitForMessage('Unbelievable ending', 'theirs');
    await ivy.send('I did! What a finish');
    await ivy.send('Let me rewatch it tonight');
    await ivy.waitForReceipt('Let me rewatch it tonight', 'read');
    await ivy.send('Call you latre');
    await ivy.waitForReceipt('Call you latre', 'read');

    // On a touch screen there is no hover: ⋮ is always there to tap.
    await ivy.messages('Call you latre', 'mine').locator('.message-menu-button').tap();
    await ivy.page.locator('.message-menu[data-mode="choices"]').waitFor();
    await ivy.screenshot(shot('31-phone-dark-menu'));
    await ivy.page.locator('.message-menu .menu-item[data-action="edit"]').tap();
    await ivy.page.locator('.composer[data-mode="edit"]').waitFor();
    await ivy.composer.fill('Call you later');
    await ivy.screenshot(shot('32-phone-dark-editing'));
    await ivy.composer.press('Enter');
    await jon.waitForMessage('Call you later', 'theirs');

    await ivy.messages('Let me rewatch it tonight', 'mine').locator('.message-menu-button').tap();
    await ivy.page.locator('.message-menu .menu-item[data-action="delete"]').tap();
    await ivy.page.locator('.message-menu[data-mode="confirm"]').waitFor();
    await ivy.screenshot(shot('33-phone-dark-confirm-delete'));
    await ivy.page.locator('.message-menu [data-action="confirm-delete"]').tap();
    await jon.deletedMessages.first().waitFor();
    await ivy.deletedMessages.first().waitFor();
    await ivy.screenshot(shot('34-phone-dark-chat'));
  });

  it('says how long to wait after too many failed sign-ins', { timeout: TEST_TIMEOUT_MS }, async () => {
    await registerByApi(server.baseUrl, 'nia');
    const page = await newTab(await newContext());
    await page.open();
    let text = '';
    for (let attempt = 0; attempt < 10 && !/too many/i.test(text); attempt += 1) {
      text = await page.authError('login', 'nia', 'not the password');
    }
    assert.match(text, /^Too many attempts\. Try again in \d+ (s|min)\.$/);
    await page.screenshot(shot('36-sign-in-rate-limited'));
  });

  it('raised no script errors', () => {
    for (const page of pages) assert.deepEqual(page.errors, [], page.page.url());
  });
});
