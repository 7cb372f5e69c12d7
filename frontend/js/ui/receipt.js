// The state of one of my messages as a small icon: a clock while it waits for the server,
// ✓ stored, ✓✓ delivered to a device of the peer, blue ✓✓ read, ! refused.

const PATHS = {
  pending: 'M12 7v5l3 2M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z',
  sent: 'M5 12.5l4.5 4.5L19 7.5',
  delivered: 'M2.5 12.5 7 17l9.5-9.5M11.5 15.5 13 17l9.5-9.5',
  read: 'M2.5 12.5 7 17l9.5-9.5M11.5 15.5 13 17l9.5-9.5',
  failed: 'M12 8v5M12 16.5v.5M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z',
};

const LABELS = {
  queued: 'Waiting for connection',
  pending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not sent',
};

/** 'pending' | 'sent' | 'delivered' | 'read' | 'failed' for one of my messages. */
export function receiptOf(message) {
  if (message.status === 'failed') return 'failed';
  if (message.id === null) return 'pending';
  if (message.read) return 'read';
  if (message.delivered) return 'delivered';
  return 'sent';
}

export function receiptIcon(receipt, { queued = false } = {}) {
  const label = queued ? LABELS.queued : LABELS[receipt];
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `receipt receipt-${receipt}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
  title.textContent = label;
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', PATHS[receipt]);
  svg.append(title, path);
  return svg;
}
