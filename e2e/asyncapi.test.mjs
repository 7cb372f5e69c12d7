// End-to-end, the AsyncAPI document at /asyncapi.json: it is valid AsyncAPI 3.0
// (the official JSON Schema from @asyncapi/specs), every frame two real sockets
// exchange matches the schema of its message, every message it documents is seen
// on the wire, and docs/protocol.md holds its current rendering.
//
//   cd e2e && npm install && cd .. && node --test e2e/

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import specs from '@asyncapi/specs';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import WebSocket from 'ws';
import { registerByApi } from './support.mjs';
import { createServerEnvironment, startServer } from './server.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROTOCOL = path.join(REPO, 'docs', 'protocol.md');
const RENDERER = path.join(REPO, 'scripts', 'asyncapi-markdown.mjs');
const FRAME_TIMEOUT_MS = 10_000;

/** A socket that records every frame it sends and receives. */
class RecordingSocket {
  static async open(baseUrl, token) {
    const socket = new RecordingSocket(new WebSocket(`${baseUrl.replace('http', 'ws')}/ws?token=${token}&since=0`));
    await new Promise((resolve, reject) => {
      socket.ws.once('open', resolve);
      socket.ws.once('error', reject);
    });
    await socket.next('ready');
    return socket;
  }

  constructor(ws) {
    this.ws = ws;
    this.sent = [];
    this.received = [];
    this.waiters = [];
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      this.received.push(frame);
      this.waiters = this.waiters.filter((waiter) => !waiter(frame));
    });
  }

  send(frame) {
    this.sent.push(frame);
    this.ws.send(JSON.stringify(frame));
  }

  /** The next received frame of `type` (already received ones count once). */
  next(type, matches = () => true) {
    const seen = this.received.find((frame) => frame.type === type && matches(frame) && !frame.claimed);
    if (seen) {
      seen.claimed = true;
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} frame within ${FRAME_TIMEOUT_MS} ms`)), FRAME_TIMEOUT_MS);
      this.waiters.push((frame) => {
        if (frame.type !== type || !matches(frame)) return false;
        frame.claimed = true;
        clearTimeout(timer);
        resolve(frame);
        return true;
      });
    });
  }

  close() {
    this.ws.close(1000);
  }
}

describe('AsyncAPI document', { timeout: 3 * 60_000 }, () => {
  let environment;
  let server;
  let document;

  const api = async (method, urlPath, token, body) => {
    const response = await fetch(`${server.baseUrl}${urlPath}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(response.ok, `${method} ${urlPath}: ${response.status} ${await response.clone().text()}`);
    return response.json();
  };

  before(async () => {
    environment = await createServerEnvironment();
    server = await startServer(environment);
    const response = await fetch(`${server.baseUrl}/asyncapi.json`);
    assert.equal(response.status, 200);
    document = await response.json();
  });

  after(async () => {
    await server?.stop();
    await environment?.remove();
  });

  it('is a valid AsyncAPI 3.0 document', () => {
    assert.equal(document.asyncapi, '3.0.0');
    // The spec's schema carries its own copy of the draft-07 meta-schema.
    const ajv = new Ajv({ allErrors: true, strict: false, meta: false, validateSchema: false });
    addFormats(ajv);
    const validate = ajv.compile(specs.schemas['3.0.0']);
    assert.ok(validate(document), JSON.stringify(validate.errors, null, 2));
  });

  it('every frame on the wire matches its message, and every message is seen', async () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    ajv.addSchema(document, 'asyncapi');
    const schemaOf = (name) => document.components.messages[name]
      && ajv.compile({ $ref: `asyncapi#/components/messages/${name}/payload` });

    const alice = await registerByApi(server.baseUrl, 'alice');
    const bob = await registerByApi(server.baseUrl, 'bob');
    const aliceSocket = await RecordingSocket.open(server.baseUrl, alice.token);
    let bobSocket;
    try {
      aliceSocket.send({ type: 'message', recipient_id: bob.id, content: 'hi Bob', client_id: 'a-1' });
      const ack = await aliceSocket.next('ack');

      bobSocket = await RecordingSocket.open(server.baseUrl, bob.token);
      try {
        await aliceSocket.next('presence', (frame) => frame.user_id === bob.id && frame.online);
        await aliceSocket.next('delivered');
        bobSocket.send({ type: 'read', peer_id: alice.id, up_to: ack.message_id });
        await aliceSocket.next('read');
        bobSocket.send({ type: 'typing', recipient_id: alice.id });
        await aliceSocket.next('typing', (frame) => frame.typing);

        bobSocket.send({ type: 'react', message_id: ack.message_id, emoji: '👍', on: true });
        await aliceSocket.next('reaction');
        bobSocket.send({ type: 'message', recipient_id: alice.id, content: 'hi', reply_to: ack.message_id });
        await aliceSocket.next('message', (frame) => frame.reply_to?.id === ack.message_id);
        await api('PUT', `/conversations/${bob.id}/mute`, alice.token, { until: '9999-12-31T23:59:59Z' });
        await aliceSocket.next('muted');

        await api('PATCH', `/messages/${ack.message_id}`, alice.token, { content: 'hi, Bob' });
        await bobSocket.next('edited');
        await api('DELETE', `/messages/${ack.message_id}`, alice.token);
        await bobSocket.next('deleted');

        const room = await api('POST', '/rooms', alice.token, { name: 'general', kind: 'public' });
        await api('POST', `/rooms/${room.id}/join`, bob.token);
        await aliceSocket.next('member', (frame) => frame.user_id === bob.id);
        bobSocket.send({ type: 'message', room_id: room.id, content: 'hello room' });
        const inRoom = await aliceSocket.next('message', (frame) => frame.room_id === room.id);
        aliceSocket.send({ type: 'read', room_id: room.id, up_to: inRoom.id });
        aliceSocket.send({ type: 'typing', room_id: room.id });
        await bobSocket.next('typing', (frame) => frame.room_id === room.id);

        aliceSocket.send({ type: 'shout', content: 'not a frame' });
        await aliceSocket.next('error');
      } finally {
        bobSocket.close();
      }
      await aliceSocket.next('presence', (frame) => frame.user_id === bob.id && !frame.online);

      const sockets = [aliceSocket, bobSocket];
      const seen = new Set();
      const check = (direction, frame) => {
        const { claimed, ...payload } = frame;
        const name = `${direction}.${payload.type}`;
        const validate = schemaOf(name);
        if (direction === 'client' && payload.type === 'shout') {
          assert.equal(validate, undefined, 'an unknown frame type is not documented');
          return;
        }
        assert.ok(validate, `${name} is not in the document: ${JSON.stringify(payload)}`);
        assert.ok(validate(payload), `${name} ${JSON.stringify(payload)}: ${JSON.stringify(validate.errors)}`);
        const documented = Object.keys(document.components.messages[name].payload.properties);
        const extra = Object.keys(payload).filter((field) => !documented.includes(field));
        assert.deepEqual(extra, [], `${name} has undocumented fields: ${JSON.stringify(payload)}`);
        seen.add(name);
      };
      for (const socket of sockets) {
        socket.sent.forEach((frame) => check('client', frame));
        socket.received.forEach((frame) => check('server', frame));
      }
      assert.deepEqual([...seen].sort(), Object.keys(document.components.messages).sort(),
        'every documented message is exercised');
    } finally {
      aliceSocket.close();
    }
  });

  it('docs/protocol.md holds the current rendering of the document', async () => {
    const scratch = await mkdtemp(path.join(tmpdir(), 'parley-asyncapi-'));
    try {
      const out = path.join(scratch, 'protocol.md');
      await promisify(execFile)(process.execPath, [RENDERER, `${server.baseUrl}/asyncapi.json`, PROTOCOL, out]);
      assert.equal(await readFile(PROTOCOL, 'utf8'), await readFile(out, 'utf8'),
        'docs/protocol.md is stale: run `node scripts/asyncapi-markdown.mjs` against a fresh server');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
