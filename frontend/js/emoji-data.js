// The emoji the picker offers: emojibase-data's English set, vendored in
// frontend/vendor/emojibase (see make.cjs there), fetched once on first use.

const DATA_URL = 'vendor/emojibase/emoji.json';
const SEARCH_LIMIT = 120;

let loading = null;

/** [{ name, emoji: [{ emoji, label, words }] }], fetched once. */
export function loadEmojiGroups() {
  loading ??= fetch(DATA_URL)
    .then((response) => {
      if (!response.ok) throw new Error(`emoji data: HTTP ${response.status}`);
      return response.json();
    })
    .then(({ groups }) => groups.map(({ name, emoji }) => ({
      name,
      emoji: emoji.map(([char, label, tags = '']) => ({ emoji: char, label, words: `${label} ${tags}`.toLowerCase() })),
    })))
    .catch((error) => {
      loading = null;
      throw error;
    });
  return loading;
}

/** The emoji whose name or keywords contain every word of `query`, best (name starts with it) first. */
export function searchEmoji(groups, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const found = [];
  for (const group of groups) {
    for (const entry of group.emoji) {
      if (words.every((word) => entry.words.includes(word))) found.push(entry);
    }
  }
  const first = words[0] ?? '';
  found.sort((a, b) => Number(!a.label.toLowerCase().startsWith(first)) - Number(!b.label.toLowerCase().startsWith(first)));
  return found.slice(0, SEARCH_LIMIT);
}
