// Starts the Parley server binary on a free port with a fresh SQLite database.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
const LISTENING = /Parley listening on http:\/\/[^\s/]+:(\d+)/;

const running = new Set();
// Last resort if the test process dies without running its `after` hooks.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A fresh data directory and settings shared by every start of the server in one test run. */
export async function createServerEnvironment() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-e2e-'));
  return {
    dataDir,
    binary: process.env.PARLEY_BIN ?? path.join(REPO, 'target', 'debug', 'parley'),
    env: {
      DATABASE_URL: `sqlite://${path.join(dataDir, 'parley.db')}`,
      // Files too stay in the test's directory, whichever database a test picks.
      ATTACHMENT_STORE: path.join(dataDir, 'attachments'),
      BCRYPT_COST: '4',
      // The tests register many users and rooms from 127.0.0.1.
      REGISTER_RATE: '1000',
      REGISTER_BURST: '1000',
      ROOM_RATE: '1000',
      ROOM_BURST: '1000',
      MEMBERSHIP_RATE: '1000',
      MEMBERSHIP_BURST: '1000',
      JWT_SECRET: randomBytes(32).toString('hex'),
      FRONTEND_DIR: path.join(REPO, 'frontend'),
      RUST_LOG: process.env.RUST_LOG ?? 'info',
    },
    async remove() {
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the server and resolves once it prints its address.
 * @returns {Promise<{port: number, baseUrl: string, output: () => string, stop: () => Promise<void>}>}
 */
export function startServer(environment, { port = 0 } = {}) {
  const child = spawn(environment.binary, [], {
    env: { ...process.env, ...environment.env, BIND: `127.0.0.1:${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);

  let output = '';
  const remember = (chunk) => {
    output += chunk;
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stderr.setEncoding('utf8').on('data', remember);

  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  const stop = async () => {
    // No pid: the binary never started (e.g. not built), so there is nothing to wait for.
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    let stdout = '';
    let settled = false;
    const fail = async (reason) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      await stop();
      reject(new Error(`${reason}\n--- server output ---\n${output}`));
    };
    const timer = setTimeout(() => fail(`The server did not report its address within ${STARTUP_TIMEOUT_MS / 1000} s`), STARTUP_TIMEOUT_MS);

    child.once('error', (error) => fail(`Could not start ${environment.binary}: ${error.message}`));
    exited.then(({ code, signal }) => fail(`The server exited early (code ${code}, signal ${signal})`));

    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      remember(chunk);
      if (settled) return;
      stdout += chunk;
      const match = stdout.match(LISTENING);
      if (!match) return;
      settled = true;
      clearTimeout(timer);
      const boundPort = Number(match[1]);
      resolve({
        port: boundPort,
        baseUrl: `http://127.0.0.1:${boundPort}`,
        output: () => output,
        stop,
      });
    });
  });
}
