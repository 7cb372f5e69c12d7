// How room things read: member events, who is typing, the header line.

/**
 * "Bob joined", "You were removed", "You created this group"… `name` is null for me; `noun`
 * names the room for 'created' ('group' or 'room').
 */
export function memberEventText(action, name, noun = 'room') {
  const you = name === null;
  const who = you ? 'You' : name;
  switch (action) {
    case 'created': return `${who} created this ${noun}`;
    case 'joined': return `${who} joined`;
    case 'left': return `${who} left`;
    case 'added': return you ? 'You were added' : `${who} was added`;
    case 'removed': return you ? 'You were removed' : `${who} was removed`;
    default: return `${who} ${action}`;
  }
}

/** "Bob is typing…", "Bob and Carol are typing…", "3 people are typing…". */
export function typingText(names) {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

/** "Public room · 3 members". */
export function roomSummary(room) {
  const kind = room.kind === 'private' ? 'Private group' : 'Public room';
  const count = Number(room.member_count) || 0;
  return `${kind} · ${count} ${count === 1 ? 'member' : 'members'}`;
}
