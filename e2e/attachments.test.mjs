// End-to-end: photos and files in the web app, on the real server binary with its local store.
// Alice sends Bob a photo and a text file; Bob sees the thumbnail at its aspect ratio and the
// file chip, and opens the viewer; Eve, who is in no conversation with them, sees nothing and
// cannot fetch the file. Also: a file over the server's limit, a full quota, a cancelled upload,
// paste and drop, an expired link refreshed from history, and screenshots in both colour
// schemes at desktop and phone width.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.mjs';
import { scenePng } from './images.mjs';
import { ParleyPage } from './parley-page.mjs';
import { createServerEnvironment, startServer } from './server.mjs';
import { PASSWORD, registerByApi, waitUntil } from './support.mjs';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url).pathname;
const TEST_TIMEOUT_MS = 90_000;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
// Small limits, so "too large" and "storage full" need no big files.
const MAX_BYTES = 256 * 1024;
const QUOTA_BYTES = 1024 * 1024;

const PHOTO = { name: 'sunset.png', mimeType: 'image/png', buffer: scenePng(640, 427) };
const NOTES = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Agenda: photos in Parley.\n') };

const shot = (name) => `${SCREENSHOTS}attachments-${name}.png`;

/** Random bytes (they do not compress, and are no image) as a file to attach. */
function blob(name, size) {
  return { name, mimeType: 'application/octet-stream', buffer: randomBytes(size) };
}

