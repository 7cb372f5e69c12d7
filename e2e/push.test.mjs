// End-to-end, Web Push in the browser (issue 17): turning notifications on registers the
// service worker (frontend/sw.js) and asks the server for its VAPID key; a push delivered
// to the worker (through the DevTools protocol: headless Chromium has no push service)
// shows one notification per chat with the page's tag; and the link a click opens when no
// tab is open (`/?chat=<key>`) opens that chat. The server side of Web Push, against a
// stand-in push service that checks VAPID and decrypts, is in backend/tests/api/push/.
//
//   cd e2e && npm install && cd .. && node --test e2e/push.test.mjs

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.mjs';
import { PASSWORD, registerByApi, waitUntil } from './support.mjs';
import { ParleyPage } from './parley-page.mjs';
import { createServerEnvironment, startServer } from './server.mjs';

describe('Web Push in the browser', { timeout: 5 * 60_000 }, () => {
  let environment;
  let server;
  let browser;

  before(async () => {
    environment = await createServerEnvironment();
    server = await startServer(environment);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await environment?.remove();
  });

  it('registers the worker, which shows a push and names its chat', { timeout: 120_000 }, async () => {
    const bob = await registerByApi(server.baseUrl, 'bob');
    await registerByApi(server.baseUrl, 'alice');
    const context = await browser.newContext();
    await context.grantPermissions(['notifications'], { origin: server.baseUrl });
    const page = new ParleyPage(await context.newPage(), server.baseUrl);
    const keyAsked = page.page.waitForRequest((request) => request.url().endsWith('/push/key'));
    await page.open();
    await page.login('alice', PASSWORD);
    await keyAsked;
    const scope = await page.page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return registration.scope;
    });
    assert.equal(scope, `${server.baseUrl}/`);

    const cdp = await context.newCDPSession(page.page);
    const registrations = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: updated }) => registrations.push(...updated));
    await cdp.send('ServiceWorker.enable');
    await waitUntil(async () => registrations.some((r) => r.scopeURL === `${server.baseUrl}/`), 'the registration');
    const { registrationId } = registrations.find((r) => r.scopeURL === `${server.baseUrl}/`);
    const payload = { title: 'bob', body: 'lunch?', chat: `user:${bob.id}`, count: 1 };
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: server.baseUrl, registrationId, data: JSON.stringify(payload),
    });
    await waitUntil(async () => (await page.page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return (await registration.getNotifications()).length;
    })) === 1, 'the notification');
    const shown = await page.page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      const [notification] = await registration.getNotifications();
      return { title: notification.title, body: notification.body, tag: notification.tag, data: notification.data };
    });
    assert.deepEqual(shown, { title: 'bob', body: 'lunch?', tag: `parley:user:${bob.id}`, data: { key: `user:${bob.id}` } });
    await context.close();
  });

  it('opens the chat a notification names when no tab was open', { timeout: 120_000 }, async () => {
    const carol = await registerByApi(server.baseUrl, 'carol');
    await registerByApi(server.baseUrl, 'dave');
    const context = await browser.newContext();
    const page = new ParleyPage(await context.newPage(), server.baseUrl);
    await page.open();
    await page.login('dave', PASSWORD);
    await page.page.goto(`${server.baseUrl}/?chat=user:${carol.id}`);
    await page.page.locator('.chat-header').getByText('carol').waitFor();
    assert.equal(new URL(page.page.url()).search, '', 'the link is used once');
    await context.close();
  });
});
