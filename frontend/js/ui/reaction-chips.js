// The reactions under a bubble: one chip per emoji with its count, mine highlighted, and who
// reacted in its tooltip. A click on a chip toggles my reaction (see MessageList).

import { element } from './element.js';

const NAMES_IN_TITLE = 10;

/** ctx: { myId, nameOf(userId) → name|null ('You' for me) }. */
export function reactionChips(reactions, { myId, nameOf }) {
  return element('div', { className: 'reactions' }, reactions.map((reaction) => {
    const mine = reaction.userIds.includes(myId);
    const who = whoReacted(reaction, nameOf);
    return element('button', {
      className: `reaction-chip${mine ? ' reaction-mine' : ''}`,
      attrs: {
        type: 'button',
        tabindex: '-1',
        title: who,
        'aria-pressed': String(mine),
        'aria-label': `${reaction.emoji} ${reaction.count}: ${who}`,
      },
      dataset: { emoji: reaction.emoji },
    }, [
      element('span', { className: 'reaction-emoji', text: reaction.emoji }),
      element('span', { className: 'reaction-count', text: String(reaction.count) }),
    ]);
  }));
}

/** "You, Alice and 3 others". */
function whoReacted({ userIds, count }, nameOf) {
  const names = userIds.slice(0, NAMES_IN_TITLE).map((id) => nameOf(id) ?? 'Someone');
  const others = count - names.length;
  if (others > 0) names.push(`${others} other${others === 1 ? '' : 's'}`);
  if (names.length === 1) return names[0];
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
