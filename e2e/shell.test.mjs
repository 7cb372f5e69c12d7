// End-to-end, the app's shell (issue 17): the sidebar's search (sections, cleared when a result
// is opened), the unread count in the title and the tab's icon, system notifications while the
// page is hidden (and a click opening the chat), muting a chat from its header, the logout
// confirmation, and "Offline" in the chat's header.
//
//   cd e2e && npm install && cd .. && node --test e2e/shell.test.mjs

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.mjs';
import { PASSWORD, registerByApi, waitUntil } from './support.mjs';
import { ParleyPage } from './parley-page.mjs';
import { createServerEnvironment, startServer } from './server.mjs';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url).pathname;
const TEST_TIMEOUT_MS = 120_000;
const DESKTOP = { width: 1280, height: 800 };

// Lets a test hide the page (document.hidden) and records every `new Notification`.
function notificationSpy() {
  let hidden = false;
  window.setPageHidden = (value) => {
    hidden = value;
    document.dispatchEvent(new Event('visibilitychange'));
  };
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
  // No service worker here (push.test.mjs has it): the page then shows notifications with
  // `new Notification`, which this spy records.
  if (navigator.serviceWorker) {
    navigator.serviceWorker.register = () => Promise.reject(new Error('no service worker in this test'));
  }
  const Real = window.Notification;
  window.shownNotifications = [];
  class SpyNotification extends EventTarget {
    constructor(title, options = {}) {
      super();
      this.title = title;
      this.options = options;
      window.shownNotifications.push(this);
    }

    static get permission() { return Real.permission; }

    static requestPermission() { return Real.requestPermission(); }

    close() { this.closed = true; }
  }
  window.Notification = SpyNotification;
}

