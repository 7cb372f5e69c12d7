#!/usr/bin/env node
// Renders the field tables of docs/protocol.md from Parley's AsyncAPI document
// (/asyncapi.json): each `<!-- frame: server.ack -->` … `<!-- /frame -->` pair
// gets the table of that message's payload, so the tables say what the server's
// frame types say. Every documented message must have its pair.
//
//   node scripts/asyncapi-markdown.mjs [SOURCE] [MARKDOWN] [OUT]
//
// SOURCE is a URL or a saved file (default http://127.0.0.1:8080/asyncapi.json);
// MARKDOWN defaults to docs/protocol.md and OUT to MARKDOWN. The output depends
// only on the document, so rerunning it against an unchanged server changes nothing.

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDocument } from './read-document.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SOURCE = 'http://127.0.0.1:8080/asyncapi.json';
const DEFAULT_MARKDOWN = path.join(REPO, 'docs', 'protocol.md');
const FRAME = /<!-- frame: ([\w.]+) -->[\s\S]*?<!-- \/frame -->/g;

/** Follows a local `$ref` (`#/components/...`, JSON Pointer escapes included). */
function resolve(document, ref) {
  return ref.slice(2).split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((node, part) => node?.[part], document);
}

/** A schema as a short type: `integer`, `string (date-time) or null`, `"added" or "removed"`. */
function typeOf(document, schema) {
  if (schema.$ref) return typeOf(document, resolve(document, schema.$ref));
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants) {
    // `null` last: "integer or null".
    const types = variants.map((variant) => typeOf(document, variant));
    return [...types.filter((t) => t !== 'null'), ...types.filter((t) => t === 'null')].join(' or ');
  }
  if (schema.enum) return schema.enum.map((value) => `\`${JSON.stringify(value)}\``).join(' or ');
  const types = [schema.type].flat().filter(Boolean);
  return types.map((type) => {
    if (type === 'array') return `array of ${schema.items ? typeOf(document, schema.items) : 'any'}`;
    return type === 'string' && schema.format ? `string (${schema.format})` : type;
  }).join(' or ') || 'any';
}

const cell = (text) => String(text ?? '').replaceAll('\n', ' ').replaceAll('|', '\\|');

/** The field table of one message: `type` first, then the rest by name. */
export function table(document, name) {
  const payload = document.components.messages[name].payload;
  const required = new Set(payload.required ?? []);
  const client = name.startsWith('client.');
  const fields = Object.entries(payload.properties ?? {})
    .sort(([a], [b]) => (a === 'type' ? -1 : b === 'type' ? 1 : a.localeCompare(b)));
  const rows = fields.map(([field, schema]) => {
    const presence = client ? (required.has(field) ? 'yes' : 'no') : (required.has(field) ? 'always' : 'when set');
    return `| \`${field}\` | ${cell(typeOf(document, schema))} | ${presence} | ${cell(schema.description)} |`;
  });
  return [
    `| Field | Type | ${client ? 'Required' : 'Present'} | Meaning |`,
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** `markdown` with every frame table rendered from `document`. */
export function render(document, markdown) {
  const names = new Set(Object.keys(document.components.messages));
  const rendered = markdown.replace(FRAME, (_, name) => {
    if (!names.delete(name)) throw new Error(`<!-- frame: ${name} --> names no message of the document (or a second time)`);
    return `<!-- frame: ${name} -->\n${table(document, name)}\n<!-- /frame -->`;
  });
  if (names.size > 0) throw new Error(`no <!-- frame: … --> table for ${[...names].join(', ')}`);
  return rendered;
}

async function main() {
  const [source = DEFAULT_SOURCE, markdown = DEFAULT_MARKDOWN, out = markdown] = process.argv.slice(2);
  const document = await readDocument(source);
  await writeFile(out, render(document, await readFile(markdown, 'utf8')));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
