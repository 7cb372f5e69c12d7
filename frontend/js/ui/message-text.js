// Fills a node with a message's text, turning http(s) URLs into links. Only text nodes and
// <a> elements with an http(s) href are created: the message is never parsed as HTML.

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}'"]+$/;

export function fillMessageText(node, content) {
  let last = 0;
  for (const match of content.matchAll(URL_PATTERN)) {
    const url = match[0].replace(TRAILING_PUNCTUATION, '');
    const start = match.index;
    if (start > last) node.append(document.createTextNode(content.slice(last, start)));
    const link = document.createElement('a');
    link.href = url;
    link.textContent = url;
    link.target = '_blank';
    link.rel = 'noopener noreferrer nofollow';
    node.append(link);
    last = start + url.length;
  }
  if (last < content.length) node.append(document.createTextNode(content.slice(last)));
}
