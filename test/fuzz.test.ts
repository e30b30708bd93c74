import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../src/protocol/index.js';
import type { TestClient } from './support/client.js';
import { activeRoom, chat } from './support/test-app.js';

const KNOWN_EVENTS = ['join-room', 'accept-room', 'message', 'typing', 'read', 'sync'] as const;
// socket.io-client refuses to emit these names itself; a raw frame using them is tested separately.
const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);
const FIELDS = ['customerID', 'vendorID', 'roomToken', 'roomId', 'roomID', 'message', 'type', 'clientMsgId', 'messageId', 'since'];
// A bigger frame closes the socket (maxHttpBufferSize, 64 KiB): Socket.IO's rule, tested in errors.test.ts.
const MAX_FRAME_BYTES = 48 * 1024;
// The Socket.IO parser closes a connection whose packet has more binary attachments than this.
const MAX_ATTACHMENTS = 10;
const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '', 'length'];

/** A full GC when V8 allows it (the flag can be turned on at run time), else undefined. */
function collector(): (() => void) | undefined {
  if (typeof globalThis.gc === 'function') return globalThis.gc as () => void;
  try {
    setFlagsFromString('--expose_gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

function arbitraries(roomToken: string, messageId: string) {
  const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
  const char = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), loneSurrogate, fc.constantFrom('\u0000', '\n', '\u007f', '\u200b'));
  const text = fc.string({ unit: char, maxLength: 40 });
  // Huge but under maxHttpBufferSize (64 KiB), so the server must answer rather than drop the socket.
  const huge = fc.constantFrom('x'.repeat(4001), ' '.repeat(5000), 'é'.repeat(6000), '\ud83d'.repeat(2000), '9'.repeat(200));
  const leaf = fc.oneof(
    text,
    huge,
    fc.constantFrom(roomToken, messageId, 'text', 'image', 'vdo', 'audio', 'fuzzer', 'peer', 'https://x.test/a.png', 'javascript:alert(1)'),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  );
  const key = fc.oneof(fc.constantFrom(...FIELDS, ...NASTY_KEYS), fc.string({ maxLength: 12 }));
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 4 },
      leaf,
      fc.array(tie('value'), { maxLength: 5 }),
      fc.dictionary(key, tie('value'), { maxKeys: 6 }),
    ),
  }));
  const event = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...KNOWN_EVENTS) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'error', 'JOIN-ROOM', 'message ') },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }).filter((name) => !RESERVED.has(name) && !(KNOWN_EVENTS as readonly string[]).includes(name)) },
  );
  // Mostly objects with the real field names (so checks past the shape are reached), sometimes anything.
  const payload = fc.oneof({ weight: 3, arbitrary: fc.dictionary(key, value, { maxKeys: 7 }) }, { weight: 2, arbitrary: value });
  const call = fc
    .record({ event, args: fc.array(payload, { minLength: 0, maxLength: 3 }) })
    .filter(({ args }) => Buffer.byteLength(JSON.stringify(args)) < MAX_FRAME_BYTES && countBuffers(args) <= MAX_ATTACHMENTS);
  return { call };
}

