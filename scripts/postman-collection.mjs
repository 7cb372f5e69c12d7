#!/usr/bin/env node
// Writes a Postman collection (v2.1) from Parley's OpenAPI document: one request
// per operation, a folder per tag, `{{baseUrl}}` and a collection-wide bearer
// token `{{token}}` that the `POST /login` request stores.
//
//   node scripts/postman-collection.mjs [SOURCE] [OUT]
//
// SOURCE is a URL or a saved file (default http://127.0.0.1:8080/openapi.json);
// OUT defaults to docs/parley.postman_collection.json. The output depends only on
// the document, so regenerating it from an unchanged server changes nothing.

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDocument } from './read-document.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SOURCE = 'http://127.0.0.1:8080/openapi.json';
const DEFAULT_OUT = path.join(REPO, 'docs', 'parley.postman_collection.json');
const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
// Postman collections cannot hold a WebSocket request; docs/protocol.md covers /ws.
const SKIPPED_PATHS = new Set(['/ws']);
const LOGIN_OPERATION = 'login';
// Signing up and in come first in their folder, the order a person runs them in.
const FIRST = ['register', LOGIN_OPERATION];
const rank = (item) => {
  const index = FIRST.indexOf(item.operationId);
  return index === -1 ? FIRST.length : index;
};

/** Follows a local `$ref` (`#/components/...`). */
function resolve(document, node) {
  let current = node;
  while (current && current.$ref) {
    current = current.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((parent, key) => parent?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], document);
  }
  return current;
}

/** The example a media type or its schema gives, if any. */
function exampleOf(document, media) {
  if (!media) return undefined;
  if (media.example !== undefined) return media.example;
  const first = Object.values(media.examples ?? {})[0];
  if (first) return resolve(document, first).value;
  const schema = resolve(document, media.schema);
  if (schema?.example !== undefined) return schema.example;
  return schema?.examples?.[0];
}

function parameterValue(document, parameter) {
  const schema = resolve(document, parameter.schema) ?? {};
  const value = parameter.example ?? schema.example ?? schema.examples?.[0];
  if (value !== undefined) return String(value);
  if (parameter.in === 'path') return schema.type === 'integer' ? '1' : '';
  return '';
}

function describe(operation) {
  return [operation.summary, operation.description].filter(Boolean).join('\n\n');
}

const usesBearer = (operation) =>
  (operation.security ?? []).some((requirement) => 'bearer' in requirement);

function statusTest(operation) {
  const codes = Object.keys(operation.responses ?? {}).map(Number).filter(Number.isInteger);
  return [
    `pm.test('status is one the API documents', () => {`,
    `  pm.expect(pm.response.code).to.be.oneOf(${JSON.stringify(codes)});`,
    `});`,
  ];
}

function loginTest() {
  return [
    `if (pm.response.code === 200) {`,
    `  pm.collectionVariables.set('token', pm.response.json().access_token);`,
    `}`,
  ];
}

