// The people search field: reports the trimmed query once typing pauses.

const DEBOUNCE_MS = 200;

export function watchSearch(input, onQuery) {
  let timer = null;
  let last = '';
  const report = () => {
    const query = input.value.trim();
    if (query === last) return;
    last = query;
    onQuery(query);
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(report, DEBOUNCE_MS);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && input.value) {
      input.value = '';
      clearTimeout(timer);
      report();
    }
  });
  return () => clearTimeout(timer);
}
