// Web Push for this browser: registers the service worker (frontend/sw.js) and this
// browser's push subscription with the server, or takes both back (at logout). Errors
// are logged and never thrown: notifications are optional and must not break the app.

/** @param {typeof import('./api.js')} api */
export async function enablePush(api) {
  try {
    if (!('serviceWorker' in navigator) || !('PushManager' in window)) return false;
    const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    const { public_key: key } = await api.fetchPushKey();
    const subscription = await registration.pushManager.getSubscription()
      ?? await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: fromBase64Url(key),
      });
    await api.savePushSubscription(subscription.toJSON());
    return true;
  } catch (error) {
    console.warn('Push notifications could not be turned on', error);
    return false;
  }
}

/** @param {typeof import('./api.js')} api */
export async function disablePush(api) {
  try {
    if (!('serviceWorker' in navigator)) return;
    const registration = await navigator.serviceWorker.getRegistration('/');
    const subscription = await registration?.pushManager.getSubscription();
    if (!subscription) return;
    await api.deletePushSubscription(subscription.endpoint).catch(() => {});
    await subscription.unsubscribe();
  } catch (error) {
    console.warn('Push notifications could not be turned off', error);
  }
}

function fromBase64Url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}