function request(document, route, method, operation) {
  const parameters = (operation.parameters ?? []).map((p) => resolve(document, p));
  const pathParameters = parameters.filter((p) => p.in === 'path');
  const queryParameters = parameters.filter((p) => p.in === 'query');
  const segments = route.replace(/^\//, '').split('/').map((s) => s.replace(/^\{(.+)\}$/, ':$1'));
  const query = queryParameters.map((p) => ({
    key: p.name,
    value: parameterValue(document, p),
    description: p.description ?? '',
    disabled: true,
  }));
  const url = {
    raw: `{{baseUrl}}/${segments.join('/')}`,
    host: ['{{baseUrl}}'],
    path: segments,
  };
  if (query.length) url.query = query;
  if (pathParameters.length) {
    url.variable = pathParameters.map((p) => ({
      key: p.name,
      value: parameterValue(document, p),
      description: p.description ?? '',
    }));
  }

  const item = {
    name: `${method.toUpperCase()} ${route}`,
    request: { method: method.toUpperCase(), header: [], url, description: describe(operation) },
  };
  if (!usesBearer(operation)) item.request.auth = { type: 'noauth' };

  const json = resolve(document, operation.requestBody)?.content?.['application/json'];
  if (json) {
    const example = exampleOf(document, json);
    item.request.header.push({ key: 'Content-Type', value: 'application/json' });
    item.request.body = {
      mode: 'raw',
      raw: example === undefined ? '{}' : JSON.stringify(example, null, 2),
      options: { raw: { language: 'json' } },
    };
  }
  // An upload: Postman's form-data, one file field per binary property (pick the
  // file in Postman; it sets the multipart Content-Type itself).
  const form = resolve(document, operation.requestBody)?.content?.['multipart/form-data'];
  if (form) {
    const schema = resolve(document, form.schema) ?? form.schema;
    item.request.body = {
      mode: 'formdata',
      formdata: Object.entries(schema?.properties ?? {}).map(([key, property]) => ({
        key,
        type: property.format === 'binary' || property.contentMediaType ? 'file' : 'text',
        src: [],
        description: property.description ?? '',
      })),
    };
  }

  const exec = [...statusTest(operation), ...(operation.operationId === LOGIN_OPERATION ? loginTest() : [])];
  item.event = [{ listen: 'test', script: { type: 'text/javascript', exec } }];

  // The documented success examples, as saved responses.
  item.response = Object.entries(operation.responses ?? {})
    .filter(([code]) => /^2\d\d$/.test(code))
    .flatMap(([code, response]) => {
      const resolved = resolve(document, response);
      const example = exampleOf(document, resolved?.content?.['application/json']);
      if (example === undefined) return [];
      return [{
        name: resolved.description ?? code,
        originalRequest: { method: item.request.method, header: item.request.header, url, body: item.request.body },
        status: resolved.description ?? '',
        code: Number(code),
        _postman_previewlanguage: 'json',
        header: [{ key: 'Content-Type', value: 'application/json' }],
        body: JSON.stringify(example, null, 2),
      }];
    });
  return item;
}

export function collectionFrom(document) {
  const folders = new Map((document.tags ?? []).map((tag) => [tag.name, { name: tag.name, description: tag.description ?? '', item: [] }]));
  let login = false;
  for (const [route, operations] of Object.entries(document.paths ?? {})) {
    if (SKIPPED_PATHS.has(route)) continue;
    for (const method of METHODS) {
      const operation = operations[method];
      if (!operation) continue;
      login ||= operation.operationId === LOGIN_OPERATION;
      const tag = operation.tags?.[0] ?? 'other';
      if (!folders.has(tag)) folders.set(tag, { name: tag, description: '', item: [] });
      folders.get(tag).item.push({ operationId: operation.operationId, ...request(document, route, method, operation) });
    }
  }
  if (!login) throw new Error(`the document has no \`${LOGIN_OPERATION}\` operation to store the token`);

  return {
    info: {
      name: document.info?.title ?? 'API',
      description: [
        document.info?.description ?? '',
        'Run `POST /login` first: its test script stores the `access_token` in the ' +
          'collection variable `token`, which every other request sends as a bearer token. ' +
          'Set `baseUrl` to your server. Generated from `/openapi.json` by ' +
          '`scripts/postman-collection.mjs`; do not edit by hand.',
      ].filter(Boolean).join('\n\n'),
      version: document.info?.version ?? '',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{token}}', type: 'string' }] },
    variable: [
      { key: 'baseUrl', value: DEFAULT_BASE_URL, type: 'string' },
      { key: 'token', value: '', type: 'string' },
    ],
    item: [...folders.values()]
      .filter((folder) => folder.item.length)
      .map((folder) => ({
        ...folder,
        // A stable sort: the rest keep the document's order.
        item: folder.item.sort((a, b) => rank(a) - rank(b)).map(({ operationId, ...item }) => item),
      })),
  };
}

async function main([source = DEFAULT_SOURCE, out = DEFAULT_OUT]) {
  const collection = collectionFrom(await readDocument(source));
  await writeFile(out, `${JSON.stringify(collection, null, 2)}\n`);
  const requests = collection.item.reduce((count, folder) => count + folder.item.length, 0);
  console.log(`${requests} requests in ${collection.item.length} folders: ${out}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
