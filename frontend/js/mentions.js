// @mentions as the server reads them: `@` at the start or after a non-word character, then a
// username's characters, a trailing `.` dropped. The server resolves them when it stores a room
// message; my own message is resolved here too, since its ack does not carry them.

const MENTION_PATTERN = /(^|[^\w])@([A-Za-z0-9_.-]+)/g;

/** Each `@name` token of `text`: { start (of the `@`), name }. */
export function* mentionTokens(text) {
  for (const match of text.matchAll(MENTION_PATTERN)) {
    yield { start: match.index + match[1].length, name: match[2].replace(/\.$/, '') };
  }
}

/** The ids of `members` ([{ id, username }]) that `text` mentions. */
export function mentionedIds(text, members) {
  const byName = new Map(members.map((member) => [member.username.toLowerCase(), member.id]));
  const ids = [];
  for (const { name } of mentionTokens(text)) {
    const id = byName.get(name.toLowerCase());
    if (id !== undefined && !ids.includes(id)) ids.push(id);
  }
  return ids;
}
