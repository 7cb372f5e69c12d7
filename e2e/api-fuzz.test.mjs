// The served OpenAPI document against the official OpenAPI 3.1 schema
// (openapi-spec-validator), then schemathesis generating requests from it against
// throwaway servers, on SQLite and on PostgreSQL, signed in: no request may get a
// 5xx, and every response must have a documented status, content type, headers
// and body schema.
//
//   python3 -m venv e2e/.venv && e2e/.venv/bin/pip install -r e2e/requirements.txt
//   cargo build -p parley && node --test e2e/api-fuzz.test.mjs
//
// Env: PARLEY_BIN (default target/debug/parley), PG_BIN (PostgreSQL's binaries),
// FUZZ_SEED (default fixed), FUZZ_EXAMPLES (test cases per operation, default 30).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startPostgres } from './postgres.mjs';
import { createServerEnvironment, startServer } from './server.mjs';
import { registerByApi } from './support.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VENV_BIN = path.join(REPO, 'e2e', '.venv', 'bin');
const SCHEMATHESIS = path.join(VENV_BIN, 'schemathesis');
const VALIDATOR = path.join(VENV_BIN, 'openapi-spec-validator');
const VENV_HINT = 'create it with: python3 -m venv e2e/.venv && e2e/.venv/bin/pip install -r e2e/requirements.txt';
const SEED = process.env.FUZZ_SEED ?? '20261202';
const EXAMPLES = process.env.FUZZ_EXAMPLES ?? '30';
// A hard stop: schemathesis stops by itself well before this.
const FUZZ_TIMEOUT_MS = 150_000;
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  'unsupported_method',
];

/** Runs `program`; resolves with its exit code and output, never rejects on a failing exit. */
function runTool(program, args, { cwd, timeout }) {
  return new Promise((resolve) => {
    execFile(program, args, { cwd, timeout, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (error.killed ? `killed after ${timeout / 1000} s` : error.code) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

function requireTool(tool) {
  if (!existsSync(tool)) assert.fail(`${path.relative(REPO, tool)} is missing: ${VENV_HINT}`);
}

/**
 * Something for the fuzzer to find: three users, a public room, a private group
 * and an outsider's room, direct and room messages. Returns the fuzzing user's
 * token (the owner of most of it).
 */
async function seed(baseUrl) {
  const fuzzer = await registerByApi(baseUrl, 'fuzzer');
  const alice = await registerByApi(baseUrl, 'alice');
  await registerByApi(baseUrl, 'bob');
  const call = async (user, method, url, body) => {
    const response = await fetch(`${baseUrl}${url}`, {
      method,
      headers: { Authorization: `Bearer ${user.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${url}: ${response.status} ${text}`);
    return JSON.parse(text);
  };
  const lobby = await call(fuzzer, 'POST', '/rooms', { name: 'general', kind: 'public' });
  const group = await call(fuzzer, 'POST', '/rooms', { name: 'team', kind: 'private' });
  await call(alice, 'POST', '/rooms', { name: 'alice-room', kind: 'public' });
  await call(fuzzer, 'POST', `/rooms/${group.id}/members`, { user_id: alice.id });
  await call(fuzzer, 'POST', `/messages/${alice.id}`, { content: 'hi alice', client_id: 'seed-1' });
  await call(alice, 'POST', `/messages/${fuzzer.id}`, { content: 'hi' });
  await call(fuzzer, 'POST', `/rooms/${lobby.id}/messages`, { content: 'hello room' });
  await call(alice, 'POST', `/rooms/${group.id}/messages`, { content: 'hello team' });
  return fuzzer.token;
}

for (const backend of ['sqlite', 'postgres']) {
  describe(`the OpenAPI document and the server behind it (${backend})`, { timeout: 5 * 60_000 }, () => {
    let environment;
    let database;
    let server;
    let token;
    let scratch;

    before(async () => {
      requireTool(SCHEMATHESIS);
      requireTool(VALIDATOR);
      scratch = await mkdtemp(path.join(tmpdir(), 'parley-fuzz-'));
      environment = await createServerEnvironment();
      if (backend === 'postgres') {
        database = await startPostgres();
        environment.env.DATABASE_URL = database.url;
      }
      // Sends are fuzzed by the thousand; failed-login limits stay (their 429 is documented).
      Object.assign(environment.env, { SEND_RATE: '10000', SEND_BURST: '10000', SHUTDOWN_GRACE: '1s', RUST_LOG: 'warn' });
      server = await startServer(environment);
      token = await seed(server.baseUrl);
    });

    after(async () => {
      await server?.stop();
      await database?.stop();
      await environment?.remove();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    if (backend === 'sqlite') {
      // The document does not depend on the database: checked once.
      it('GET /openapi.json is valid against the OpenAPI 3.1 schema', async () => {
        const response = await fetch(`${server.baseUrl}/openapi.json`);
        assert.equal(response.status, 200);
        const file = path.join(scratch, 'openapi.json');
        await writeFile(file, await response.text());
        const { code, output } = await runTool(VALIDATOR, ['--schema', '3.1', '--validation-errors', 'all', file], { cwd: scratch, timeout: 60_000 });
        assert.equal(code, 0, `openapi-spec-validator rejects the document:\n${output}`);
      });
    }

    it('schemathesis: no 5xx, and every response as documented', { timeout: FUZZ_TIMEOUT_MS + 30_000 }, async (t) => {
      const started = Date.now();
      const { code, output } = await runTool(SCHEMATHESIS, [
        'run', `${server.baseUrl}/openapi.json`,
        '--header', `Authorization: Bearer ${token}`,
        '--checks', CHECKS.join(','),
        // It would revoke the token the rest of the run signs in with.
        '--exclude-path', '/logout',
        '--max-examples', EXAMPLES,
        '--seed', SEED,
        '--workers', '2',
        '--request-timeout', '10',
        '--generation-database', 'none',
        '--no-color',
      ], { cwd: scratch, timeout: FUZZ_TIMEOUT_MS });
      const summary = output.trim().split('\n').filter((line) => /^\s*\d+ generated|^=+ .* in [\d.]+s =+$/.test(line));
      t.diagnostic(`${summary.join(' | ')} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      assert.equal(code, 0, `schemathesis failed (exit ${code}; seed ${SEED}):\n${output}\n`
        + `--- server output (last 8 kB) ---\n${server.output().slice(-8_000)}`);
    });
  });
}
