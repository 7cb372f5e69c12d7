// Packaging: the Dockerfile passes hadolint, docker-compose.yml passes the Compose
// Specification schema, and the compose file and .env.example name exactly the
// settings the binary reads (the `[env: NAME]` entries of `parley --help`). No
// Docker engine is needed: everything here reads files and runs `parley --help`.
//
//   python3 -m venv e2e/.venv && e2e/.venv/bin/pip install -r e2e/requirements.txt
//   cargo build -p parley && node --test e2e/packaging.test.mjs
//
// Env: PARLEY_BIN (default target/debug/parley), HADOLINT (default
// e2e/.venv/bin/hadolint), CHECK_JSONSCHEMA (default e2e/.venv/bin/check-jsonschema).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import YAML from 'yaml';

const run = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VENV_BIN = path.join(REPO, 'e2e', '.venv', 'bin');
const PARLEY_BIN = process.env.PARLEY_BIN ?? path.join(REPO, 'target', 'debug', 'parley');
const HADOLINT = process.env.HADOLINT ?? path.join(VENV_BIN, 'hadolint');
const CHECK_JSONSCHEMA = process.env.CHECK_JSONSCHEMA ?? path.join(VENV_BIN, 'check-jsonschema');
const VENV_HINT = 'create it with: python3 -m venv e2e/.venv && e2e/.venv/bin/pip install -r e2e/requirements.txt';

// Read by env_logger (backend/src/logging.rs), not by clap, so `--help` has no
// `[env: RUST_LOG]` entry; the help text mentions it in prose only.
const LOGGER_ENV = ['RUST_LOG'];
// Settings the binary reads that the compose file leaves alone, and why. Each
// reason is checked below, so an exception cannot outlive its cause.
const NOT_IN_COMPOSE = {
  // The image sets it to where the Dockerfile copies frontend/; an operator
  // has no other directory inside the container to point it at.
  FRONTEND_DIR: 'set by the image (Dockerfile ENV)',
};
// Settings compose sets to a value of its own instead of passing them through.
const SET_BY_COMPOSE = ['DATABASE_URL', 'BIND', 'ATTACHMENT_STORE'];

