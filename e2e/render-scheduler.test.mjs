// The web app's render scheduler, in Node (it touches no DOM): many changes in one task are
// drawn once, the open conversation's history the strongest way asked for, and nothing after
// the session ended.
//
//   node --test e2e/render-scheduler.test.mjs

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

// Loaded from its source: nothing marks frontend/'s .js files as ES modules for Node (before
// 20.19 it would read them as CommonJS), and the module imports nothing.
const source = await readFile(new URL('../frontend/js/render-scheduler.js', import.meta.url), 'utf8');
const { RenderScheduler } = await import(`data:text/javascript,${encodeURIComponent(source)}`);

/** A scheduler whose draws are recorded; `openKey` is the open conversation. */
function recorder(openKey = 'user:1') {
  const draws = [];
  const scheduler = new RenderScheduler((parts) => draws.push(parts), () => openKey);
  return { scheduler, draws };
}

// Microtasks queued before this one have run once it resolves.
const afterMicrotasks = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('RenderScheduler', () => {
  it('draws once for every change made in one task, after the task', async () => {
    const { scheduler, draws } = recorder();
    scheduler.schedule();
    scheduler.schedule();
    scheduler.changed('room:2');
    assert.equal(draws.length, 0, 'nothing is drawn while the task runs');
    await afterMicrotasks();
    assert.deepEqual(draws, [{ conversation: null, ownMessage: false }]);
  });

  it('redraws the history of the open conversation only, the strongest way asked for', async () => {
    const { scheduler, draws } = recorder('user:1');
    scheduler.changed('user:1');
    scheduler.schedule({ conversation: 'reset' });
    scheduler.changed('user:1', 'prepend');
    await afterMicrotasks();
    scheduler.changed('user:1', 'prepend');
    scheduler.changed('user:1');
    await afterMicrotasks();
    scheduler.changed('user:2', 'reset');
    await afterMicrotasks();
    assert.deepEqual(draws.map((parts) => parts.conversation), ['reset', 'prepend', null]);
  });

  it('follows my own message to the bottom when any change in the task was one', async () => {
    const { scheduler, draws } = recorder();
    scheduler.schedule({ conversation: 'update', ownMessage: true });
    scheduler.changed('user:1');
    await afterMicrotasks();
    scheduler.changed('user:1');
    await afterMicrotasks();
    assert.deepEqual(draws, [{ conversation: 'update', ownMessage: true }, { conversation: 'update', ownMessage: false }]);
  });

  it('draws nothing once disposed, even what was asked for before', async () => {
    const { scheduler, draws } = recorder();
    scheduler.schedule();
    scheduler.dispose();
    await afterMicrotasks();
    scheduler.schedule({ conversation: 'reset' });
    await afterMicrotasks();
    assert.deepEqual(draws, []);
  });
});
