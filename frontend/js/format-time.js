// Short, local, human labels for message times.

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const weekdayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long' });
const dateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' });
const shortDateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

const DAY_MS = 24 * 60 * 60 * 1000;

function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

/** "14:05" (or "2:05 PM", as the locale prefers). */
export function formatTime(date) {
  return timeFormat.format(date);
}

/** For a tooltip: the whole date and time. */
export function formatFull(date) {
  return fullFormat.format(date);
}

/** A key that is equal for two dates on the same local day. */
export function dayKey(date) {
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

/** "Today", "Yesterday", a weekday within the last week, else the date. */
export function formatDay(date, now = new Date()) {
  const days = Math.round((startOfDay(now) - startOfDay(date)) / DAY_MS);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return weekdayFormat.format(date);
  return dateFormat.format(date);
}

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** "last seen just now", "… 5 minutes ago", "… today at 14:05", "… yesterday at 09:12", "… 3 March". */
export function formatLastSeen(date, now = new Date()) {
  const ago = now - date;
  if (ago < MINUTE_MS) return 'last seen just now';
  if (ago < HOUR_MS) return `last seen ${relativeFormat.format(-Math.floor(ago / MINUTE_MS), 'minute')}`;
  const day = formatDay(date, now);
  if (day === 'Today' || day === 'Yesterday') return `last seen ${day.toLowerCase()} at ${formatTime(date)}`;
  return `last seen ${day}`;
}

/** A conversation row's time: "14:05" today, else "Yesterday", a weekday or a short date. */
export function formatListTime(date, now = new Date()) {
  const day = formatDay(date, now);
  if (day === 'Today') return formatTime(date);
  if (day === 'Yesterday' || Math.round((startOfDay(now) - startOfDay(date)) / DAY_MS) < 7) return day;
  return shortDateFormat.format(date);
}
