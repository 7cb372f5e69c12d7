// Reads a JSON document the server serves (`http(s)://…`) or a saved copy of it.

import { readFile } from 'node:fs/promises';

export async function readDocument(source) {
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source);
    if (!response.ok) throw new Error(`GET ${source}: ${response.status}`);
    return response.json();
  }
  return JSON.parse(await readFile(source, 'utf8'));
}
