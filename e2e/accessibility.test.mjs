// End-to-end, accessibility (issue 17): axe-core finds no serious or critical violation on the
// sign-in, chat and room screens, in light and dark; screenshots of the shell at desktop and
// phone width for a person to look at (e2e/screenshots/, not committed).
//
//   cd e2e && npm install && cd .. && node --test e2e/accessibility.test.mjs

import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.mjs';
import { PASSWORD, registerByApi } from './support.mjs';
import { ParleyPage } from './parley-page.mjs';
import { createServerEnvironment, startServer } from './server.mjs';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url).pathname;
const TEST_TIMEOUT_MS = 180_000;
const DESKTOP = { viewport: { width: 1280, height: 800 } };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const AXE_SOURCE = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe's serious and critical violations on the page, as "rule: selector" lines. */
async function violations(page) {
  // Colours are judged once fade-ins are over.
  await page.waitForFunction(() => document.getAnimations().every((animation) => animation.playState !== 'running'));
  // page.evaluate runs outside the page's Content-Security-Policy.
  await page.evaluate(await AXE_SOURCE);
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .flatMap((violation) => violation.nodes.map((node) => `${violation.id}: ${node.target.join(' ')} (${node.failureSummary.split('\n').slice(1).join(' ')})`));
  });
  return found;
}

describe('Parley accessibility in the browser', { timeout: 10 * 60_000 }, () => {
  let environment;
  let server;
  let browser;
  const contexts = [];

  async function openApp(options) {
    const context = await browser.newContext(options);
    contexts.push(context);
    const page = new ParleyPage(await context.newPage(), server.baseUrl);
    await page.open();
    return page;
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

  it('has no serious or critical axe violations on sign-in, a chat and a room, light and dark', { timeout: TEST_TIMEOUT_MS }, async () => {
    const friend = await registerByApi(server.baseUrl, 'friend');
    let n = 0;
    for (const colorScheme of ['light', 'dark']) {
      for (const [size, options] of [['desktop', DESKTOP], ['phone', PHONE]]) {
        n += 1;
        const name = `axe${n}`;
        const app = await openApp({ ...options, colorScheme });
        const shot = (what) => app.page.screenshot({ path: `${SCREENSHOTS}shell-${what}-${size}-${colorScheme}.png`, animations: 'disabled' });
        await app.authForm.waitFor();
        await shot('login');
        assert.deepEqual(await violations(app.page), [], `sign-in, ${colorScheme}, ${size}`);
        await app.page.locator('.auth-tab[data-mode="register"]').click();
        assert.deepEqual(await violations(app.page), [], `create account, ${colorScheme}, ${size}`);

        await app.register(name, PASSWORD);
        const me = await (await fetch(`${server.baseUrl}/me`, { headers: { Authorization: `Bearer ${await app.token()}` } })).json();
        await fetch(`${server.baseUrl}/messages/${me.id}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${friend.token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ content: `Hello ${name}` }),
        });
        await app.unreadBadge('friend').waitFor();
        await shot('list');
        assert.deepEqual(await violations(app.page), [], `chat list, ${colorScheme}, ${size}`);
        await app.openChat('friend');
        await app.send('Hi there');
        await app.waitForMessage('Hi there', 'mine');
        await shot('chat');
        assert.deepEqual(await violations(app.page), [], `chat, ${colorScheme}, ${size}`);
        await app.page.locator('.mute-button').click();
        await shot('mute-menu');
        await app.page.keyboard.press('Escape');

        if (size === 'phone') await app.page.locator('.back-button').click();
        await app.createRoom(`room-${name}`);
        await app.send('A room message');
        await app.waitForMessage('A room message', 'mine');
        // The selected row's preview then reads "This message was deleted", as does the list.
        await app.send('To be deleted');
        await app.deleteMessage('To be deleted');
        await app.roomButton(`room-${name}`).locator('.user-preview[data-kind="deleted"]').waitFor({ state: 'attached' });
        await shot('room');
        assert.deepEqual(await violations(app.page), [], `room, ${colorScheme}, ${size}`);
        if (size === 'phone') await app.page.locator('.back-button').click();
        await app.page.locator('.logout-button').click();
        await app.page.locator('.logout-dialog').waitFor();
        // Checked once its fade-in has ended: halfway, its text is fainter than it ends up.
        await app.page.locator('.logout-dialog').evaluate((dialog) => Promise.all(dialog.getAnimations().map((animation) => animation.finished)));
        await shot('logout');
        assert.deepEqual(await violations(app.page), [], `logout dialog, ${colorScheme}, ${size}`);
        await app.page.keyboard.press('Escape');
      }
    }
  });
});
