// The web app's reaction summaries, in Node (no DOM): `reaction` frames applied to a message's
// [{emoji, count, userIds}] — first use appends, a repeat (a replay of what the history already
// had) changes nothing, the count stays exact past the capped user list.
//
//   node --test e2e/reactions-model.test.mjs

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

// Loaded from its source, as in render-scheduler.test.mjs (the module imports nothing).
const source = await readFile(new URL('../frontend/js/reactions.js', import.meta.url), 'utf8');
const { applyReactionChange, hasReacted, reactionsOf } = await import(`data:text/javascript,${encodeURIComponent(source)}`);

const frame = (userId, emoji, on) => ({ user_id: userId, emoji, on });

describe('reaction summaries', () => {
  it('adds in order of first use and removes emptied emoji', () => {
    const reactions = [];
    assert.ok(applyReactionChange(reactions, frame(1, '👍', true)));
    assert.ok(applyReactionChange(reactions, frame(2, '❤️', true)));
    assert.ok(applyReactionChange(reactions, frame(2, '👍', true)));
    assert.deepEqual(reactions, [
      { emoji: '👍', count: 2, userIds: [1, 2] },
      { emoji: '❤️', count: 1, userIds: [2] },
    ]);
    assert.ok(applyReactionChange(reactions, frame(2, '❤️', false)));
    assert.deepEqual(reactions.map((reaction) => reaction.emoji), ['👍']);
    assert.ok(hasReacted(reactions, '👍', 1));
    assert.ok(!hasReacted(reactions, '❤️', 2));
  });

  it('ignores a repeated frame', () => {
    const reactions = reactionsOf([{ emoji: '👍', count: 1, user_ids: [1] }]);
    assert.ok(!applyReactionChange(reactions, frame(1, '👍', true)));
    assert.ok(!applyReactionChange(reactions, frame(3, '😮', false)));
    assert.deepEqual(reactions, [{ emoji: '👍', count: 1, userIds: [1] }]);
  });

  it('keeps the count exact beyond the capped list of users', () => {
    const userIds = Array.from({ length: 50 }, (_, index) => index + 1);
    const reactions = reactionsOf([{ emoji: '👍', count: 60, user_ids: userIds }]);
    assert.ok(applyReactionChange(reactions, frame(99, '👍', true)));
    assert.equal(reactions[0].count, 61);
    assert.equal(reactions[0].userIds.length, 50);
    // Someone not listed takes theirs back: the count still drops.
    assert.ok(applyReactionChange(reactions, frame(98, '👍', false)));
    assert.equal(reactions[0].count, 60);
  });
});