/** `NAME` from every `[env: NAME=…]` / `[env: NAME]` entry (hidden values print no `=`). */
function envNamesInHelp(help) {
  return [...help.matchAll(/\[env:\s*([A-Z][A-Z0-9_]*)/g)].map((match) => match[1]);
}

/** A compose `environment:` (mapping or list form) as name -> value, null for pass-through. */
function environmentOf(service) {
  const environment = service.environment ?? {};
  if (!Array.isArray(environment)) return new Map(Object.entries(environment));
  return new Map(environment.map((entry) => {
    const [name, ...value] = String(entry).split('=');
    return [name, value.length ? value.join('=') : null];
  }));
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function dockerfileInstructions(text) {
  const instructions = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue; // Docker skips comments even inside a continuation.
    pending += line.replace(/\\\s*$/, ' ');
    if (/\\\s*$/.test(line)) continue;
    const match = pending.trim().match(/^(\S+)\s*(.*)$/);
    if (match) instructions.push({ keyword: match[1].toUpperCase(), args: match[2] });
    pending = '';
  }
  return instructions;
}

/** Names an `ENV` instruction sets, in both `A=1 B=2` and legacy `A 1` forms. */
function envNamesOf(instruction) {
  const words = instruction.args.split(/\s+/).filter(Boolean);
  if (!words[0]?.includes('=')) return [words[0]];
  return words.filter((word) => word.includes('=')).map((word) => word.split('=')[0]);
}

const setDifference = (items, allowed) => [...new Set(items)].filter((item) => !allowed.has(item));

async function executable(tool) {
  try {
    await run(tool, ['--version']);
  } catch (error) {
    assert.fail(`${tool} does not run (${error.code ?? error.message}); ${VENV_HINT}`);
  }
}

describe('Packaging', () => {
  let readByBinary; // every variable the binary reads
  let helpEnv; // the ones clap documents in --help
  let compose;
  let dockerfile;
  let envExample;

  before(async () => {
    const helps = await Promise.all([['--help'], ['serve', '--help'], ['migrate', '--help']]
      .map(async (args) => (await run(PARLEY_BIN, args)).stdout));
    helpEnv = new Set(helps.flatMap(envNamesInHelp));
    readByBinary = new Set([...helpEnv, ...LOGGER_ENV]);
    compose = YAML.parse(await readFile(path.join(REPO, 'docker-compose.yml'), 'utf8'));
    dockerfile = dockerfileInstructions(await readFile(path.join(REPO, 'Dockerfile'), 'utf8'));
    envExample = await readFile(path.join(REPO, '.env.example'), 'utf8');
  });

  const services = () => Object.entries(compose.services ?? {});
  // Every service running the image: the single node, and the `scaled` profile's.
  const builtServices = () => services().filter(([, service]) => service.build !== undefined);
  // The single node that `docker compose up` starts (no profile).
  const parleyService = () => {
    const built = builtServices().filter(([, service]) => service.profiles === undefined);
    assert.equal(built.length, 1, 'exactly one compose service outside profiles builds the Dockerfile');
    return built[0];
  };
  const postgresService = () => {
    const found = services().filter(([, service]) => /^(docker\.io\/)?(library\/)?postgres[:@]/.test(service.image ?? ''));
    assert.equal(found.length, 1, 'exactly one compose service runs a postgres image');
    return found[0];
  };
  // Instructions of the last stage: what the runtime image is made of.
  const runtimeStage = () => dockerfile.slice(dockerfile.findLastIndex((i) => i.keyword === 'FROM'));

  it('parley --help lists the settings it reads from the environment', () => {
    // A sanity check on the parsing, so the checks below cannot pass vacuously.
    for (const name of ['DATABASE_URL', 'BIND', 'JWT_SECRET']) {
      assert.ok(helpEnv.has(name), `${name} missing from the [env: …] entries of parley --help: ${[...helpEnv]}`);
    }
  });

  it('hadolint finds nothing in the Dockerfile', async () => {
    await executable(HADOLINT);
    // A personal hadolint config or HADOLINT_* variable must not change the result.
    const home = await mkdtemp(path.join(tmpdir(), 'parley-hadolint-'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HADOLINT_')));
    try {
      // --no-fail: the findings are judged here, every level including style.
      const { stdout } = await run(HADOLINT, ['--no-fail', '--no-color', '--format', 'json', 'Dockerfile'], {
        cwd: REPO,
        env: { ...env, HOME: home, XDG_CONFIG_HOME: home },
      });
      const findings = JSON.parse(stdout);
      const report = findings.map((f) => `Dockerfile:${f.line} ${f.code} ${f.level}: ${f.message}`).join('\n');
      assert.ok(findings.length === 0, `hadolint findings (fix them, or add "# hadolint ignore=CODE" with the reason):\n${report}`);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('docker-compose.yml is valid under the Compose Specification schema', async () => {
    await executable(CHECK_JSONSCHEMA);
    try {
      await run(CHECK_JSONSCHEMA, ['--builtin-schema', 'vendor.compose-spec', 'docker-compose.yml'], { cwd: REPO });
    } catch (error) {
      assert.fail(`docker-compose.yml does not match the compose spec:\n${error.stdout}${error.stderr}`);
    }
  });

  it('compose passes the parley services only variables the binary reads', () => {
    for (const [name, service] of builtServices()) {
      const unknown = setDifference(environmentOf(service).keys(), readByBinary);
      assert.deepEqual(unknown, [], `services.${name}.environment names variables parley does not read`);
    }
  });

  it('the scaled profile\'s nodes share one database, and nginx is in front of them', () => {
    const nodes = services().filter(([, service]) => service.build !== undefined && service.profiles?.includes('scaled')
      && environmentOf(service).has('BIND'));
    assert.ok(nodes.length >= 2, `the scaled profile should run several nodes, not ${nodes.map(([name]) => name)}`);
    const urls = new Set(nodes.map(([, service]) => environmentOf(service).get('DATABASE_URL')));
    assert.deepEqual([...urls], [environmentOf(parleyService()[1]).get('DATABASE_URL')], 'every node uses the same DATABASE_URL');
    for (const [name, service] of nodes) {
      assert.ok(environmentOf(service).get('TRUSTED_PROXIES'), `services.${name} should trust nginx's network`);
      assert.equal(service.ports, undefined, `services.${name} should be reached through nginx only`);
    }
    const nginx = compose.services.nginx;
    assert.ok(nginx?.profiles?.includes('scaled'), 'the scaled profile has an nginx service');
    const after = Array.isArray(nginx.depends_on) ? nginx.depends_on : Object.keys(nginx.depends_on ?? {});
    assert.deepEqual([...after].sort(), nodes.map(([name]) => name).sort(),
      'nginx starts after every node');
  });

  it('compose passes through or sets every variable the binary reads', () => {
    const [name, service] = parleyService();
    const environment = environmentOf(service);
    const missing = setDifference(readByBinary, new Set([...environment.keys(), ...Object.keys(NOT_IN_COMPOSE)]));
    assert.deepEqual(missing, [], `parley reads these, but services.${name}.environment lacks them`);
    for (const variable of SET_BY_COMPOSE) {
      assert.ok(environment.get(variable), `compose should set ${variable} itself, with a value`);
    }
    const setByImage = runtimeStage().filter((i) => i.keyword === 'ENV').flatMap(envNamesOf);
    for (const [variable, reason] of Object.entries(NOT_IN_COMPOSE)) {
      assert.ok(!environment.has(variable), `${variable} is in compose now: drop it from NOT_IN_COMPOSE`);
      assert.ok(readByBinary.has(variable), `parley no longer reads ${variable}: drop it from NOT_IN_COMPOSE`);
      assert.ok(setByImage.includes(variable), `${variable} is left out of compose as "${reason}", but the runtime stage does not set it`);
    }
  });

  it('.env.example names exactly the variables the binary reads', () => {
    // Settings are `NAME=` or `#NAME=` lines; prose comments have a space after `#`.
    const names = [...envExample.matchAll(/^#?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]);
    const duplicates = names.filter((item, index) => names.indexOf(item) !== index);
    assert.deepEqual(duplicates, [], '.env.example lists these more than once');
    assert.deepEqual(setDifference(names, readByBinary), [], '.env.example names variables parley does not read');
    assert.deepEqual(setDifference(readByBinary, new Set(names)), [], 'parley reads these, but .env.example lacks them');
  });

  it('compose runs PostgreSQL with a named volume and a health check', () => {
    const [name, db] = postgresService();
    const named = Object.keys(compose.volumes ?? {});
    const dataVolume = (db.volumes ?? []).map((volume) => (typeof volume === 'string'
      ? { source: volume.split(':')[0], target: volume.split(':')[1] }
      : volume))
      .find((volume) => named.includes(volume.source) && volume.target?.startsWith('/var/lib/postgresql'));
    assert.ok(dataVolume, `services.${name} keeps /var/lib/postgresql… in none of the named volumes ${named}`);
    const test = [db.healthcheck?.test ?? []].flat().join(' ');
    assert.ok(!db.healthcheck?.disable && /pg_isready/.test(test), `services.${name}.healthcheck should run pg_isready, not ${test}`);
  });

  it('parley starts once PostgreSQL is healthy, and uses it', () => {
    const [name, service] = parleyService();
    const [dbName, db] = postgresService();
    assert.equal(service.depends_on?.[dbName]?.condition, 'service_healthy',
      `services.${name}.depends_on.${dbName}.condition`);
    const url = new URL(environmentOf(service).get('DATABASE_URL'));
    const dbEnv = environmentOf(db);
    assert.deepEqual(
      [url.protocol, url.hostname, url.username, url.password, url.pathname.slice(1)],
      ['postgres:', dbName, dbEnv.get('POSTGRES_USER'), dbEnv.get('POSTGRES_PASSWORD'), dbEnv.get('POSTGRES_DB')],
      `services.${name} DATABASE_URL should match services.${dbName}`,
    );
  });

  it('JWT_SECRET comes from .env, never from the compose file', async () => {
    for (const [name, service] of builtServices().filter(([, s]) => environmentOf(s).has('BIND'))) {
      const value = environmentOf(service).get('JWT_SECRET');
      // No value: compose takes it from the shell or from .env beside the compose
      // file. An interpolation (`${JWT_SECRET}`) would read the same sources.
      assert.ok(value === null || /^\$\{JWT_SECRET[:?}-]/.test(value),
        `services.${name}.environment.JWT_SECRET should be passed through, not set to ${value}`);
    }
    // .env holds the secret: it stays out of git and out of the build context.
    for (const ignoreFile of ['.gitignore', '.dockerignore']) {
      const lines = (await readFile(path.join(REPO, ignoreFile), 'utf8')).split('\n').map((line) => line.trim());
      assert.ok(lines.includes('.env') || lines.includes('/.env'), `${ignoreFile} should list .env`);
    }
  });

  it('the Dockerfile builds in stages and runs /healthz checks as a non-root user', () => {
    const from = dockerfile.filter((i) => i.keyword === 'FROM');
    assert.ok(from.length > 1, `a multi-stage build has more than one FROM, not ${from.length}`);
    const stage = runtimeStage();
    const copiesFromStage = stage.some((i) => i.keyword === 'COPY' && /--from=\S+/.test(i.args));
    assert.ok(copiesFromStage, 'the runtime stage should COPY --from the build stage');

    const users = stage.filter((i) => i.keyword === 'USER');
    assert.ok(users.length > 0, 'the runtime stage should set USER');
    const user = users.at(-1).args.split(':')[0];
    assert.ok(!['root', '0'].includes(user), `the runtime stage runs as ${user}`);

    const healthchecks = stage.filter((i) => i.keyword === 'HEALTHCHECK');
    assert.equal(healthchecks.length, 1, 'the runtime stage should have one HEALTHCHECK');
    const probe = healthchecks[0].args.match(/\bCMD\b.*?https?:\/\/[^/\s:]+:(\d+)\/healthz\b/);
    assert.ok(probe, `HEALTHCHECK should request /healthz: ${healthchecks[0].args}`);

    // The probe, EXPOSE, the image's BIND and compose's BIND and ports agree on one port.
    const port = probe[1];
    const bindInImage = stage.filter((i) => i.keyword === 'ENV').map((i) => i.args.match(/\bBIND=\S*:(\d+)/)?.[1]).find(Boolean);
    const exposed = stage.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map((p) => p.split('/')[0]));
    const [, service] = parleyService();
    const bindInCompose = environmentOf(service).get('BIND')?.match(/:(\d+)$/)?.[1];
    const published = (service.ports ?? []).map((p) => String(typeof p === 'object' ? p.target : p.split(':').at(-1)).split('/')[0]);
    assert.deepEqual(
      { bindInImage, exposed: exposed.includes(port), bindInCompose, published: published.includes(port) },
      { bindInImage: port, exposed: true, bindInCompose: port, published: true },
      `the HEALTHCHECK probes port ${port}`,
    );
    const frontendDir = stage.filter((i) => i.keyword === 'ENV').map((i) => i.args.match(/\bFRONTEND_DIR=(\S+)/)?.[1]).find(Boolean);
    assert.ok(stage.some((i) => i.keyword === 'COPY' && i.args.split(/\s+/).at(-1) === frontendDir),
      `the image's FRONTEND_DIR (${frontendDir}) should be where it copies frontend/`);
  });
});
