// Fills a node with a message's text, turning http(s) URLs into links and the @mentions the
// server resolved into highlighted names. Only text nodes, <a> elements with an http(s) href and
// <span class="mention"> are created: the message is never parsed as HTML.

import { mentionTokens } from '../mentions.js';

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}'"]+$/;

/**
 * `mentions`: { names: Set of lower-case usernames the message mentions, mine: my lower-case
 * username } — a mention of me is marked more strongly.
 */
export function fillMessageText(node, content, mentions = null) {
  let last = 0;
  for (const match of content.matchAll(URL_PATTERN)) {
    const url = match[0].replace(TRAILING_PUNCTUATION, '');
    const start = match.index;
    if (start > last) appendText(node, content.slice(last, start), mentions);
    const link = document.createElement('a');
    link.href = url;
    link.textContent = url;
    link.target = '_blank';
    link.rel = 'noopener noreferrer nofollow';
    node.append(link);
    last = start + url.length;
  }
  if (last < content.length) appendText(node, content.slice(last), mentions);
}

function appendText(node, text, mentions) {
  if (!mentions || mentions.names.size === 0) {
    node.append(document.createTextNode(text));
    return;
  }
  let last = 0;
  for (const { start, name } of mentionTokens(text)) {
    if (!mentions.names.has(name.toLowerCase())) continue;
    if (start > last) node.append(document.createTextNode(text.slice(last, start)));
    const span = document.createElement('span');
    span.className = name.toLowerCase() === mentions.mine ? 'mention mention-me' : 'mention';
    span.textContent = `@${name}`;
    node.append(span);
    last = start + name.length + 1;
  }
  if (last < text.length) node.append(document.createTextNode(text.slice(last)));
}
