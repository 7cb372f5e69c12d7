// The web app's unread and mention counts and mutes, in Node: the server's snapshot plus the
// messages since (each counted once), mentions cleared with the reads, a mute that has passed
// no longer muting, and the total leaving out what a filter rejects (muted chats).
//
//   node --test e2e/unread-model.test.mjs

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

// Loaded from their source, as in render-scheduler.test.mjs (the modules import nothing).
async function load(file) {
  const source = await readFile(new URL(`../frontend/js/${file}`, import.meta.url), 'utf8');
  return import(`data:text/javascript,${encodeURIComponent(source)}`);
}
const { UnreadCounts } = await load('unread.js');
const { Mutes } = await load('mutes.js');

describe('unread counts', () => {
  it('counts mentions with the unread messages, once each, and clears them with the read marker', () => {
    const unread = new UnreadCounts();
    unread.setFromServer('room:1', 3, 10, 1);
    assert.equal(unread.count('room:1'), 3);
    assert.equal(unread.mentionCount('room:1'), 1);
    assert.equal(unread.add('room:1', 9, { mentionsMe: true }), false, 'already in the snapshot');
    assert.equal(unread.add('room:1', 11, { mentionsMe: true }), true);
    assert.equal(unread.add('room:1', 11, { mentionsMe: true }), false, 'a replay counts once');
    unread.add('room:1', 12);
    assert.equal(unread.count('room:1'), 5);
    assert.equal(unread.mentionCount('room:1'), 2);
    unread.markRead('room:1', 11);
    assert.equal(unread.count('room:1'), 1);
    assert.equal(unread.mentionCount('room:1'), 0);
  });

  it('totals over the chats a filter accepts', () => {
    const unread = new UnreadCounts();
    unread.setFromServer('user:1', 2, 5);
    unread.setFromServer('user:2', 4, 6);
    assert.equal(unread.total(), 6);
    assert.equal(unread.total((key) => key !== 'user:2'), 2);
  });
});

describe('mutes', () => {
  it('mutes until a time, and no longer once it has passed', () => {
    const mutes = new Mutes();
    const now = Date.parse('2026-01-01T12:00:00Z');
    mutes.set('user:1', '2026-01-01T13:00:00Z');
    mutes.set('room:2', '9999-12-31T23:59:59Z');
    assert.equal(mutes.until('user:1', now)?.toISOString(), '2026-01-01T13:00:00.000Z');
    assert.equal(mutes.until('user:1', now + 2 * 3_600_000), null);
    assert.ok(mutes.isMuted('room:2'));
    mutes.set('room:2', null);
    assert.equal(mutes.isMuted('room:2'), false);
    assert.equal(mutes.until('user:3', now), null);
  });
});