function countBuffers(value: unknown): number {
  if (Buffer.isBuffer(value)) return 1;
  if (typeof value !== 'object' || value === null) return 0;
  return Object.values(value).reduce((n: number, inner) => n + countBuffers(inner), 0);
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** Whether this call cannot possibly succeed, whatever the server state. */
function mustFail(event: string, payload: unknown): boolean {
  if (!(KNOWN_EVENTS as readonly string[]).includes(event)) return true;
  // NaN and ±Infinity travel as JSON null: the server sees null, as for a null payload.
  const onTheWire = typeof payload === 'number' && !Number.isFinite(payload) ? null : payload;
  if (onTheWire === undefined || onTheWire === null) return !['typing', 'sync'].includes(event);
  return !isPlainObject(payload);
}

function expectWellFormed(ack: any, event: string, payload: unknown): void {
  const where = `${event} ${String(JSON.stringify(payload)).slice(0, 200)}`;
  if (ack?.success === true && !mustFail(event, payload)) return;
  expect(ack, where).toEqual({ success: false, error: { code: expect.any(String), message: expect.any(String) } });
  expect(errorCodes, where).toContain(ack.error.code);
  expect(ack.error.code, where).not.toBe('internal');
  expect(ack.error.message.length, where).toBeGreaterThan(0);
}

/** alice → bob, one message at a time, until stopped; every ack must succeed and bob must get each one. */
function steadyTraffic(alice: TestClient, bob: TestClient) {
  let stopped = false;
  const acked: string[] = [];
  const done = (async () => {
    for (let i = 0; !stopped && i < 100_000; i++) {
      const ack = await alice.request('message', { roomToken: 'ab', message: `steady ${i}` });
      expect(ack.success).toBe(true);
      acked.push(ack.data.message._id);
    }
  })();
  return {
    acked,
    stop() {
      stopped = true;
      return done;
    },
    async delivered() {
      for (const id of acked) await bob.waitFor('message', (m) => m._id === id);
    },
  };
}

describe('hostile input (fuzz)', () => {
  it('answers thousands of malformed events with registry errors, never internal, and keeps serving others', async () => {
    const { t, c: alice, v: bob } = await chat('alice', 'bob', 'ab');
    const fuzzer = await t.connect('fuzzer');
    const peer = await t.connect('peer');
    await activeRoom(fuzzer, peer, 'fuzzer', 'peer', 'fz');
    const seed = await fuzzer.request('message', { roomToken: 'fz', message: 'seed' });
    const { call } = arbitraries('fz', seed.data.message._id);
    const gc = collector();
    const heap = () => (gc?.(), process.memoryUsage().heapUsed);

    const traffic = steadyTraffic(alice, bob);
    let sent = 0;
    let baseline = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(call, { minLength: 40, maxLength: 40 }), async (calls) => {
          const acks = await Promise.all(calls.map(({ event, args }) => fuzzer.request(event, ...args)));
          calls.forEach(({ event, args }, i) => expectWellFormed(acks[i], event, args[0]));
          sent += calls.length;
          if (sent === 40 * 20) baseline = heap();
        }),
        { numRuns: 125, endOnFailure: true },
      );
    } finally {
      await traffic.stop();
    }
    await traffic.delivered();
    const growth = heap() - baseline;

    expect(sent).toBe(5000);
    expect(fuzzer.socket.connected).toBe(true);
    expect(traffic.acked.length).toBeGreaterThan(20);
    expect(growth).toBeLessThan((gc ? 16 : 200) * 1024 * 1024);
    // Failures of events sent without an ack go to the fuzzer's private channel, in the same shape.
    for (const [event, payload] of [['message', 7], ['read', []], ['sync', 'x'], ['typing', Buffer.from('hi')]] as const) {
      fuzzer.send(event, payload);
      const { event: _name, ...ack } = await fuzzer.waitForPrivate(event);
      expectWellFormed(ack, event, payload);
    }
  }, 60_000);

  it('refuses U+0000 and unpaired surrogates in every string field with invalid_payload, and keeps others going', async () => {
    const { c: alice, v: bob } = await chat('alice', 'bob', 'ab');
    const seed = (await alice.request('message', { roomToken: 'ab', message: 'seed' })).data.message;
    const bad = ['a\u0000b', '\ud800', 'x\udfff', '\udc00\ud800'];
    const calls = bad.flatMap((text) => [
      ['message', { roomToken: 'ab', message: text }],
      ['message', { roomToken: 'ab', message: 'ok', clientMsgId: text }],
      ['message', { roomToken: text, message: 'ok' }],
      ['typing', { roomToken: text }],
      ['read', { roomToken: 'ab', messageId: text }],
      ['sync', { since: text }],
      ['join-room', { customerID: 'alice', vendorID: 'bob', roomToken: text }],
      ['join-room', { customerID: 'alice', vendorID: 'carol', roomToken: 'new', roomID: text }],
    ] as const);
    // Sent together with good messages from bob: his are stored whatever happens to alice's.
    const [acks, good] = await Promise.all([
      Promise.all(calls.map(([event, payload]) => alice.request(event, payload))),
      Promise.all(bad.map((_, i) => bob.request('message', { roomToken: 'ab', message: `good ${i} 😀` }))),
    ]);
    acks.forEach((ack, i) => expect(ack.error?.code, JSON.stringify(calls[i])).toBe('invalid_payload'));
    for (const ack of good) expect(ack.success).toBe(true);
    const synced = await bob.request('sync', { since: seed._id });
    expect(synced.data.messages.map((m: { message: string }) => m.message)).toEqual(bad.map((_, i) => `good ${i} 😀`));
  });

  it('answers a field whose `length` cannot become a number with invalid_payload (the fuzzer found zod throwing there)', async () => {
    const { c: alice } = await chat('alice', 'bob', 'ab');
    const seed = (await alice.request('message', { roomToken: 'ab', message: 'seed' })).data.message;
    for (const hostile of [{ length: { toString: null, valueOf: {} } }, { length: [{ toString: 'x' }] }]) {
      const ack = await alice.request('react', { roomToken: 'ab', messageId: seed._id, emoji: hostile });
      expect(ack.error?.code, JSON.stringify(hostile)).toBe('invalid_payload');
    }
    expect((await alice.request('message', { roomToken: 'ab', message: 'still here' })).success).toBe(true);
  });

  it('closes only the offending connection on garbage frames, and stays up', async () => {
    const { t, c: alice } = await chat('alice', 'bob', 'ab');
    // Raw Socket.IO packets (the engine adds its own "4" message prefix).
    const frames = [
      '2/customer,["message",',
      '2/customer,[]',
      '2/customer,[{}]',
      '2/customer,["disconnect"]',
      '2/customer,["newListener",{}]',
      '2/customer,7["__proto__",{"__proto__":{"polluted":1}}]',
      '3/customer,999[{}]',
      '5/customer,["message",{"_placeholder":true,"num":9}]',
      '51-/customer,["message",{"_placeholder":true,"num":9}]',
      '511-/customer,["message",{}]',
      '2/nope,["message",{}]',
      '0/customer,',
      '4/customer,"x"',
      '9',
      '',
    ];
    for (const frame of frames) {
      const victim = await t.connect('mallory');
      const closed = new Promise((resolve) => victim.socket.once('disconnect', resolve));
      victim.socket.io.engine.write(frame);
      await Promise.race([closed, victim.barrier()]);
      expect((await alice.request('message', { roomToken: 'ab', message: `after ${frame}` })).success).toBe(true);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('hostile input over HTTP (fuzz)', () => {
  it('answers random query strings with 400 or 404 (200 only for a real room), never 500', async () => {
    const { t, c: alice } = await chat('alice', 'bob', 'ab');
    await alice.request('message', { roomToken: 'ab', message: 'hello' });

    const byte = fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, '0')}`);
    const raw = fc.constantFrom('&', '=', '%', '%zz', '+', '[', ']', '#', 'ab', 'customer', '-1', '0', '1e3', '99999999999999999999', '__proto__');
    const piece = fc.string({ unit: fc.oneof(byte, raw, fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 })), maxLength: 30 });
    const key = fc.oneof(fc.constantFrom('roomToken', 'namespace', 'page', 'limit', 'before', 'after', '__proto__', 'constructor', 'roomToken[]'), piece);
    const query = fc.array(fc.tuple(key, piece), { maxLength: 8 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));

    let requests = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(query, { minLength: 20, maxLength: 20 }), async (queries) => {
        const answers = await Promise.all(queries.map((q) => fetch(`${t.url}/v1/chat/?${q}`).then(async (r) => ({ q, status: r.status, body: await r.json() }))));
        for (const { q, status, body } of answers) {
          requests += 1;
          if (status === 200) {
            expect(body.success, q).toBe(true);
            continue;
          }
          expect([400, 404], q).toContain(status);
          expect(body, q).toEqual({ success: false, error: { code: status === 400 ? 'invalid_payload' : 'not_found', message: expect.any(String) } });
        }
      }),
      { numRuns: 60, endOnFailure: true },
    );
    expect(requests).toBe(1200);
    expect((await fetch(`${t.url}/v1/chat/?roomToken=ab&namespace=customer`)).status).toBe(200);
  }, 60_000);
});
