// A message's reactions as the server summarises them: [{emoji, count, userIds}] in the order
// each emoji was first used, userIds capped (earliest first) while count stays exact.

const USER_IDS_CAP = 50;

/** The server's `reactions` array, in this model's names. */
export function reactionsOf(raw) {
  return raw.map(({ emoji, count, user_ids: userIds }) => ({ emoji, count, userIds: [...(userIds ?? [])] }));
}

/**
 * Applies a `reaction` frame ({user_id, emoji, on}) to `reactions` in place; true if it changed.
 * The server sends a frame only for a real change, but a replay may repeat one the history
 * already had: a user already listed is not counted twice, nor one not listed removed twice.
 */
export function applyReactionChange(reactions, { user_id: userId, emoji, on }) {
  const index = reactions.findIndex((reaction) => reaction.emoji === emoji);
  const reaction = reactions[index];
  if (on) {
    if (!reaction) {
      reactions.push({ emoji, count: 1, userIds: [userId] });
      return true;
    }
    if (reaction.userIds.includes(userId)) return false;
    reaction.count += 1;
    if (reaction.userIds.length < USER_IDS_CAP) reaction.userIds.push(userId);
    return true;
  }
  if (!reaction) return false;
  const listed = reaction.userIds.indexOf(userId);
  if (listed === -1 && reaction.userIds.length === reaction.count) return false;
  if (listed !== -1) reaction.userIds.splice(listed, 1);
  reaction.count -= 1;
  if (reaction.count <= 0) reactions.splice(index, 1);
  return true;
}

/** Whether `userId` has reacted with `emoji` (as far as the capped list tells). */
export function hasReacted(reactions, emoji, userId) {
  return reactions.some((reaction) => reaction.emoji === emoji && reaction.userIds.includes(userId));
}
