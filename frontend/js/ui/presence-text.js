// How a person's presence reads: "Online", "last seen 5 minutes ago", or "Offline" when the
// server has never seen them (or does not say).

import { formatLastSeen } from '../format-time.js';

export function presenceText(user) {
  if (user.online) return 'Online';
  if (user.last_seen) return formatLastSeen(new Date(user.last_seen));
  return 'Offline';
}
