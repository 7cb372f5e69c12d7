// The tab's icon with the unread count on it: Parley's icon (favicon.svg) with a red badge,
// as an SVG data: URL (the CSP allows data: images).

const ICON = '<rect width="48" height="48" rx="12" fill="#0f766e"/>'
  + '<rect x="8" y="9" width="22" height="17" rx="6" fill="#fff" opacity=".45"/>'
  + '<path d="M15 17h24v12a6 6 0 0 1-6 6h-6l-7 5v-5a6 6 0 0 1-5-6z" fill="#fff"/>';

export class FaviconBadge {
  #link;
  #original;
  #shown = 0;

  constructor() {
    this.#link = document.querySelector('link[rel="icon"]');
    this.#original = this.#link?.getAttribute('href') ?? null;
  }

  /** Shows `count` on the icon (0: the plain icon). */
  show(count) {
    if (!this.#link || count === this.#shown) return;
    this.#shown = count;
    this.#link.href = count > 0 ? badgedIcon(count > 99 ? '99+' : String(count)) : this.#original;
  }

  dispose() {
    this.show(0);
  }
}

function badgedIcon(text) {
  const width = text.length > 1 ? 16 + text.length * 7 : 26;
  const badge = `<rect x="${48 - width}" y="0" width="${width}" height="26" rx="13" fill="#dc2626" stroke="#fff" stroke-width="2"/>`
    + `<text x="${48 - width / 2}" y="19" text-anchor="middle" font-family="Arial, sans-serif" font-size="18" font-weight="700" fill="#fff">${text}</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48">${ICON}${badge}</svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}
