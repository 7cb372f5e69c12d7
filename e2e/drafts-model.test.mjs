// The web app's drafts, in Node with a stand-in localStorage: kept per user and chat, an empty
// one removed, and every user's gone at logout.
//
//   node --test e2e/drafts-model.test.mjs

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

// Loaded from its source, as in render-scheduler.test.mjs (the module imports nothing).
const source = await readFile(new URL('../frontend/js/drafts.js', import.meta.url), 'utf8');
const { Drafts, forgetAllDrafts } = await import(`data:text/javascript,${encodeURIComponent(source)}`);

/** What the module uses of localStorage, on a plain object: Object.keys lists the stored keys. */
function fakeStorage() {
  const storage = {};
  Object.defineProperties(storage, {
    getItem: { value: (key) => (Object.hasOwn(storage, key) ? storage[key] : null) },
    setItem: { value: (key, value) => { storage[key] = String(value); } },
    removeItem: { value: (key) => { delete storage[key]; } },
  });
  return storage;
}

describe('drafts', () => {
  it('keeps one per user and chat, drops empty ones, and forgets all at logout', () => {
    globalThis.localStorage = fakeStorage();
    localStorage.setItem('parley.token', 'keep me');
    const alice = new Drafts(1);
    const bob = new Drafts(2);
    alice.save('user:2', 'half a thought');
    alice.save('room:7', 'for the room');
    bob.save('user:1', 'bob writes');
    assert.equal(alice.load('user:2'), 'half a thought');
    assert.equal(alice.load('room:7'), 'for the room');
    assert.equal(bob.load('user:2'), '', 'drafts are per user');

    alice.save('user:2', '   ');
    assert.equal(alice.load('user:2'), '');
    assert.ok(!Object.keys(localStorage).includes('parley.draft.1.user:2'), 'an empty draft is removed');

    forgetAllDrafts();
    assert.deepEqual(Object.keys(localStorage), ['parley.token']);
    delete globalThis.localStorage;
  });
});
