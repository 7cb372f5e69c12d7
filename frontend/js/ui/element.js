// Builds DOM nodes. Text always goes in through textContent, so user data is never parsed as HTML.

/**
 * element('span', { className: 'name', text: user.username, attrs: { title: '…' } }, [children])
 */
export function element(tag, { className, text, attrs, dataset } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (attrs) for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (dataset) Object.assign(node.dataset, dataset);
  for (const child of children) if (child) node.append(child);
  return node;
}

/** A fresh copy of a <template>'s first element. */
export function fromTemplate(id) {
  const template = document.getElementById(id);
  return template.content.firstElementChild.cloneNode(true);
}
