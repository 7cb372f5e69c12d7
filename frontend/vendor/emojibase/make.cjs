// Builds frontend/vendor/emojibase/emoji.json from emojibase-data's en/data.json, unpacked in ./package
// beside this file (see README.md).
const data = require('./package/en/data.json');
const NAMES = ['Smileys & emotion', 'People & body', null, 'Animals & nature', 'Food & drink', 'Travel & places', 'Activities', 'Objects', 'Symbols', 'Flags'];
const MAX_VERSION = 15.1;
const groups = NAMES.map((name) => (name ? { name, emoji: [] } : null));
for (const e of data.sort((a, b) => a.order - b.order)) {
  if (e.group === undefined || !groups[e.group] || Number(e.version) > MAX_VERSION) continue;
  const words = new Set(e.label.toLowerCase().split(/\s+/));
  const tags = (e.tags ?? []).filter((tag) => !words.has(tag)).join(' ');
  groups[e.group].emoji.push(tags ? [e.emoji, e.label, tags] : [e.emoji, e.label]);
}
process.stdout.write(JSON.stringify({ source: 'emojibase-data 17.0.0 (en), Unicode emoji up to 15.1', groups: groups.filter(Boolean) }));
