// End-to-end, the API documentation: Swagger UI at /docs (served from the repo, no
// network), and the Postman collection in docs/, which must match what
// scripts/postman-collection.mjs writes from the running server and must pass
// when newman runs it.
//
//   cd e2e && npm install && cd .. && node --test e2e/

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import newman from 'newman';
import { launchChromium } from './browser.mjs';
import { PASSWORD } from './support.mjs';
import { createServerEnvironment, startServer } from './server.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COLLECTION = path.join(REPO, 'docs', 'parley.postman_collection.json');
const GENERATOR = path.join(REPO, 'scripts', 'postman-collection.mjs');
const SCREENSHOTS = new URL('./screenshots/', import.meta.url).pathname;
const TEST_TIMEOUT_MS = 120_000;

describe('API documentation', { timeout: 5 * 60_000 }, () => {
  let environment;
  let server;
  let browser;

  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    environment = await createServerEnvironment();
    server = await startServer(environment);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await environment?.remove();
  });

  it('the committed Postman collection is what the generator writes from this server', { timeout: TEST_TIMEOUT_MS }, async () => {
    const scratch = await mkdtemp(path.join(tmpdir(), 'parley-postman-'));
    try {
      const out = path.join(scratch, 'collection.json');
      await promisify(execFile)(process.execPath, [GENERATOR, `${server.baseUrl}/openapi.json`, out]);
      assert.equal(await readFile(COLLECTION, 'utf8'), await readFile(out, 'utf8'),
        'docs/parley.postman_collection.json is stale: run `node scripts/postman-collection.mjs` against a fresh server');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('every request of the collection gets a documented status, signed in after POST /login', { timeout: TEST_TIMEOUT_MS }, async () => {
    const collection = JSON.parse(await readFile(COLLECTION, 'utf8'));
    // Log out last, so that the other requests run with the token.
    const auth = collection.item.find((folder) => folder.name === 'auth');
    const logout = auth.item.findIndex((item) => item.name === 'POST /logout');
    collection.item.push(...auth.item.splice(logout, 1));
    collection.variable.find((v) => v.key === 'baseUrl').value = server.baseUrl;

    const summary = await promisify(newman.run)({ collection, reporters: [] });
    const failures = summary.run.failures.map((f) => `${f.source?.name}: ${f.error?.message}`);
    assert.deepEqual(failures, []);
    const statuses = Object.fromEntries(summary.run.executions.map((e) => [e.item.name, e.response?.code]));
    assert.equal(Object.keys(statuses).length, collection.item.flatMap((folder) => folder.item ?? [folder]).length);
    assert.equal(statuses['POST /register'], 201);
    assert.equal(statuses['POST /login'], 200);
    assert.equal(statuses['GET /me'], 200, 'the token from POST /login is sent');
    assert.equal(statuses['POST /logout'], 204);
  });

  it('/docs runs Swagger UI on /openapi.json: sign up, log in, authorize, call GET /me', { timeout: TEST_TIMEOUT_MS }, async () => {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    const external = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(server.baseUrl)) external.push(request.url());
    });
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) errors.push(message.text());
    });

    await page.goto(`${server.baseUrl}/docs`);
    await page.locator('.info .title', { hasText: 'Parley' }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}59-docs.png` });

    /** Expands an operation, fills its body if given, executes it; returns status and body. */
    async function execute(tag, operationId, body) {
      const operation = page.locator(`#operations-${tag}-${operationId}`);
      await operation.locator('.opblock-summary').first().click();
      await operation.locator('.try-out__btn').click();
      if (body !== undefined) await operation.locator('textarea.body-param__text').fill(JSON.stringify(body));
      await operation.locator('.execute').click();
      const live = operation.locator('.live-responses-table .response');
      await live.first().waitFor();
      const status = Number((await live.locator('.response-col_status').first().textContent()).trim());
      const text = await live.locator('.response-col_description pre').first().textContent();
      return { status, operation, text };
    }

    const credentials = { username: 'swagger-sam', password: PASSWORD };
    const registered = await execute('auth', 'register', credentials);
    assert.equal(registered.status, 201, registered.text);
    const login = await execute('auth', 'login', credentials);
    assert.equal(login.status, 200, login.text);
    await login.operation.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SCREENSHOTS}60-docs-login.png` });
    const token = JSON.parse(login.text).access_token;

    await page.locator('.scheme-container .btn.authorize').click();
    const bearer = page.locator('.auth-container').filter({ hasText: 'bearer (http, Bearer)' });
    await bearer.locator('input').fill(token);
    await bearer.locator('button.authorize').click();
    await page.locator('.modal-ux .close-modal').click();

    const me = await execute('users', 'me');
    assert.equal(me.status, 200, me.text);
    assert.equal(JSON.parse(me.text).username, credentials.username);
    await me.operation.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SCREENSHOTS}61-docs-me.png` });

    assert.deepEqual(external, [], 'the page loads nothing from outside the server');
    assert.deepEqual(errors, []);
  });
});
