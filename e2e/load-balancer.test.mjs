// End-to-end, issue 15: several nodes behind a load balancer. Three Parley nodes on one
// throwaway PostgreSQL, Debian's nginx in front with deploy/nginx/proxy.conf, two people
// in two browsers whose sockets are on different nodes. They chat live; then the node
// of one of them is stopped with SIGTERM: its socket closes with 1012, the page
// reconnects through nginx to a live node with `since`, without reloading, and the
// conversation goes on with nothing lost or shown twice.
//
//   apt-get install nginx; cd e2e && npm ci && cd .. && node --test e2e/load-balancer.test.mjs
//
// nginx has one port per person: each prefers a different node and has the other two as
// `backup`s, so where each socket lands is known (a real deployment balances freely).

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.mjs';
import { startNginx } from './nginx.mjs';
import { PASSWORD, waitUntil } from './support.mjs';
import { ParleyPage } from './parley-page.mjs';
import { startPostgres } from './postgres.mjs';
import { createServerEnvironment, startServer } from './server.mjs';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url).pathname;
const DESKTOP = { width: 1280, height: 800 };
const NODES = 3;

describe('Three nodes behind nginx in the browser', { timeout: 60_000 }, () => {
  let database;
  let environment;
  const nodes = [];
  let nginx;
  let browser;

  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    database = await startPostgres();
    environment = await createServerEnvironment();
    environment.env.DATABASE_URL = database.url;
    // nginx, on loopback, names the client in X-Forwarded-For.
    environment.env.TRUSTED_PROXIES = '127.0.0.1';
    // One after another: the first applies the migrations.
    for (let i = 0; i < NODES; i += 1) nodes.push(await startServer(environment));
    const [first, second, third] = nodes.map((node) => node.port);
    nginx = await startNginx([[first, second, third], [second, third, first]]);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await nginx?.stop();
    for (const node of nodes) await node.stop();
    await database?.stop();
    await environment?.remove();
  });

  async function signUp(username, baseUrl) {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = new ParleyPage(await context.newPage(), baseUrl);
    await page.open();
    await page.register(username, PASSWORD);
    return page;
  }

  /** Sockets open on each node (`null` for a stopped one), from its own /metrics. */
  async function socketsPerNode() {
    return Promise.all(nodes.map(async (node) => {
      const response = await fetch(`${node.baseUrl}/metrics`).catch(() => null);
      if (!response?.ok) return null;
      const match = (await response.text()).match(/^parley_websocket_connections (\d+)$/m);
      return Number(match[1]);
    }));
  }

  /** Waits until `holds(sockets per node)`. */
  async function waitForSockets(holds, what) {
    let last;
    await waitUntil(async () => holds(last = await socketsPerNode()), () => `${what} (sockets per node: ${JSON.stringify(last)})`);
  }

  it('two people on different nodes chat, and go on when one node stops', { timeout: 45_000 }, async () => {
    const [toFirst, toSecond] = nginx.baseUrls;
    const alice = await signUp('alice', toFirst);
    const bob = await signUp('bob', toSecond);
    await waitForSockets(([first, second, third]) => first === 1 && second === 1 && third === 0,
      'Alice on node 1 and Bob on node 2');

    await alice.openChat('bob');
    await bob.openChat('alice');
    await alice.send('Hi Bob, from node 1');
    await bob.waitForMessage('Hi Bob, from node 1', 'theirs');
    await bob.send('Hi Alice, from node 2');
    await alice.waitForMessage('Hi Alice, from node 2', 'theirs');
    await alice.screenshot(`${SCREENSHOTS}50-nodes-alice.png`);
    await bob.screenshot(`${SCREENSHOTS}51-nodes-bob.png`);

    // A mark that a reload would wipe.
    for (const person of [alice, bob]) await person.page.evaluate(() => { window.parleyNotReloaded = true; });

    await nodes[0].stop(); // SIGTERM to its PID; it closes Alice's socket with 1012
    // Both written while Alice's page may still be reconnecting: hers waits in its outbox.
    await alice.send('Sent while node 1 stops');
    await bob.send('Sent to Alice meanwhile');

    // Node 1 gone, Alice's socket on node 2 or 3 (nginx's backups for her port), Bob's still on 2.
    await waitForSockets(([first, second, third]) => first === null && second >= 1 && second + third === 2,
      'Alice reconnected to a live node through nginx');
    await alice.waitConnected();
    await bob.waitForMessage('Sent while node 1 stops', 'theirs');
    await alice.waitForMessage('Sent to Alice meanwhile', 'theirs');

    await alice.send('Still here, through another node');
    await bob.waitForMessage('Still here, through another node', 'theirs');
    await bob.send('Nothing missing on my side');
    await alice.waitForMessage('Nothing missing on my side', 'theirs');
    await alice.screenshot(`${SCREENSHOTS}52-node-stopped-alice.png`);
    await bob.screenshot(`${SCREENSHOTS}53-node-stopped-bob.png`);

    const expected = [
      'Hi Bob, from node 1', 'Hi Alice, from node 2', 'Sent while node 1 stops', 'Sent to Alice meanwhile',
      'Still here, through another node', 'Nothing missing on my side',
    ];
    // The two written during the stop may be stored in either order; both pages show the stored order.
    const [aliceSees, bobSees] = [await alice.messageTexts(), await bob.messageTexts()];
    assert.deepEqual(aliceSees, bobSees);
    assert.deepEqual([...aliceSees].sort(), [...expected].sort());
    const stored = await alice.page.evaluate(async () => {
      const headers = { Authorization: `Bearer ${localStorage.getItem('parley.token')}` };
      const users = await (await fetch('/users?q=bob', { headers })).json();
      const bobId = users.find((user) => user.username === 'bob').id;
      return (await fetch(`/messages/${bobId}`, { headers })).json();
    });
    assert.deepEqual(stored.map((message) => message.content), aliceSees);

    assert.match(nodes[0].output(), /socket closed user=\d+ conn=\d+ code=1012/, 'node 1 closed Alice\'s socket with 1012');
    for (const person of [alice, bob]) {
      assert.equal(await person.page.evaluate(() => window.parleyNotReloaded), true, 'no reload');
      assert.deepEqual(person.errors, []);
    }
  });
});
