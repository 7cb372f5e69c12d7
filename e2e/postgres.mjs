// A throwaway PostgreSQL server in a temporary directory, from the machine's
// binaries (PG_BIN, PATH, or the newest /usr/lib/postgresql/*/bin), as
// backend/tests/api/postgres.rs starts one for the Rust tests.

import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './support.mjs';

const run = promisify(execFile);
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts a fresh cluster on a free loopback port.
 * @returns {Promise<{url: string, stop: () => Promise<void>, pause: () => Promise<void>, resume: () => Promise<void>}>}
 *   `url` names its `postgres` database; `pause` and `resume` stop and start it again, keeping the data.
 */
export async function startPostgres() {
  const bin = postgresBinDir();
  const root = await mkdtemp(path.join(tmpdir(), 'parley-e2e-pg-'));
  const data = path.join(root, 'data');
  // PostgreSQL will not run as root: hand the directory to `postgres`.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await run('chown', ['-R', 'postgres:', root]);
  const unprivileged = (program, args) => (asRoot
    ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', program, ...args]]
    : [program, args]);

  try {
    await run(...unprivileged(path.join(bin, 'initdb'),
      ['--auth=trust', '--username=postgres', '--encoding=UTF8', '--no-sync', '-D', data]));
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw new Error(`initdb failed: ${error.stderr || error.message}`);
  }

  const port = await freePort();
  const [program, args] = unprivileged(path.join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-k', root,
    '-c', 'listen_addresses=127.0.0.1', '-c', 'lc_messages=C',
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
  ]);
  let server = null;

  // The data stays; the server goes (what `pg_ctl stop -m fast` does).
  const halt = async () => {
    const child = server?.child;
    server = null;
    if (child && child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await child.exited;
      clearTimeout(timer);
    }
  };
  const stop = async () => {
    await halt();
    await rm(root, { recursive: true, force: true });
  };

  // TCP is accepted a moment before queries are: wait for the server to say so.
  const launch = async () => {
    const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(child);
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      log = (log + chunk).slice(-20_000);
    });
    child.exited = new Promise((resolve) => child.once('exit', () => {
      running.delete(child);
      resolve();
    }));
    server = { child };
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (!log.includes('ready to accept connections')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`PostgreSQL did not start:\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  await launch();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop,
    /** Stops the server and keeps its data, for an outage. */
    pause: halt,
    /** Starts it again on the same port, with the same data. */
    resume: launch,
  };
}

function postgresBinDir() {
  const has = (dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres'));
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const onPath = (process.env.PATH ?? '').split(path.delimiter).find((dir) => dir && has(dir));
  if (onPath) return onPath;
  const packaged = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').map((v) => path.join('/usr/lib/postgresql', v, 'bin')).filter(has)
    : [];
  // Newest major version first.
  packaged.sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
  if (packaged.length > 0) return packaged[0];
  throw new Error('PostgreSQL binaries (initdb, postgres) not found: install PostgreSQL or set PG_BIN');
}
