// Small line icons drawn from SVG paths (24×24), styled by CSS through their class.

export function svgIcon(className, paths) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', className);
  svg.setAttribute('aria-hidden', 'true');
  for (const d of paths) {
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

/** A page with a folded corner. */
export function fileIcon() {
  return svgIcon('file-icon', ['M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z', 'M14 3v5h5']);
}

export function downloadIcon() {
  return svgIcon('download-icon', ['M12 4v11M7 10l5 5 5-5M5 20h14']);
}