describe('Parley shell in the browser', { timeout: 10 * 60_000 }, () => {
  let environment;
  let server;
  let browser;
  const contexts = [];
  const pages = [];

  async function openApp({ notifications = false } = {}) {
    const context = await browser.newContext({ viewport: DESKTOP });
    if (notifications) await context.grantPermissions(['notifications'], { origin: server.baseUrl });
    await context.addInitScript(notificationSpy);
    contexts.push(context);
    const page = new ParleyPage(await context.newPage(), server.baseUrl);
    pages.push(page);
    await page.open();
    return page;
  }

  async function signUp(username, options) {
    const page = await openApp(options);
    await page.register(username, PASSWORD);
    return page;
  }

  async function api(method, path, token, body) {
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${server.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    environment = await createServerEnvironment();
    server = await startServer(environment);
    browser = await launchChromium();
  });

  after(async () => {
    for (const page of pages) {
      assert.deepEqual(page.dialogs, [], 'no user text ran as HTML');
      assert.deepEqual(page.errors, [], 'no uncaught errors in the page');
    }
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop();
    await environment?.remove();
  });

  it('searches chats and people in two sections, and shows every chat again once a result is opened', { timeout: TEST_TIMEOUT_MS }, async () => {
    const sam = await signUp('sam');
    const samuel = await registerByApi(server.baseUrl, 'samuel');
    await registerByApi(server.baseUrl, 'sammy');
    const tom = await registerByApi(server.baseUrl, 'tom');
    const me = (await api('GET', '/me', await sam.token())).body;
    await api('POST', `/messages/${me.id}`, samuel.token, { content: 'hi from samuel' });
    await api('POST', `/messages/${me.id}`, tom.token, { content: 'hi from tom' });
    await sam.userButton('tom').waitFor();
    await sam.userButton('samuel').waitFor();

    await sam.search('sam');
    const chats = sam.page.locator('.list-section[data-section="chats"]');
    const people = sam.page.locator('.list-section[data-section="people"]');
    await people.locator('.user-name', { hasText: 'sammy' }).waitFor();
    assert.equal(await chats.locator('.list-heading').textContent(), 'Chats');
    assert.equal(await people.locator('.list-heading').textContent(), 'People');
    assert.deepEqual(await chats.locator('.user-name').allTextContents(), ['samuel']);
    assert.ok(!(await people.locator('.user-name').allTextContents()).includes('samuel'), 'a chat is not listed twice');
    assert.equal(await sam.userButton('tom').count(), 0, 'the search hides what does not match');

    // Opening a result empties the search: the other chats are back.
    await people.locator('.user', { hasText: 'sammy' }).click();
    await sam.page.locator('.peer-name', { hasText: 'sammy' }).waitFor();
    assert.equal(await sam.page.locator('.search-input').inputValue(), '');
    await sam.userButton('tom').waitFor();

    // A room made while a search is typed is listed with the rest.
    await sam.search('to');
    await sam.createRoom('after-search');
    await sam.roomButton('after-search').waitFor();
    await sam.userButton('tom').waitFor();
    await sam.userButton('samuel').waitFor();
    assert.equal(await sam.page.locator('.search-input').inputValue(), '');
  });

  it('counts unread messages in the title and the icon, leaves muted chats out, and mutes from the header', { timeout: TEST_TIMEOUT_MS }, async () => {
    const una = await signUp('una');
    const vic = await registerByApi(server.baseUrl, 'vic');
    const wil = await registerByApi(server.baseUrl, 'wil');
    const unaId = (await api('GET', '/me', await una.token())).body.id;
    assert.equal((await api('PUT', `/conversations/${wil.id}/mute`, await una.token(), { until: '9999-12-31T23:59:59Z' })).status, 200);
    await api('POST', `/messages/${unaId}`, wil.token, { content: 'muted one' });
    await api('POST', `/messages/${unaId}`, vic.token, { content: 'one' });
    await api('POST', `/messages/${unaId}`, vic.token, { content: 'two' });
    await una.unreadBadge('wil').waitFor();
    await una.userButton('wil').locator('.muted-mark').waitFor();
    await waitUntil(async () => (await una.page.title()) === '(2) Parley', 'the title to count 2 (the muted chat left out)');
    const icon = await una.page.locator('link[rel="icon"]').getAttribute('href');
    assert.match(icon, /^data:image\/svg\+xml,/, 'the icon carries a badge');
    assert.match(decodeURIComponent(icon), />2<\/text>/);

    // Muted from the header for 8 hours.
    await una.openChat('vic');
    await waitUntil(async () => (await una.page.title()) === 'Parley', 'the title to clear once read');
    await una.page.locator('.mute-button').click();
    await una.page.locator('.mute-menu [data-hours="8"]').click();
    await una.userButton('vic').locator('.muted-mark').waitFor();
    const { body: list } = await api('GET', '/conversations', await una.token());
    const until = Date.parse(list.find((row) => row.peer.username === 'vic').muted_until);
    assert.ok(until > Date.now() + 7 * 3_600_000 && until < Date.now() + 9 * 3_600_000, 'muted for about 8 hours');
    assert.match(await una.page.locator('.mute-button').getAttribute('aria-label'), /^Muted until .+: change or unmute$/);
    await una.page.locator('.mute-button').click();
    await una.page.locator('.mute-menu [data-hours="always"]').click();
    await una.page.locator('.mute-button[aria-label="Muted until you unmute: change or unmute"]').waitFor();

    // Unmuted on another device: the `muted` frame brings it here.
    assert.equal((await api('PUT', `/conversations/${vic.id}/mute`, await una.token(), { until: null })).status, 200);
    await una.page.locator('.mute-button[data-muted="false"]').waitFor();
    await una.userButton('vic').locator('.muted-mark').waitFor({ state: 'detached' });
  });

  it('notifies of a direct message and a mention while hidden, not of a muted chat, and a click opens the chat', { timeout: TEST_TIMEOUT_MS }, async () => {
    const wes = await signUp('wes', { notifications: true });
    const xia = await registerByApi(server.baseUrl, 'xia');
    const yan = await registerByApi(server.baseUrl, 'yan');
    const wesId = (await api('GET', '/me', await wes.token())).body.id;
    assert.ok(await wes.page.locator('.notify-banner').isHidden(), 'no prompt once permission is granted');
    const { body: room } = await api('POST', '/rooms', yan.token, { name: 'porch', kind: 'public' });
    await api('POST', `/rooms/${room.id}/join`, await wes.token());
    await wes.roomButton('porch').waitFor();

    const shown = () => wes.page.evaluate(() => window.shownNotifications.map((n) => ({ title: n.title, body: n.options.body, tag: n.options.tag })));
    // Visible: nothing.
    await api('POST', `/messages/${wesId}`, xia.token, { content: 'while you look' });
    await wes.userButton('xia').waitFor();
    await wes.page.evaluate(() => window.setPageHidden(true));
    await api('POST', `/rooms/${room.id}/messages`, yan.token, { content: 'no mention here' });
    await api('POST', `/rooms/${room.id}/messages`, yan.token, { content: 'hey @wes, look' });
    await api('POST', `/messages/${wesId}`, xia.token, { content: 'are you there?' });
    await waitUntil(async () => (await shown()).length >= 2, 'two notifications');
    // In either order: a name not known yet is fetched first.
    const byTitle = (a, b) => a.title.localeCompare(b.title);
    assert.deepEqual((await shown()).sort(byTitle), [
      { title: 'xia', body: 'are you there?', tag: `parley:user:${xia.id}` },
      { title: 'yan in porch', body: 'hey @wes, look', tag: `parley:room:${room.id}` },
    ]);

    // Muted: no notification (the DM after it is the sentinel).
    await api('PUT', `/rooms/${room.id}/mute`, await wes.token(), { until: '9999-12-31T23:59:59Z' });
    await wes.roomButton('porch').locator('.muted-mark').waitFor();
    await api('POST', `/rooms/${room.id}/messages`, yan.token, { content: '@wes muted?' });
    await wes.roomButton('porch').locator('.mention-badge').waitFor();
    await wes.page.screenshot({ path: `${SCREENSHOTS}shell-muted-mention.png` });
    await api('POST', `/messages/${wesId}`, xia.token, { content: 'sentinel' });
    await waitUntil(async () => (await shown()).length >= 3, 'the sentinel notification');
    assert.deepEqual((await shown()).map((n) => n.body).sort(), ['are you there?', 'hey @wes, look', 'sentinel']);

    // A click opens the chat.
    await wes.page.evaluate(() => {
      window.setPageHidden(false);
      window.shownNotifications.find((n) => n.title === 'xia').dispatchEvent(new Event('click'));
    });
    await wes.page.locator('.peer-name', { hasText: 'xia' }).waitFor();
  });

  it('does not notify from a hidden tab while another tab of the app is in sight', { timeout: TEST_TIMEOUT_MS }, async () => {
    const tab1 = await signUp('tam', { notifications: true });
    const context = tab1.page.context();
    const tab2 = new ParleyPage(await context.newPage(), server.baseUrl);
    pages.push(tab2);
    await tab2.open();
    await tab2.waitForChat('tam');
    const sol = await registerByApi(server.baseUrl, 'sol');
    const tamId = (await api('GET', '/me', await tab1.token())).body.id;
    const shown = (tab) => tab.page.evaluate(() => window.shownNotifications.map((n) => n.options.body));

    await tab2.page.evaluate(() => window.setPageHidden(true));
    await api('POST', `/messages/${tamId}`, sol.token, { content: 'first' });
    await tab2.userButton('sol').waitFor();
    await tab1.userButton('sol').waitFor();

    // Now no tab is in sight: the hidden tabs notify (one per chat for the system, by tag).
    await tab1.page.evaluate(() => window.setPageHidden(true));
    await api('POST', `/messages/${tamId}`, sol.token, { content: 'second' });
    await waitUntil(async () => (await shown(tab1)).length + (await shown(tab2)).length > 0, 'a notification');
    assert.deepEqual([...(await shown(tab1)), ...(await shown(tab2))].filter((body) => body === 'first'), []);
  });

  it('takes a notification away once its chat is read', { timeout: TEST_TIMEOUT_MS }, async () => {
    const ned = await signUp('ned', { notifications: true });
    const ora = await registerByApi(server.baseUrl, 'ora');
    const nedId = (await api('GET', '/me', await ned.token())).body.id;
    await ned.page.evaluate(() => window.setPageHidden(true));
    await api('POST', `/messages/${nedId}`, ora.token, { content: 'read me' });
    await waitUntil(() => ned.page.evaluate(() => window.shownNotifications.length === 1), 'the notification');
    assert.equal(await ned.page.evaluate(() => window.shownNotifications[0].closed ?? false), false);
    await ned.page.evaluate(() => window.setPageHidden(false));
    await ned.openChat('ora');
    await waitUntil(() => ned.page.evaluate(() => window.shownNotifications[0].closed === true), 'the notification to be closed');
  });

  it('asks for permission only from its banner', { timeout: TEST_TIMEOUT_MS }, async () => {
    const zoe = await signUp('zoe');
    const banner = zoe.page.locator('.notify-banner');
    await banner.waitFor();
    const pushLoads = [];
    zoe.page.on('request', (request) => {
      if (request.url().endsWith('/js/push-subscription.js')) pushLoads.push(request.url());
    });
    await zoe.page.context().grantPermissions(['notifications'], { origin: server.baseUrl });
    await banner.locator('.notify-enable').click();
    await banner.waitFor({ state: 'hidden' });
    await waitUntil(() => pushLoads.length === 1, 'the push subscription module to be loaded');
  });

  it('keeps a bell in the header once the banner is dismissed, and the bell asks for permission', { timeout: TEST_TIMEOUT_MS }, async () => {
    const kit = await signUp('kit');
    const banner = kit.page.locator('.notify-banner');
    const bell = kit.page.locator('.notify-button');
    await banner.waitFor();
    assert.equal(await bell.isVisible(), false, 'no bell while the banner shows');
    await banner.locator('.notify-dismiss').click();
    await banner.waitFor({ state: 'hidden' });
    await bell.waitFor();
    assert.equal(await kit.page.evaluate(() => document.activeElement?.classList.contains('notify-button')), true, 'focus moves to the bell');

    // "Not now" is remembered: after a reload, still the bell and no banner.
    await kit.page.reload();
    await bell.waitFor();
    assert.equal(await banner.isVisible(), false);
    await kit.page.screenshot({ path: `${SCREENSHOTS}shell-bell.png` });
    await kit.page.setViewportSize({ width: 390, height: 844 });
    await kit.page.screenshot({ path: `${SCREENSHOTS}shell-bell-phone.png` });
    await kit.page.setViewportSize(DESKTOP);

    const pushLoads = [];
    kit.page.on('request', (request) => {
      if (request.url().endsWith('/js/push-subscription.js')) pushLoads.push(request.url());
    });
    await kit.page.context().grantPermissions(['notifications'], { origin: server.baseUrl });
    await bell.click();
    await bell.waitFor({ state: 'hidden' });
    await waitUntil(() => pushLoads.length === 1, 'the push subscription module to be loaded');
  });

  it('asks before logging out, and Cancel or Escape keep me signed in', { timeout: TEST_TIMEOUT_MS }, async () => {
    const ada = await signUp('ada');
    const dialog = ada.page.locator('.logout-dialog');
    await ada.page.locator('.logout-button').click();
    await dialog.waitFor();
    assert.equal(await ada.page.evaluate(() => document.activeElement.textContent), 'Cancel', 'Cancel has the focus');
    await ada.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await ada.page.locator('.logout-button').click();
    await dialog.locator('button', { hasText: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const token = await ada.token();
    assert.notEqual(token, null);
    // A stand-in for helper h/push's module: logging out turns push off while the token still works.
    await ada.page.route('**/js/push-subscription.js', (route) => route.fulfill({
      contentType: 'text/javascript',
      body: 'export async function enablePush() {}\nexport async function disablePush(api) { window.pushOffWith = api.getToken(); }',
    }));
    await ada.page.locator('.logout-button').click();
    await ada.page.keyboard.press('Tab');
    await ada.page.keyboard.press('Enter');
    await ada.authForm.waitFor();
    assert.equal(await ada.token(), null);
    assert.equal(await ada.page.evaluate(() => window.pushOffWith), token);
  });

  it('says Offline in the chat header while the server is down (the sidebar is off screen on a phone)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    contexts.push(context);
    const bo = new ParleyPage(await context.newPage(), server.baseUrl);
    pages.push(bo);
    await bo.open();
    await bo.register('boz', PASSWORD);
    await registerByApi(server.baseUrl, 'cyd');
    await bo.openChat('cyd');
    const tag = bo.page.locator('.chat-header .header-connection');
    assert.ok(await tag.isHidden(), 'nothing while connected');

    const { port } = server;
    await server.stop();
    await tag.filter({ hasText: 'Offline' }).waitFor();
    assert.ok(await tag.isVisible());
    server = await startServer(environment, { port });
    // The sidebar (with its "Connected") is off screen here.
    await bo.page.locator('.connection[data-state="open"]').waitFor({ state: 'attached', timeout: 30_000 });
    await tag.waitFor({ state: 'hidden' });
  });
});