describe('Attachments in the browser', { timeout: 10 * 60_000 }, () => {
  let environment;
  let server;
  let browser;
  const contexts = [];
  const users = {};
  let alice;
  let bob;
  // The photo's attachment id, as Bob's page shows it.
  let photoId;

  async function newPage(username, { viewport = DESKTOP, ...options } = {}) {
    const context = await browser.newContext({ viewport, ...options });
    contexts.push(context);
    const page = new ParleyPage(await context.newPage(), server.baseUrl);
    await page.open();
    await page.login(username, PASSWORD);
    return page;
  }

  function getAs(user, path) {
    return fetch(`${server.baseUrl}${path}`, { headers: { Authorization: `Bearer ${user.token}` } });
  }

  /** Waits until the picture in `tile` has loaded; returns its natural and shown sizes. */
  async function loadedPicture(tile) {
    await tile.locator('img').waitFor();
    await tile.page().waitForFunction((node) => {
      const image = node.querySelector('img');
      return image && image.complete && image.naturalWidth > 0;
    }, await tile.elementHandle(), { timeout: 20_000 });
    const natural = await tile.locator('img').evaluate((image) => ({ width: image.naturalWidth, height: image.naturalHeight }));
    return { natural, box: await tile.boundingBox() };
  }

  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    environment = await createServerEnvironment();
    Object.assign(environment.env, {
      ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
      ATTACHMENT_QUOTA_BYTES: String(QUOTA_BYTES),
    });
    server = await startServer(environment);
    browser = await launchChromium();
    for (const name of ['alice', 'bob', 'eve']) users[name] = await registerByApi(server.baseUrl, name);
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop();
    await environment?.remove();
  });

  it('sends a photo and a file, which the recipient sees and opens', { timeout: TEST_TIMEOUT_MS }, async () => {
    alice = await newPage('alice');
    await alice.openChat('bob');
    bob = await newPage('bob');
    await bob.openChat('alice');

    await alice.attach([PHOTO, NOTES]);
    await alice.waitUploaded('sunset.png');
    await alice.waitUploaded('notes.txt');
    // The stored photo's thumbnail shows on its chip.
    await loadedPicture(alice.pendingChip('sunset.png').locator('.pending-preview'));
    await alice.screenshot(shot('01-pending-desktop'));
    // No text: the files alone make the message.
    assert.equal(await alice.composer.inputValue(), '');
    await alice.sendNow();
    await alice.page.locator('.attachment-tray').waitFor({ state: 'hidden' });
    await alice.page.locator('.message-mine[data-status="sent"] .attachment-image').waitFor({ timeout: 20_000 });

    const tile = bob.page.locator('.message-theirs .attachment-image');
    const { natural, box } = await loadedPicture(tile);
    assert.ok(natural.width > 0 && Math.max(natural.width, natural.height) <= 320, `a thumbnail, not the original: ${JSON.stringify(natural)}`);
    assert.ok(Math.abs(box.width / box.height - 640 / 427) < 0.02, `shown at 640:427, got ${box.width}×${box.height}`);
    photoId = await tile.getAttribute('data-attachment-id');
    assert.ok(photoId, 'the tile names its attachment');

    const file = bob.page.locator('.message-theirs a.attachment-file', { hasText: 'notes.txt' });
    await file.waitFor();
    assert.equal(await file.getAttribute('download'), 'notes.txt');
    assert.equal((await file.locator('.attachment-file-size').textContent()).trim(), `${NOTES.buffer.length} B`);
    // The signed link works without a token: that is what the download uses.
    const download = await fetch(new URL(await file.getAttribute('href'), server.baseUrl));
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), NOTES.buffer);
    // The chat list says what came, though there is no text.
    await bob.search('');
    await bob.userButton('alice').locator('.user-preview-text', { hasText: /^2 files$/ }).waitFor();
    await bob.screenshot(shot('02-received-desktop'));

    // The viewer: the full picture, closed by Escape, focus back on the thumbnail.
    await tile.click();
    const viewer = bob.page.locator('.image-viewer[open]');
    await viewer.waitFor();
    await bob.page.locator('.image-viewer-image[data-full="true"]').waitFor();
    assert.equal(await bob.page.locator('.image-viewer-image').evaluate((image) => image.naturalWidth), 640);
    await bob.screenshot(shot('03-viewer-desktop'));
    await bob.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    assert.equal(await bob.page.evaluate(() => document.activeElement?.classList.contains('attachment-image')), true);
    // From the keyboard: Enter on the thumbnail opens it; a click anywhere closes it.
    await bob.page.keyboard.press('Enter');
    await viewer.waitFor();
    await bob.page.mouse.click(20, 20);
    await viewer.waitFor({ state: 'detached' });
    assert.deepEqual([...alice.errors, ...bob.errors], []);
  });

  it('shows nothing to an outsider, who cannot fetch the file', { timeout: TEST_TIMEOUT_MS }, async () => {
    const eve = await newPage('eve');
    await eve.openChat('alice');
    await eve.page.locator('.messages-older[data-kind="empty"]').waitFor();
    assert.equal(await eve.page.locator('.message-attachments').count(), 0);
    assert.equal(await eve.userButton('bob').locator('.user-preview-text').count(), 0, 'no chat with Bob either');

    for (const path of [`/attachments/${photoId}`, `/attachments/${photoId}/thumbnail`]) {
      const refused = await getAs(users.eve, path);
      assert.equal(refused.status, 404, `GET ${path} as the outsider`);
      assert.equal((await refused.json()).error, 'attachment_not_found');
      for (const name of ['alice', 'bob']) assert.equal((await getAs(users[name], path)).status, 200, `GET ${path} as ${name}`);
    }
    await eve.page.context().close();
  });

  it('says when a file is over the size limit', { timeout: TEST_TIMEOUT_MS }, async () => {
    await alice.attach([blob('video.mp4', MAX_BYTES + 64 * 1024)]);
    const chip = alice.pendingChip('video.mp4');
    await chip.and(alice.page.locator('[data-state="failed"]')).waitFor({ timeout: 20_000 });
    assert.match(await chip.locator('.pending-error').textContent(), /too large/i);
    assert.equal(await alice.page.locator('.send-button').isDisabled(), true, 'nothing to send');
    await alice.screenshot(shot('04-too-large-desktop'));
    await chip.locator('.pending-remove').click();
    await chip.waitFor({ state: 'detached' });
    await alice.page.locator('.attachment-tray').waitFor({ state: 'hidden' });
  });

  it('says when the storage quota is used up', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Eve, who uploaded nothing yet: four files nearly fill her quota, the fifth does not fit.
    const eve = await newPage('eve');
    await eve.openChat('alice');
    const part = Math.floor(QUOTA_BYTES / 4) - 1024;
    for (let index = 1; index <= 4; index += 1) {
      await eve.attach([blob(`part-${index}.bin`, part)]);
      await eve.waitUploaded(`part-${index}.bin`);
    }
    await eve.attach([blob('one-too-many.bin', part)]);
    const chip = eve.pendingChip('one-too-many.bin');
    await chip.and(eve.page.locator('[data-state="failed"]')).waitFor({ timeout: 20_000 });
    assert.match(await chip.locator('.pending-error').textContent(), /storage is full/i);
    await eve.page.context().close();
  });

  it('cancels an upload in progress, leaving no chip', { timeout: TEST_TIMEOUT_MS }, async () => {
    // A slow uplink, so the upload is still going when × is pressed.
    const cdp = await alice.page.context().newCDPSession(alice.page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 16 * 1024,
    });
    try {
      await alice.attach([blob('slow.bin', 200 * 1024)]);
      const chip = alice.pendingChip('slow.bin');
      await chip.and(alice.page.locator('[data-state="uploading"]')).waitFor();
      await waitUntil(async () => Number(await chip.getAttribute('data-progress')) > 0, 'the upload to be under way');
      assert.equal(await alice.page.locator('.send-button').isDisabled(), true, 'sending waits for uploads');
      await alice.screenshot(shot('05-uploading-desktop'));
      await chip.locator('.pending-remove').click();
      await chip.waitFor({ state: 'detached' });
    } finally {
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
      });
      await cdp.detach();
    }
    assert.equal(await alice.page.locator('.pending-attachment').count(), 0);
    // The next message carries no file.
    await alice.send('Sent after the cancel');
    const message = await bob.waitForMessage('Sent after the cancel', 'theirs');
    assert.equal(await message.locator('.message-attachments').count(), 0);
  });

  it('attaches a pasted picture and dropped files', { timeout: TEST_TIMEOUT_MS }, async () => {
    const png = PHOTO.buffer.toString('base64');
    await alice.composer.evaluate((input, base64) => {
      const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
      input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, png);
    const pasted = alice.page.locator('.pending-attachment', { hasText: /^Pasted image/ });
    await pasted.and(alice.page.locator('[data-state="done"]')).waitFor({ timeout: 20_000 });

    // A drag from the file manager: the pane shows where it goes, the drop attaches.
    const pane = alice.page.locator('.chat-open');
    const transfer = await alice.page.evaluateHandle(() => {
      const data = new DataTransfer();
      data.items.add(new File(['dropped text\n'], 'dropped.txt', { type: 'text/plain' }));
      return data;
    });
    await pane.dispatchEvent('dragenter', { dataTransfer: transfer });
    await alice.page.locator('.chat-open[data-dropping="true"]').waitFor();
    await alice.screenshot(shot('06-drop-desktop'));
    await pane.dispatchEvent('drop', { dataTransfer: transfer });
    await alice.page.locator('.chat-open[data-dropping]').waitFor({ state: 'detached' });
    await alice.waitUploaded('dropped.txt');

    await alice.send('Pasted and dropped');
    const message = await bob.waitForMessage('Pasted and dropped', 'theirs');
    await loadedPicture(message.locator('.attachment-image'));
    await message.locator('a.attachment-file', { hasText: 'dropped.txt' }).waitFor();
  });

  it('fetches fresh links from history when a picture link has expired', { timeout: TEST_TIMEOUT_MS }, async () => {
    // A new tab with an empty cache, whose first thumbnail request answers as an expired link would.
    const context = await browser.newContext({ viewport: DESKTOP });
    contexts.push(context);
    let refused = 0;
    await context.route(/\/attachments\/[^/?]+\/thumbnail/, async (route) => {
      if (refused === 0) {
        refused += 1;
        await route.fulfill({ status: 403, json: { error: 'link_expired', message: 'link expired' } });
      } else {
        await route.continue();
      }
    });
    const historyPages = [];
    context.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === `/messages/${users.alice.id}`) historyPages.push(url.search);
    });
    const page = new ParleyPage(await context.newPage(), server.baseUrl);
    await page.open();
    await page.login('bob', PASSWORD);
    await page.openChat('alice');
    const tiles = page.page.locator('.attachment-image');
    await tiles.first().waitFor();
    await waitUntil(async () => (await tiles.evaluateAll((nodes) => nodes.every((node) => node.dataset.state === 'loaded'))),
      'every picture to load');
    assert.equal(refused, 1, 'one link failed');
    assert.ok(historyPages.some((search) => search.includes('before=')), `the page holding the message was fetched again: ${historyPages}`);
    assert.equal(await page.page.locator('.attachment-image[data-state="broken"]').count(), 0);
    await context.close();
  });

  it('looks right in the dark and on a phone', { timeout: TEST_TIMEOUT_MS }, async () => {
    const views = [
      { name: 'dark-desktop', viewport: DESKTOP, colorScheme: 'dark' },
      { name: 'light-phone', viewport: PHONE, colorScheme: 'light', isMobile: true, hasTouch: true },
      { name: 'dark-phone', viewport: PHONE, colorScheme: 'dark', isMobile: true, hasTouch: true },
    ];
    for (const { name, ...options } of views) {
      const page = await newPage('bob', options);
      await page.openChat('alice');
      for (const tile of await page.page.locator('.attachment-image').all()) await loadedPicture(tile);
      await page.page.locator('.message-list > :last-child').scrollIntoViewIfNeeded();
      await page.screenshot(shot(`07-received-${name}`));
      // The bubble fits the narrow screen: nothing sticks out to the side.
      const overflow = await page.page.locator('.messages').evaluate((node) => node.scrollWidth - node.clientWidth);
      assert.equal(overflow, 0, `${name}: no sideways scrolling`);
      const sticking = await page.page.locator('.message-attachments > *, .attachment-image').evaluateAll((nodes) => nodes
        .filter((node) => node.getBoundingClientRect().right > node.closest('.bubble').getBoundingClientRect().right + 0.5)
        .map((node) => node.className));
      assert.deepEqual(sticking, [], `${name}: files stay inside their bubbles`);

      await page.attach([PHOTO, blob('quarterly-report-final-version.pdf', 40 * 1024)]);
      await page.waitUploaded('sunset.png');
      await page.waitUploaded('quarterly-report-final-version.pdf');
      await page.screenshot(shot(`08-pending-${name}`));

      await page.page.locator('.attachment-image').first().click();
      await page.page.locator('.image-viewer-image[data-full="true"]').waitFor();
      await page.screenshot(shot(`09-viewer-${name}`));
      await page.page.keyboard.press('Escape');
      assert.deepEqual(page.errors, []);
      await page.page.context().close();
    }
  });
});
