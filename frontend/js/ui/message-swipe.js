// Swipe a message to the right on a touch screen to reply to it, as in WhatsApp and Telegram:
// the bubble follows the finger (up to a limit) and a reply arrow appears past the threshold.

const THRESHOLD_PX = 64;
const MAX_PX = 96;

/** onSwipe(item) for a message (with a menu, so stored and not deleted) swiped far enough. */
export function watchSwipes(list, onSwipe) {
  let swipe = null;

  list.addEventListener('pointerdown', (event) => {
    if (event.pointerType !== 'touch') return;
    const item = event.target.closest('.message[data-menu="true"]');
    if (item) swipe = { item, x: event.clientX, y: event.clientY, dx: 0, horizontal: null };
  });
  list.addEventListener('pointermove', (event) => {
    if (!swipe) return;
    const dx = event.clientX - swipe.x;
    const dy = event.clientY - swipe.y;
    // Decided on the first clear movement: a vertical one is a scroll, left alone.
    if (swipe.horizontal === null && Math.hypot(dx, dy) > 8) swipe.horizontal = Math.abs(dx) > Math.abs(dy) * 1.5;
    if (!swipe.horizontal) return;
    swipe.dx = Math.max(0, Math.min(MAX_PX, dx));
    swipe.item.style.transform = `translateX(${swipe.dx}px)`;
    swipe.item.dataset.swipe = swipe.dx >= THRESHOLD_PX ? 'ready' : 'moving';
  });
  const end = () => {
    if (!swipe) return;
    const { item, dx } = swipe;
    swipe = null;
    item.style.transform = '';
    delete item.dataset.swipe;
    if (dx >= THRESHOLD_PX) onSwipe(item);
  };
  list.addEventListener('pointerup', end);
  list.addEventListener('pointercancel', end);
}
