// A round avatar with the user's (or room's) initial on a colour picked from their name; the
// same colour names a sender in a room.

const HUES = [174, 200, 222, 262, 290, 330, 8, 28, 45, 140];

export function hueFor(name) {
  let hash = 0;
  for (const char of name.toLowerCase()) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return HUES[hash % HUES.length];
}

export function paintAvatar(node, name) {
  const initial = [...name.replace(/[^\p{L}\p{N}]/gu, '')][0] ?? name[0] ?? '?';
  node.textContent = initial.toUpperCase();
  node.style.setProperty('--avatar-hue', String(hueFor(name)));
}
