// End-to-end: the conversation view (issue 17) in Chromium against the real server — the menu on
// every message, the keyboard, days, grouping, the unread divider, drafts, replies (and a jump
// to an original that is not loaded), reactions, the emoji picker and @mentions.
//
//   node --test e2e/conversation.test.mjs
//
// CONVERSATION_SHOTS=<dir> also saves screenshots (desktop and phone, light and dark) there.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.mjs';
import { ParleyPage } from './parley-page.mjs';
import { createServerEnvironment, startServer } from './server.mjs';
import { registerByApi, waitUntil } from './support.mjs';
import { PAGE_SIZE } from '../frontend/js/conversation.js';

const TEST_TIMEOUT_MS = 90_000;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const SHOTS = process.env.CONVERSATION_SHOTS ?? null;

describe('The conversation view', { timeout: 10 * 60_000 }, () => {
  let environment;
  let server;
  let browser;
  const contexts = [];
  let names = 0;

  before(async () => {
    if (SHOTS) await mkdir(SHOTS, { recursive: true });
    environment = await createServerEnvironment();
    // Tests write bursts of messages over REST.
    Object.assign(environment.env, { SEND_RATE: '1000', SEND_BURST: '1000' });
    server = await startServer(environment);
    browser = await launchChromium();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop();
    await environment?.remove();
  });

  /** A new account (through the API): { id, token, username }. */
  async function person(prefix) {
    names += 1;
    const username = `${prefix}${names}`;
    return { username, ...(await registerByApi(server.baseUrl, username)) };
  }

  /** A tab signed in as `who` (the token put where the app keeps it). */
  async function signedIn(who, { viewport = DESKTOP, ...options } = {}) {
    const context = await browser.newContext({ viewport, ...options });
    contexts.push(context);
    await context.addInitScript((token) => {
      if (!sessionStorage.getItem('signed-in')) {
        localStorage.setItem('parley.token', token);
        sessionStorage.setItem('signed-in', '1');
      }
    }, who.token);
    const page = new ParleyPage(await context.newPage(), server.baseUrl);
    await page.open();
    await page.waitForChat(who.username);
    return page;
  }

  async function api(who, method, path, body) {
    const response = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${who.token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  const sendDirect = (from, to, content, extra = {}) => api(from, 'POST', `/messages/${to.id}`, { content, ...extra });

  async function shoot(page, name) {
    if (SHOTS) await page.screenshot(`${SHOTS}/${name}.png`);
  }

  it('gives every message one menu, by mouse, keyboard and touch', { timeout: TEST_TIMEOUT_MS }, async () => {
    const alice = await person('alice');
    const bob = await person('bob');
    await sendDirect(bob, alice, 'A message from Bob');
    await sendDirect(alice, bob, 'A message from Alice');
    const page = await signedIn(alice);
    await page.openChat(bob.username);
    await page.waitForMessage('A message from Alice', 'mine');

    // Received: Reply, React, Copy; no Edit or Delete.
    await page.messages('A message from Bob', 'theirs').locator('.bubble').click({ button: 'right' });
    const menu = page.page.locator('.message-menu[data-mode="choices"]');
    await menu.waitFor();
    assert.deepEqual(await menu.locator('.menu-item').evaluateAll((items) => items.map((item) => item.dataset.action)),
      ['reply', 'copy']);
    assert.equal(await menu.locator('.menu-reaction').count(), 7, 'six quick reactions and "more"');
    await page.page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden' });

    // Mine, through ⋮ on hover.
    const mine = page.messages('A message from Alice', 'mine');
    await mine.hover();
    await mine.locator('.message-menu-button').click();
    assert.deepEqual(await menu.locator('.menu-item').evaluateAll((items) => items.map((item) => item.dataset.action)),
      ['reply', 'copy', 'edit', 'delete']);

    // The delete question stays clear of the message it deletes.
    await menu.locator('[data-action="delete"]').click();
    const question = page.page.locator('.message-menu[data-mode="confirm"]');
    await question.waitFor();
    const a = await question.boundingBox();
    const b = await mine.locator('.bubble').boundingBox();
    const overlaps = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    assert.ok(!overlaps, `the question ${JSON.stringify(a)} covers the message ${JSON.stringify(b)}`);
    await question.locator('[data-action="cancel"]').click();

    // Keyboard: the list is one tab stop; arrows move; Enter opens the menu; Tab reaches the composer.
    await page.messages('A message from Alice', 'mine').focus();
    await page.page.keyboard.press('ArrowUp');
    assert.equal(await page.page.evaluate(() => document.activeElement.querySelector('.message-text')?.textContent),
      'A message from Bob');
    await page.page.keyboard.press('Enter');
    await menu.waitFor();
    await page.page.keyboard.press('Escape');
    let steps = 0;
    while (steps < 5 && !(await page.composer.evaluate((node) => node === document.activeElement))) {
      await page.page.keyboard.press('Tab');
      steps += 1;
    }
    assert.ok(steps <= 3, `Tab from the list reached the composer in ${steps} steps`);

    // Copy text.
    await page.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.messages('A message from Bob', 'theirs').locator('.bubble').click({ button: 'right' });
    await menu.locator('[data-action="copy"]').click();
    await waitUntil(async () => (await page.page.evaluate(() => navigator.clipboard.readText())) === 'A message from Bob', 'the text copied');

    // Touch: ⋮ is there to tap; a swipe to the right answers.
    const phone = await signedIn(alice, { viewport: PHONE, hasTouch: true, isMobile: true });
    await phone.openChat(bob.username);
    const theirs = phone.messages('A message from Bob', 'theirs');
    await theirs.waitFor();
    await theirs.locator('.message-menu-button').tap();
    await phone.page.locator('.message-menu[data-mode="choices"]').waitFor();
    await phone.page.locator('.message-menu .menu-item[data-action="reply"]').tap();
    await phone.page.locator('.composer-reply', { hasText: 'A message from Bob' }).waitFor();
    await phone.page.locator('.composer-reply-cancel').tap();
    await theirs.locator('.bubble').evaluate((bubble) => {
      const box = bubble.getBoundingClientRect();
      const at = (type, dx) => bubble.dispatchEvent(new PointerEvent(type, {
        bubbles: true, pointerType: 'touch', isPrimary: true, clientX: box.left + 20 + dx, clientY: box.top + 10,
      }));
      at('pointerdown', 0);
      for (const dx of [10, 30, 60, 90]) at('pointermove', dx);
      at('pointerup', 90);
    });
    await phone.page.locator('.composer-reply', { hasText: 'A message from Bob' }).waitFor();
  });

  it('anchors a short chat at the bottom, with a day heading and a grouped burst', { timeout: TEST_TIMEOUT_MS }, async () => {
    const alice = await person('alice');
    const bob = await person('bob');
    for (const text of ['one', 'two', 'three']) await sendDirect(bob, alice, text);
    const page = await signedIn(alice);
    await page.openChat(bob.username);
    await page.waitForMessage('three', 'theirs');

    assert.deepEqual(await page.page.locator('.day-heading').allTextContents(), ['Today']);
    assert.equal(await page.page.locator('.message.group-start').count(), 1, 'one group for a burst');
    // No separators inside the list: days are list items with headings.
    assert.equal(await page.page.locator('.message-list [role="separator"]').count(), 0);

    const last = await page.messages('three', 'theirs').boundingBox();
    const composer = await page.page.locator('.composer').boundingBox();
    assert.ok(composer.y - (last.y + last.height) < 60, `the newest message sits above the composer (${last.y + last.height} vs ${composer.y})`);
  });

  it('marks where the unread messages begin', { timeout: TEST_TIMEOUT_MS }, async () => {
    const alice = await person('alice');
    const bob = await person('bob');
    const carol = await person('carol');
    await sendDirect(bob, alice, 'old news');
    await sendDirect(carol, alice, 'elsewhere');
    const page = await signedIn(alice);
    await page.openChat(bob.username);
    await page.waitForMessage('old news', 'theirs');
    await page.openChat(carol.username);
    for (const text of ['new 1', 'new 2', 'new 3']) await sendDirect(bob, alice, text);
    await waitUntil(async () => (await page.unreadBadge(bob.username).textContent().catch(() => '')) === '3', 'three unread');
    await page.openChat(bob.username);
    const divider = page.page.locator('.unread-divider');
    await divider.waitFor();
    assert.equal((await divider.textContent()).trim(), '3 new messages');
    const next = await divider.evaluate((node) => node.nextElementSibling.querySelector('.message-text').textContent);
    assert.equal(next, 'new 1');
  });

  it('marks the unread part even when it is longer than a page', { timeout: TEST_TIMEOUT_MS }, async () => {
    const alice = await person('alice');
    const bob = await person('bob');
    const unread = PAGE_SIZE + 5;
    for (let n = 1; n <= unread; n += 1) await sendDirect(bob, alice, `burst ${n}`);
    const page = await signedIn(alice);
    await page.openChat(bob.username);
    const divider = page.page.locator('.unread-divider');
    await divider.waitFor();
    // Counting every unread one; shown at once (before the oldest loaded message), and the pages
    // that scrolling to it loads move it up to the first unread message, with no scrolling by hand.
    assert.equal((await divider.textContent()).trim(), `${unread} new messages`);
    const firstAfter = () => divider.evaluate((node) => node.nextElementSibling.querySelector('.message-text').textContent);
    await waitUntil(async () => (await firstAfter()) === 'burst 1', 'the divider before the first unread message');
    assert.equal(await page.page.locator('.unread-divider').count(), 1);
  });

  it('keeps a draft per chat across a switch and a reload, and drops it once sent', { timeout: TEST_TIMEOUT_MS }, async () => {
    const alice = await person('alice');
    const bob = await person('bob');
    const carol = await person('carol');
    await sendDirect(bob, alice, 'hi');
    await sendDirect(carol, alice, 'hello');
    const page = await signedIn(alice);
    await page.openChat(bob.username);
    await page.composer.fill('half a thought for Bob');
    await page.openChat(carol.username);
    assert.equal(await page.composer.inputValue(), '');
    await page.composer.fill('for Carol');
    await page.openChat(bob.username);
    assert.equal(await page.composer.inputValue(), 'half a thought for Bob');

    await page.page.reload();
    await page.waitForChat(alice.username);
    await page.openChat(carol.username);
    assert.equal(await page.composer.inputValue(), 'for Carol');
    await page.composer.press('Enter');
    await page.waitForMessage('for Carol', 'mine');
    assert.equal(await page.composer.inputValue(), '');
    await page.openChat(bob.username);
    await page.openChat(carol.username);
    assert.equal(await page.composer.inputValue(), '', 'a sent draft does not come back');
  });

  it('replies, and jumps to an original that is not loaded', { timeout: TEST_TIMEOUT_MS }, async () => {
    const alice = await person('alice');
    const bob = await person('bob');
    // Alice is online, so the messages are delivered now, not flushed to her next socket.
    const page = await signedIn(alice);
    const original = await sendDirect(bob, alice, 'The very first question');
    for (let index = 0; index < 70; index += 1) await sendDirect(alice, bob, `filler ${index}`);
    await sendDirect(bob, alice, 'Remember my first question?', { reply_to: original.id });
    await waitUntil(async () => (await page.unreadBadge(bob.username).textContent().catch(() => '')) === '2', 'two unread');
    // A fresh start: only the newest page is loaded.
    await page.page.reload();
    await page.waitForChat(alice.username);
    const bobPage = await signedIn(bob);
    await bobPage.openChat(alice.username);
    await page.openChat(bob.username);
    const reply = page.messages('Remember my first question?', 'theirs');
    await reply.waitFor();
    const quote = reply.locator('.reply-quote');
    assert.match(await quote.textContent(), /The very first question/);
    assert.equal(await page.messages('The very first question').count(), 0, 'the original is not loaded yet');

    await quote.click();
    const shown = page.messages('The very first question', 'theirs');
    await shown.and(page.page.locator('.is-highlighted')).waitFor();
    assert.ok(await shown.isVisible());

    // Scrolling down from there loads the newer pages (after=) up to the reply again.
    await waitUntil(async () => {
      await page.page.locator('.messages').evaluate((node) => { node.scrollTop = node.scrollHeight; });
      return (await reply.count()) === 1;
    }, 'the newer pages down to the reply');
    assert.equal(await page.messages('filler 35', 'mine').count(), 1, 'no gap between the pages');

    // Reply from the menu: the bar, then the quote in both chats.
    await shown.locator('.bubble').click({ button: 'right' });
    await page.page.locator('.message-menu .menu-item[data-action="reply"]').click();
    await page.page.locator('.composer-reply', { hasText: 'The very first question' }).waitFor();
    await page.send('Yes, I do');
    await page.page.locator('.composer-reply').waitFor({ state: 'hidden' });
    const mine = await page.waitForMessage('Yes, I do', 'mine');
    await mine.locator('.reply-quote', { hasText: 'The very first question' }).waitFor();
    const seen = await bobPage.waitForMessage('Yes, I do', 'theirs');
    await seen.locator('.reply-quote', { hasText: 'The very first question' }).waitFor();

    // Escape cancels a reply.
    await page.messages('Yes, I do', 'mine').locator('.bubble').click({ button: 'right' });
    await page.page.locator('.message-menu .menu-item[data-action="reply"]').click();
    await page.page.locator('.composer-reply').waitFor();
    await page.composer.press('Escape');
    await page.page.locator('.composer-reply').waitFor({ state: 'hidden' });

    // The quote follows an edit of the original.
    await bobPage.editMessage('The very first question', 'The very first question, edited');
    await seen.locator('.reply-quote', { hasText: 'The very first question, edited' }).waitFor();
    // … and its deletion.
    await bobPage.deleteMessage('The very first question, edited');
    await seen.locator('.reply-quote[data-deleted="true"]', { hasText: 'Message deleted' }).waitFor();
    await page.messages('Yes, I do', 'mine').locator('.reply-quote', { hasText: 'Message deleted' }).waitFor();

    // After a jump, "Latest messages" goes back to the newest.
    await page.page.reload();
    await page.waitForChat(alice.username);
    await page.openChat(bob.username);
    await reply.locator('.reply-quote').click();
    await page.page.locator('.message.is-highlighted[data-deleted="true"]').waitFor();
    const latest = page.page.locator('.jump-button', { hasText: 'Latest messages' });
    await latest.click();
    await page.messages('Yes, I do', 'mine').waitFor();
    await latest.waitFor({ state: 'hidden' });
    assert.equal(await page.deletedMessages.count(), 0, 'the old page is gone');
  });

  it('reacts: both people see the counts and who reacted', { timeout: TEST_TIMEOUT_MS }, async () => {
    const alice = await person('alice');
    const bob = await person('bob');
    await sendDirect(bob, alice, 'React to me');
    const page = await signedIn(alice);
    const bobPage = await signedIn(bob);
    await page.openChat(bob.username);
    await bobPage.openChat(alice.username);

    const message = await page.waitForMessage('React to me', 'theirs');
    await message.locator('.bubble').click({ button: 'right' });
    await page.page.locator('.message-menu .menu-reaction[data-emoji="👍"]').click();
    const chip = (on, who) => on.messages('React to me').locator(`.reaction-chip[data-emoji="👍"]${who}`);
    await chip(page, '.reaction-mine').waitFor();
    const bobChip = chip(bobPage, '');
    await bobChip.waitFor();
    assert.equal(await bobChip.locator('.reaction-count').textContent(), '1');
    assert.equal(await bobChip.getAttribute('title'), alice.username);

    await bobChip.click();
    await waitUntil(async () => (await chip(page, '').locator('.reaction-count').textContent()) === '2', 'two reactions');
    assert.equal(await chip(page, '').getAttribute('title'), `You and ${bob.username}`);

    // The picker: search, pick.
    await message.locator('.bubble').click({ button: 'right' });
    await page.page.locator('.message-menu .menu-reaction-more').click();
    await page.page.locator('.emoji-search').fill('rocket');
    await page.page.locator('.emoji-cell[data-emoji="🚀"]').click();
    await bobPage.messages('React to me').locator('.reaction-chip[data-emoji="🚀"]').waitFor();

    // The picker by keyboard alone: the menu from the focused message, "+", search, arrows, Enter.
    await message.focus();
    await page.page.keyboard.press('Enter');
    await page.page.locator('.message-menu .menu-item').first().waitFor();
    await page.page.keyboard.press('ArrowUp');
    assert.equal(await page.page.evaluate(() => document.activeElement.dataset.action), 'more');
    await page.page.keyboard.press('Enter');
    await page.page.keyboard.type('grinning face');
    await page.page.locator('.emoji-cell[data-emoji="😀"]').waitFor();
    await page.page.keyboard.press('ArrowDown');
    assert.equal(await page.page.evaluate(() => document.activeElement.dataset.emoji), '😀');
    await page.page.keyboard.press('Enter');
    await bobPage.messages('React to me').locator('.reaction-chip[data-emoji="😀"]').waitFor();
    assert.equal(await page.page.evaluate(() => document.activeElement.querySelector('.message-text')?.textContent),
      'React to me', 'focus is back on the message');

    // A click on my chip takes mine back.
    await chip(page, '.reaction-mine').click();
    await waitUntil(async () => (await chip(bobPage, '').locator('.reaction-count').textContent()) === '1', 'back to one');
  });

  it('offers the room’s members after @ and highlights mentions', { timeout: TEST_TIMEOUT_MS }, async () => {
    const alice = await person('alice');
    const bob = await person('bob');
    const room = await api(alice, 'POST', '/rooms', { name: `Mentions ${names}`, kind: 'public' });
    await api(bob, 'POST', `/rooms/${room.id}/join`);
    const page = await signedIn(alice);
    const bobPage = await signedIn(bob);
    await bobPage.openRoom(room.name);
    await page.openRoom(room.name);

    await page.composer.fill('Hey @');
    await page.composer.press('b');
    const options = page.page.locator('.mention-suggestions .mention-name');
    await options.first().waitFor();
    assert.deepEqual(await options.allTextContents(), [bob.username]);
    await page.composer.press('Enter');
    assert.equal(await page.composer.inputValue(), `Hey @${bob.username} `);
    await page.composer.pressSequentially('look');
    await page.composer.press('Escape');
    await page.composer.press('Enter');

    const text = `Hey @${bob.username} look`;
    const received = await bobPage.waitForMessage(text, 'theirs');
    await received.locator('.mention.mention-me', { hasText: `@${bob.username}` }).waitFor();
    const sent = await page.waitForMessage(text, 'mine');
    await sent.locator('.mention:not(.mention-me)').waitFor();
  });

  it('looks right on a desktop and a phone, light and dark', { timeout: TEST_TIMEOUT_MS }, async () => {
    const alice = await person('alice');
    const bob = await person('bob');
    const first = await sendDirect(bob, alice, 'Are we still on for lunch tomorrow?');
    await sendDirect(bob, alice, 'I found a new place near the station 🍜');
    await sendDirect(alice, bob, 'Yes! What time?', { reply_to: first.id });
    await api(alice, 'PUT', `/messages/${first.id}/reactions/${encodeURIComponent('👍')}`);
    await api(bob, 'PUT', `/messages/${first.id}/reactions/${encodeURIComponent('👍')}`);
    await sendDirect(bob, alice, 'Half past twelve');
    for (const scheme of ['light', 'dark']) {
      for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
        const page = await signedIn(alice, { viewport, colorScheme: scheme, hasTouch: name === 'phone' });
        await page.openChat(bob.username);
        await page.waitForMessage('Half past twelve', 'theirs');
        await shoot(page, `conversation-${name}-${scheme}`);
        await page.messages('Half past twelve', 'theirs').locator('.bubble').click({ button: 'right' });
        await shoot(page, `conversation-${name}-${scheme}-menu`);
        await page.page.locator('.message-menu .menu-reaction-more').click();
        await page.page.locator('.emoji-cell').first().waitFor();
        await shoot(page, `conversation-${name}-${scheme}-picker`);
        await page.page.keyboard.press('Escape');
        await page.messages('Half past twelve', 'theirs').locator('.bubble').click({ button: 'right' });
        await page.page.locator('.message-menu .menu-item[data-action="reply"]').click();
        await page.composer.fill('Perfect, see you @');
        await shoot(page, `conversation-${name}-${scheme}-reply`);
        assert.deepEqual(page.errors, []);
        await page.page.context().close();
      }
    }
  });
});
