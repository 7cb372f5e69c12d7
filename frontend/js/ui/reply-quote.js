// The original a reply answers, quoted at the top of its bubble: who wrote it and how it starts
// now (or "Photo"/"File" for files alone, "Message deleted"). A click jumps to the original.

import { element } from './element.js';
import { hueFor } from './avatar.js';

/** `reply`: {id, senderId, preview, deleted, attachments}; `original`: the message if loaded. */
export function replyQuote(reply, nameOf, original = null) {
  const name = nameOf(reply.senderId) ?? 'Someone';
  const sender = element('span', { className: 'reply-quote-sender', text: name });
  sender.style.setProperty('--sender-hue', String(hueFor(name)));
  return element('button', {
    className: 'reply-quote',
    attrs: { type: 'button', tabindex: '-1', title: 'Show the original message' },
    dataset: { replyTo: String(reply.id), deleted: String(reply.deleted) },
  }, [sender, element('span', { className: 'reply-quote-text', text: quoteText(reply, original) })]);
}

/** What a quote says of the original (also used by the reply bar above the composer). */
export function quoteText({ preview, deleted, attachments }, original = null) {
  if (deleted) return 'Message deleted';
  if (preview) return preview;
  // The original's files tell a photo from a file once it is loaded.
  const photos = original?.attachments?.length > 0
    && original.attachments.every((file) => file.content_type?.startsWith('image/'));
  const noun = photos ? 'Photo' : 'File';
  if (attachments > 1) return `${attachments} ${noun.toLowerCase()}s`;
  return attachments === 1 ? noun : '';
}
