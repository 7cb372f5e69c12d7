// End-to-end, rooms (issue 5): public rooms that anyone can browse and join, private groups
// whose owner adds and removes members, room history and live messages over the shared socket.
//
//   cd e2e && npm install && cd .. && node --test e2e/
//
// Each test has its own people and rooms, so the tests do not depend on each other's order.

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
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

const shot = (name) => `${SCREENSHOTS}${name}.png`;

describe('Parley rooms in the browser', { timeout: 10 * 60_000 }, () => {
  let environment;
  let server;
  let browser;
  const contexts = [];
  const pages = [];

  async function openApp(options) {
    const context = await browser.newContext({ viewport: DESKTOP, ...options });
    contexts.push(context);
    const page = new ParleyPage(await context.newPage(), server.baseUrl);
    pages.push(page);
    await page.open();
    return page;
  }

  async function signUp(username, options = {}) {
    const page = await openApp(options);
    await page.register(username, PASSWORD);
    return page;
  }

  /** Another device of someone already signed up. */
  async function signIn(username, options = {}) {
    const page = await openApp(options);
    await page.login(username, PASSWORD);
    return page;
  }


  async function userId(page) {
    const { body } = await api('GET', '/me', await page.token());
    return body.id;
  }

  async function api(method, path, token, body) {
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  async function roomId(page, name) {
    const { body } = await api('GET', `/rooms?q=${encodeURIComponent(name)}`, await page.token());
    return body.find((room) => room.name === name).id;
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

  it('lets three people talk live in a public room, with names, join lines, typing, unread counts and history', { timeout: TEST_TIMEOUT_MS }, async () => {
    const alice = await signUp('alice');
    const bob = await signUp('bob');
    const carol = await signUp('carol');

    await alice.createRoom('general', 'public');
    await alice.memberEvent('You created this room').waitFor();
    assert.equal(await alice.roomButton('general').count(), 1, 'the new room is in the sidebar');

    assert.deepEqual(await bob.browseRooms('gen'), ['general'], 'public rooms can be found by name');
    await bob.joinRoom('general');
    await carol.joinRoom('general');
    await alice.memberEvent('bob joined').waitFor();
    await alice.memberEvent('carol joined').waitFor();

    await alice.send('Welcome, both of you!');
    await bob.waitForMessage('Welcome, both of you!', 'theirs');
    await carol.waitForMessage('Welcome, both of you!', 'theirs');
    assert.equal(await bob.senderOf('Welcome, both of you!'), 'alice');

    await bob.send('Thanks <b>alice</b>');
    await carol.waitForMessage('Thanks <b>alice</b>', 'theirs');
    await alice.waitForMessage('Thanks <b>alice</b>', 'theirs');
    assert.equal(await carol.senderOf('Thanks <b>alice</b>'), 'bob');

    // Carol types: the others see who.
    await carol.composer.pressSequentially('Hello every', { delay: 30 });
    await alice.page.locator('.peer-status[data-typing="true"]', { hasText: 'carol is typing…' }).waitFor();
    await carol.composer.pressSequentially('one', { delay: 30 });
    await carol.composer.press('Enter');
    await alice.waitForMessage('Hello everyone', 'theirs');
    await bob.waitForMessage('Hello everyone', 'theirs');

    // No delivery ticks in rooms; my message is just there once the server has it.
    await alice.page.locator('.message-mine[data-status="sent"]').first().waitFor();
    assert.equal(await alice.page.locator('.message-mine .receipt').count(), 0, 'no ticks on room messages');
    assert.equal(await alice.page.locator('.message-mine[data-receipt]').count(), 0);
    await alice.screenshot(shot('40-room-desktop'));

    // Unread: Bob reloads (the room is no longer open), Alice writes twice.
    await bob.page.reload();
    await bob.waitForChat('bob');
    await bob.roomButton('general').waitFor();
    await alice.send('Lunch at noon?');
    await alice.send('In the usual place');
    await bob.roomUnreadBadge('general').filter({ hasText: '2' }).waitFor();
    // The sender's name comes with the room's members, fetched when an unknown sender writes.
    await bob.roomButton('general').locator('.user-preview', { hasText: /^alice: In the usual place$/ }).waitFor();
    await bob.screenshot(shot('41-room-unread'));

    // Opening it: history from the server (oldest first, with the join lines) and the badge goes.
    await bob.openRoom('general');
    await bob.roomUnreadBadge('general').waitFor({ state: 'detached' });
    const texts = await bob.messageTexts();
    assert.deepEqual(texts, ['Welcome, both of you!', 'Thanks <b>alice</b>', 'Hello everyone', 'Lunch at noon?', 'In the usual place']);
    await bob.memberEvent('You joined').waitFor();
    await bob.page.locator('.messages-older[data-kind="start"]', { hasText: 'This is the beginning of general.' }).waitFor();

    // Read markers: after a reload Bob's count stays at zero.
    await waitUntil(async () => {
      const { body } = await api('GET', `/rooms/${await roomId(bob, 'general')}`, await bob.token());
      return body.unread_count === 0;
    }, 'the server to have Bob’s read marker');

    // The member panel lists everyone, the owner first, with who is online.
    await bob.openMembers();
    await bob.member('alice').locator('.member-role', { hasText: 'Owner' }).waitFor();
    assert.equal(await bob.page.locator('.member-list .member').count(), 3);
    assert.equal(await bob.page.locator('.member-add').isVisible(), false, 'only the owner of a private group adds people');
    await bob.member('carol').and(bob.page.locator('[data-online="true"]')).waitFor();
    await bob.screenshot(shot('42-room-members'));

    // A fourth person on a phone joins and reads along.
    const erin = await signUp('erin', PHONE);
    await erin.joinRoom('general');
    await erin.waitForMessage('In the usual place', 'theirs');
    await alice.memberEvent('erin joined').waitFor();
    await erin.screenshot(shot('43-room-phone-chat'));
    await erin.openMembers();
    await erin.screenshot(shot('44-room-phone-members'));
    await erin.page.locator('.member-panel-close').click();
    await erin.page.locator('.back-button').click();
    await erin.roomButton('general').waitFor();
    await erin.screenshot(shot('45-room-phone-list'));

    // Leaving: the room leaves the sidebar, the others see the line.
    await carol.openMembers();
    await carol.page.locator('.leave-button').click();
    await carol.roomButton('general').waitFor({ state: 'detached' });
    await alice.memberEvent('carol left').waitFor();
  });

  it('keeps a private group invisible to people outside it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const olga = await signUp('olga');
    const pete = await signUp('pete');
    const quinn = await signUp('quinn');
    await registerByApi(server.baseUrl, 'pia'); // someone else to find in the add search

    await olga.createRoom('Secret plans', 'private');
    await olga.addMember('pete');
    await olga.memberEvent('pete was added').waitFor();

    // Pete is told at once: the group appears in his sidebar without a reload.
    await pete.roomButton('Secret plans').waitFor();
    await pete.openRoom('Secret plans');
    await pete.memberEvent('You were added').waitFor();
    await pete.send('Nobody else can read this');
    await olga.waitForMessage('Nobody else can read this', 'theirs');
    await olga.screenshot(shot('46-private-group-owner'));

    const id = await roomId(olga, 'Secret plans');
    const quinnToken = await quinn.token();
    assert.equal(await quinn.roomButton('Secret plans').count(), 0, 'not in the outsider’s sidebar');
    assert.deepEqual(await quinn.browseRooms('Secret'), [], 'not in the outsider’s browse list');
    const listed = await api('GET', '/rooms', quinnToken);
    assert.ok(!listed.body.some((room) => room.id === id), 'not in GET /rooms for the outsider');
    assert.equal((await api('GET', `/rooms/${id}`, quinnToken)).status, 404);
    assert.equal((await api('GET', `/rooms/${id}/messages`, quinnToken)).status, 404);
    assert.equal((await api('POST', `/rooms/${id}/join`, quinnToken)).status, 404);
    await quinn.page.waitForTimeout(500);
    assert.equal(await quinn.page.locator('.message-text', { hasText: 'Nobody else can read this' }).count(), 0);
  });

  it('removes a member live: their open page turns read-only and no longer receives messages', { timeout: TEST_TIMEOUT_MS }, async () => {
    const owner = await signUp('uma_owner');
    const vic = await signUp('vic');
    const wes = await signUp('wes');

    await owner.createRoom('crew', 'private');
    await owner.addMember('vic');
    await owner.addMember('wes');
    await vic.roomButton('crew').waitFor();
    await wes.roomButton('crew').waitFor();
    await vic.openRoom('crew');
    await wes.openRoom('crew');

    await owner.send('Before the change');
    await vic.waitForMessage('Before the change', 'theirs');
    await wes.waitForMessage('Before the change', 'theirs');

    await owner.removeMember('wes');
    await owner.memberEvent('wes was removed').waitFor();
    await vic.memberEvent('wes was removed').waitFor();

    // Wes sees it at once, on the page he has open.
    await wes.memberEvent('You were removed').waitFor();
    await wes.roomButton('crew').waitFor({ state: 'detached' });
    assert.equal(await wes.composer.isDisabled(), true, 'the composer is off');
    assert.match(await wes.composer.getAttribute('placeholder'), /removed/);
    await wes.screenshot(shot('47-removed-read-only'));

    await vic.send('After the change');
    await owner.waitForMessage('After the change', 'theirs');
    await wes.page.waitForTimeout(1_500);
    assert.equal(await wes.messages('After the change').count(), 0, 'a removed member gets nothing more');

    const id = await roomId(owner, 'crew');
    assert.equal((await api('GET', `/rooms/${id}`, await wes.token())).status, 404);

    // After a reload, the group is gone from Wes's sidebar for good.
    await wes.page.reload();
    await wes.waitForChat('wes');
    await wes.page.waitForTimeout(500);
    assert.equal(await wes.roomButton('crew').count(), 0);
  });

  it('shows rooms well on a desktop and on a phone (screenshots)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const zoe = await signUp('zoe');
    const yan = await signUp('yan');
    const yanPhone = await signIn('yan', PHONE);
    const zoePhone = await signIn('zoe', PHONE);
    const xia = await registerByApi(server.baseUrl, 'xia');
    const zoeToken = await zoe.token();

    // A public room with talk and people coming and going, a private group, another room.
    await zoe.createRoom('design', 'public');
    const design = await roomId(zoe, 'design');
    await zoe.createRoom('Book club', 'private');
    const club = await roomId(zoe, 'Book club');
    const { body: random } = await api('POST', '/rooms', xia.token, { name: 'random', kind: 'public' });
    await api('POST', `/rooms/${random.id}/join`, await yan.token());
    await api('POST', `/rooms/${club}/members`, zoeToken, { user_id: await userId(yan) });
    await api('POST', `/rooms/${design}/join`, xia.token);
    await api('POST', `/rooms/${design}/join`, await yan.token());
    await yan.roomButton('Book club').waitFor();
    await yan.roomButton('random').waitFor();
    const post = (token, room, content) => api('POST', `/rooms/${room}/messages`, token, { content });
    await post(xia.token, design, 'Morning! The new icons are in the shared folder.');
    await post(zoeToken, design, 'Thanks xia, they look great.');
    await post(xia.token, design, 'I will be away after lunch.');
    await api('POST', `/rooms/${design}/leave`, xia.token);
    await post(zoeToken, design, 'Review at 3?');
    await post(zoeToken, club, 'Next book: Piranesi');
    await post(xia.token, random.id, 'Anyone for coffee?');

    // Yan has not opened any of them: the sidebar counts what is new. Xia left: her name comes
    // from the people list, not the room's members.
    await yan.roomUnreadBadge('design').filter({ hasText: '4' }).waitFor();
    await yan.roomUnreadBadge('Book club').filter({ hasText: '1' }).waitFor();
    await yanPhone.roomUnreadBadge('random').filter({ hasText: '1' }).waitFor();
    await yan.screenshot(shot('50-rooms-sidebar-desktop'));
    await yanPhone.screenshot(shot('50-rooms-sidebar-phone'));

    for (const [page, device] of [[yan, 'desktop'], [yanPhone, 'phone']]) {
      await page.openRoom('design');
      await page.memberEvent('xia left').waitFor();
      await page.waitForMessage('Review at 3?', 'theirs');
      assert.equal(await page.senderOf('I will be away after lunch.'), 'xia');
      await page.screenshot(shot(`51-room-conversation-${device}`));
    }

    for (const [page, device] of [[zoe, 'desktop'], [zoePhone, 'phone']]) {
      await page.openRoom('Book club');
      await page.openMembers();
      await page.page.locator('.member-add-input').fill('x');
      await page.page.locator('.member-add-button[aria-label="Add xia"]').waitFor();
      await page.screenshot(shot(`52-group-members-owner-${device}`));
      await page.page.locator('.member-add-input').fill('');
      await page.page.locator('.member-panel-close').click();
      if (device === 'phone') await page.page.locator('.back-button').click();

      await page.page.locator('.new-room-button').click();
      await page.page.locator('.new-room-dialog input[name="name"]').fill('Launch');
      await page.screenshot(shot(`53-create-room-${device}`));
      await page.page.locator('.new-room-dialog .dialog-cancel').click();

      await page.page.locator('.browse-rooms-button').click();
      await page.page.locator('.room-browser .room-row-name', { hasText: 'random' }).waitFor();
      await page.screenshot(shot(`54-room-browser-${device}`));
      await page.page.locator('.room-browser .dialog-cancel').click();
    }

    // Yan is removed from the group while he has it open on both devices.
    await yan.openRoom('Book club');
    await yanPhone.page.locator('.back-button').click();
    await yanPhone.openRoom('Book club');
    await zoe.openRoom('Book club');
    await zoe.removeMember('yan');
    for (const [page, device] of [[yan, 'desktop'], [yanPhone, 'phone']]) {
      await page.memberEvent('You were removed').waitFor();
      assert.equal(await page.composer.isDisabled(), true);
      await page.screenshot(shot(`55-removed-${device}`));
    }
  });
});
