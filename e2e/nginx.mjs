// Debian's nginx as a load balancer of this test's own: its config, pid file, logs and
// temporary files in a temporary directory, in the foreground as one process (no
// daemon, no master), on loopback ports. The proxy settings are the deployment's own
// (deploy/nginx/proxy.conf). The system's nginx service is never touched.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitUntil } from './support.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROXY_SETTINGS = path.join(REPO, 'deploy', 'nginx', 'proxy.conf');
const STOP_TIMEOUT_MS = 5_000;

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts nginx with one listening port per site. A site is a list of upstream ports:
 * the first is preferred, the others are `backup`s, used only while it is down.
 * @param {number[][]} sites
 * @returns {Promise<{baseUrls: string[], output: () => string, stop: () => Promise<void>}>}
 */
export async function startNginx(sites) {
  const binary = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
  if (!existsSync(binary)) throw new Error(`${binary} not found: apt-get install nginx, or set NGINX_BIN`);
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-e2e-nginx-'));
  const ports = [];
  for (let i = 0; i < sites.length; i += 1) ports.push(await freePort());
  await writeFile(path.join(dir, 'nginx.conf'), config(dir, sites, ports));

  // -e: the error log before the config is read, which would be /var/log/nginx otherwise.
  const child = spawn(binary, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const remember = (chunk) => {
    output = (output + chunk).slice(-50_000);
  };
  child.stdout.setEncoding('utf8').on('data', remember);
  child.stderr.setEncoding('utf8').on('data', remember);
  const exited = new Promise((resolve) => child.once('exit', () => {
    running.delete(child);
    resolve();
  }));

  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const baseUrls = ports.map((port) => `http://127.0.0.1:${port}`);
  try {
    // Up once every site answers through to a node.
    await waitUntil(async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nginx exited:\n${output}`);
      const answers = await Promise.all(baseUrls.map((url) => fetch(`${url}/healthz`).then((r) => r.ok, () => false)));
      return answers.every(Boolean);
    }, 'nginx to pass /healthz to the nodes', 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrls, output: () => output, stop };
}

function config(dir, sites, ports) {
  const temp = (name) => path.join(dir, name);
  const upstreams = sites.map((site, i) => `
    upstream site${i} {
${site.map((port, j) => `        server 127.0.0.1:${port}${j === 0 ? '' : ' backup'};`).join('\n')}
    }
    server {
        listen 127.0.0.1:${ports[i]};
        location / {
            proxy_pass http://site${i};
            include ${PROXY_SETTINGS};
        }
    }`).join('\n');
  return `daemon off;
master_process off;
pid ${temp('nginx.pid')};
error_log ${temp('error.log')} warn;
events {
    worker_connections 256;
}
http {
    access_log off;
    client_body_temp_path ${temp('client_body')};
    proxy_temp_path ${temp('proxy')};
    fastcgi_temp_path ${temp('fastcgi')};
    uwsgi_temp_path ${temp('uwsgi')};
    scgi_temp_path ${temp('scgi')};
    # As in deploy/nginx/parley.conf.
    map $http_upgrade $connection_upgrade {
        default upgrade;
        ''      close;
    }
${upstreams}
}
`;
}
