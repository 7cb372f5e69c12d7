// How attachments read: sizes, the sidebar's line for a message without text, and why an
// upload or a send with files was refused.

import { asSentence } from '../sentence.js';

const UNITS = ['KB', 'MB', 'GB', 'TB'];

/** "512 B", "14 KB", "3.2 MB" (powers of 1024, as file managers show them). */
export function formatSize(bytes) {
  let value = Number(bytes) || 0;
  if (value < 1024) return `${value} B`;
  let unit = -1;
  do {
    value /= 1024;
    unit += 1;
  } while (value >= 1024 && unit < UNITS.length - 1);
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

/** Whether the server made a thumbnail: it did for JPEG, PNG, WebP and GIF. */
export function isImage(attachment) {
  return Boolean(attachment.thumbnail_url) && attachment.width > 0 && attachment.height > 0;
}

/**
 * The sidebar's preview of a message that has files and no text: "Photo", "3 photos",
 * "File: notes.txt", "2 files". Words, not emoji: not every system has an emoji font.
 */
export function attachmentSummary(attachments) {
  if (!attachments?.length) return '';
  const images = attachments.filter(isImage).length;
  if (images === attachments.length) return images === 1 ? 'Photo' : `${images} photos`;
  return attachments.length === 1 ? `File: ${attachments[0].name}` : `${attachments.length} files`;
}

/** Why an upload (an ApiError) failed, as a short sentence for its chip. */
export function attachmentErrorText(error) {
  switch (error?.code) {
    case 'attachment_too_large': return 'Too large to send.';
    case 'quota_exceeded': return 'Your storage is full. Delete some messages with files first.';
    case 'image_too_large': return 'The image has too many pixels.';
    case 'invalid_image': return 'Not a readable image.';
    case 'rate_limited': return 'Too many uploads at once. Try again in a moment.';
    case 'network_error': return 'Cannot reach the server. Try again.';
    default: return asSentence(error?.message || 'The upload failed.');
  }
}

/** Why the server refused a message with files (an error frame's code), or null for other codes. */
export function sendErrorText(code) {
  if (code === 'invalid_attachment') return 'A file of this message can no longer be sent. Attach it again.';
  return null;
}
