// The sidebar's search field: reports the trimmed query once typing pauses. Returns
// { clear() (empties it and reports '' at once, e.g. when a result was opened), stop() }.

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
  const clear = () => {
    input.value = '';
    clearTimeout(timer);
    report();
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && input.value) clear();
  });
  return { clear, stop: () => clearTimeout(timer) };
}
