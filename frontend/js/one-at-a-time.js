// A task that runs one at a time: asked for again while it runs, it runs once more after it (so
// the answer covers everything that happened before the ask), never twice in parallel.

/** @param {() => Promise<void>} task  @returns {() => Promise<void>} resolves when no run is due */
export function oneAtATime(task) {
  let running = null;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await task();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}
