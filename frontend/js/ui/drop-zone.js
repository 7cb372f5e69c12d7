// Files dragged over the open chat: the pane shows where they will go, and a drop attaches them.
// Dragged text or links are left to the browser.

/** `onFiles(files)` → false when the chat cannot take files now (then nothing is shown). */
export function watchDrops(node, { canTake, onFiles }) {
  // dragenter and dragleave fire for every child crossed: count them to know when it left.
  let depth = 0;
  const carriesFiles = (event) => event.dataTransfer?.types.includes('Files');
  const stop = () => {
    depth = 0;
    delete node.dataset.dropping;
  };

  node.addEventListener('dragenter', (event) => {
    if (!carriesFiles(event) || !canTake()) return;
    event.preventDefault();
    depth += 1;
    node.dataset.dropping = 'true';
  });
  node.addEventListener('dragover', (event) => {
    if (!carriesFiles(event) || !canTake()) return;
    // Without this the browser would open the file in place of the app.
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  node.addEventListener('dragleave', () => {
    depth -= 1;
    if (depth <= 0) stop();
  });
  node.addEventListener('drop', (event) => {
    stop();
    if (!carriesFiles(event)) return;
    event.preventDefault();
    onFiles(event.dataTransfer.files);
  });
}

/** A file dropped anywhere else must not replace the app with the file (the browser's default). */
export function ignoreStrayDrops(target = window) {
  for (const type of ['dragover', 'drop']) {
    target.addEventListener(type, (event) => {
      if (event.defaultPrevented || !event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'none';
    });
  }
}
