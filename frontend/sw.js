// Parley's service worker: shows a Web Push notification (the server's payload,
// docs/protocol.md#web-push: {title, body, chat, count}) and, on a click, brings a tab
// of the app forward and tells it which chat to open, or opens one at that chat. The tag
// is the page's own (`parley:<chat>`), so a push and the page's notification for the
// same chat are one, and the newest replaces the older.

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const chat = /^(user|room):\d+$/.test(data.chat ?? '') ? data.chat : null;
  const title = typeof data.title === 'string' && data.title ? data.title : 'Parley';
  event.waitUntil(self.registration.showNotification(title, {
    body: typeof data.body === 'string' ? data.body : '',
    tag: chat ? `parley:${chat}` : 'parley',
    data: { key: chat },
    icon: '/favicon.svg',
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const key = event.notification.data?.key ?? null;
  event.waitUntil((async () => {
    const tabs = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const tab = tabs.find((client) => new URL(client.url).origin === self.location.origin);
    if (tab) {
      await tab.focus();
      if (key) tab.postMessage({ type: 'open-chat', key });
      return;
    }
    const url = new URL('/', self.location.origin);
    if (key) url.searchParams.set('chat', key);
    await self.clients.openWindow(url.href);
  })());
});
