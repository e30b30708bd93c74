import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import { Adapter } from 'socket.io-adapter';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { captureLogs } from './support/log-capture.js';
import { deleteRedisKeys, redisUrl } from './support/services.js';
import { activeRoom, createTestApp, type TestApp } from './support/test-app.js';

const SECRET = 'hardening-connect-secret-0123456789abcdef';
const key = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

function token(sub: string, claims: Record<string, unknown> = { exp: now() + 600 }): Promise<string> {
  return new SignJWT({ sub, ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(key);
}

/** A raw socket.io-client socket (not the test wrapper), closed when the test ends. */
function raw(url: string, opts: Parameters<typeof io>[1] = {}): Socket {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...opts });
  onTestFinished(() => void socket.disconnect());
  return socket;
}

function connectError(socket: Socket): Promise<Error & { data?: { code: string; message: string } }> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connected, but a connect_error was expected')));
    socket.once('connect_error', resolve);
  });
}

describe('the root namespace / (item 1)', () => {
  it('is refused like an unknown namespace in trusted mode', async () => {
    const t = await createTestApp();
    const unknown = await connectError(raw(`${t.url}/nope`, { query: { userId: 'u1' } }));
    const root = await connectError(raw(`${t.url}/`, { query: { userId: 'u1' } }));
    expect(root.message).toBe(unknown.message);
    expect(root.message).toMatch(/namespace/i);
  });

  it('is refused in jwt mode, without a token and with a valid one', async () => {
    const t = await createTestApp({ authMode: 'jwt', jwtSecret: SECRET });
    expect((await connectError(raw(`${t.url}/`))).message).toMatch(/namespace/i);
    expect((await connectError(raw(`${t.url}/`, { auth: { token: await token('alice') } }))).message).toMatch(/namespace/i);
    // The configured namespaces still work.
    await expect(t.open('customer', { auth: { token: await token('alice') } }).connected()).resolves.toBeDefined();
  });

  it('has its adapter closed on shutdown, like the chat namespaces', async () => {
    const close = vi.spyOn(Adapter.prototype, 'close');
    onTestFinished(() => close.mockRestore());
    const t = await createTestApp();
    await t.app.close();
    const closed = close.mock.contexts.map((adapter) => (adapter as Adapter).nsp.name);
    expect(closed).toEqual(expect.arrayContaining(['/', '/customer', '/artisans']));
  });
});

describe('the root namespace with Redis (item 1)', () => {
  const url = redisUrl();
  it.skipIf(!url)('leaves no Redis connection of the adapter behind after shutdown', async () => {
    const name = `parley-root-${randomBytes(4).toString('hex')}`;
    const prefix = `test:${name}:`;
    onTestFinished(() => deleteRedisKeys(url!, prefix));
    const admin = new Redis(url!, { maxRetriesPerRequest: 1 });
    onTestFinished(() => void admin.disconnect());
    const ours = async () => ((await admin.call('CLIENT', 'LIST')) as string).split('\n').filter((l) => l.includes(`name=${name} `)).length;
    // ioredis takes connectionName from the URL query, and the adapter's own connections inherit it.
    const t = await createTestApp({ redisUrl: `${url}?connectionName=${name}`, redisKeyPrefix: prefix });
    await t.connect('u1');
    await vi.waitUntil(async () => (await ours()) >= 3, { timeout: 10_000 });
    await t.app.close();
    // The stream reader leaves after its current blocking read (at most 5 s): wait for that, not a fixed time.
    await vi.waitUntil(async () => (await ours()) === 0, { timeout: 15_000, interval: 200 });
  }, 30_000);
});

describe('draining (item 8)', () => {
  it('answers /readyz 503 and refuses new connections from the moment shutdown starts', async () => {
    // A slow group commit keeps one message in flight, so the drain lasts until it is written.
    const t = await createTestApp({ writeBatchDelayMs: 3000 });
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    const acked = c.socket.timeout(20_000).emitWithAck('message', { roomToken: 'tok', message: 'in flight' });
    // The server has the event (it is counted on arrival) before shutdown starts.
    await vi.waitUntil(async () => (await t.app.metrics.events.get()).values.some((s) => s.labels.event === 'message'));
    const closing = t.app.close();
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ success: false, status: 'draining' });
    const refused = await t.open('customer', { query: { userId: 'late' } }).connectError();
    expect(refused.message).toMatch(/shutting down/);
    expect(await acked).toMatchObject({ success: true });
    await closing;
  });
});

describe('connect rate limits (item 11)', () => {
  it('refuses connects beyond the per-address budget with rate_limited', async () => {
    const t = await createTestApp({
      rateLimits: { connectPerIp: { points: 3, durationSeconds: 60 }, connectPerUser: { points: 100, durationSeconds: 60 } },
    });
    for (let i = 0; i < 3; i++) await t.connect(`u${i}`);
    const err = await t.open('customer', { query: { userId: 'u9' } }).connectError();
    expect(err.data).toMatchObject({ code: 'rate_limited' });
  });

  it('refuses connects beyond the per-user budget, while other users still connect', async () => {
    const t = await createTestApp({
      rateLimits: { connectPerIp: { points: 100, durationSeconds: 60 }, connectPerUser: { points: 2, durationSeconds: 60 } },
    });
    (await t.connect('alice')).close();
    (await t.connect('alice')).close();
    const err = await t.open('customer', { query: { userId: 'alice' } }).connectError();
    expect(err.data).toMatchObject({ code: 'rate_limited' });
    expect(err.message).toMatch(/user/);
    await expect(t.connect('bob')).resolves.toBeDefined();
  });

  it('takes the address from X-Forwarded-For only with trustProxy', async () => {
    const limits = { connectPerIp: { points: 1, durationSeconds: 60 }, connectPerUser: { points: 100, durationSeconds: 60 } };
    const viaProxy = (t: TestApp, ip: string, userId: string) =>
      raw(`${t.url}/customer`, { query: { userId }, extraHeaders: { 'x-forwarded-for': `${ip}, 10.0.0.1` } });
    const trusting = await createTestApp({ rateLimits: limits, trustProxy: true });
    await new Promise<void>((resolve) => viaProxy(trusting, '203.0.113.1', 'a').once('connect', () => resolve()));
    await new Promise<void>((resolve) => viaProxy(trusting, '203.0.113.2', 'b').once('connect', () => resolve()));
    expect((await connectError(viaProxy(trusting, '203.0.113.1', 'c'))).data).toMatchObject({ code: 'rate_limited' });
    const plain = await createTestApp({ rateLimits: limits });
    await new Promise<void>((resolve) => viaProxy(plain, '203.0.113.1', 'a').once('connect', () => resolve()));
    expect((await connectError(viaProxy(plain, '203.0.113.2', 'b'))).data).toMatchObject({ code: 'rate_limited' });
  });
});

describe('rejected handshakes and 401s are logged with a reason (item 12)', () => {
  it('logs expired, bad signature, missing and wrong algorithm at info, never the token', async () => {
    const logs = captureLogs();
    const t = await createTestApp({ authMode: 'jwt', jwtSecret: SECRET }, { logger: logs.logger });
    const expired = await token('alice', { exp: now() - 3600 });
    const forged = await new SignJWT({ sub: 'alice', exp: now() + 600 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough-0123'));
    const wrongAlg = await new SignJWT({ sub: 'alice', exp: now() + 600 }).setProtectedHeader({ alg: 'HS512' }).sign(key);
    const cases = [
      ['expired', { token: expired }],
      ['bad_signature', { token: forged }],
      ['missing', {}],
      ['wrong_algorithm', { token: wrongAlg }],
    ] as const;
    for (const [reason, auth] of cases) {
      await t.open('customer', { auth }).connectError();
      const line = await logs.waitFor((l) => l.msg?.startsWith('handshake rejected') && l.reason === reason);
      expect(line).toMatchObject({ level: 30, namespace: 'customer' });
    }
    const history = `${t.url}/v1/chat/?roomToken=x&namespace=customer`;
    expect((await fetch(history, { headers: { authorization: `Bearer ${expired}` } })).status).toBe(401);
    await logs.waitFor((l) => l.msg?.startsWith('request unauthorized') && l.reason === 'expired' && l.path === '/v1/chat/');
    expect((await fetch(history)).status).toBe(401);
    await logs.waitFor((l) => l.msg?.startsWith('request unauthorized') && l.reason === 'missing');
    for (const secret of [expired, forged, wrongAlg]) expect(logs.text()).not.toContain(secret.split('.')[2]);
  });

  it('logs a trusted-mode handshake refused for a malformed id', async () => {
    const logs = captureLogs();
    const t = await createTestApp({}, { logger: logs.logger });
    await t.open('customer', { query: { userId: 'has space' } }).connectError();
    await logs.waitFor((l) => l.msg?.startsWith('handshake rejected') && l.reason === 'invalid_payload');
  });
});

describe('one argument per server event by default (item 7)', () => {
  it('delivers a broadcast message with exactly one argument when recovery is not configured', async () => {
    const t = await createTestApp();
    expect(t.app.config.recoveryWindowMs).toBe(0);
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const listener = raw(`${t.url}/customer`, { query: { userId: 'v1' } });
    const seen: Array<{ event: string; args: unknown[] }> = [];
    listener.onAny((event: string, ...args: unknown[]) => seen.push({ event, args }));
    await new Promise<void>((resolve) => listener.once('connect', () => resolve()));
    await c.request('message', { roomToken: 'tok', message: 'one arg' });
    await vi.waitUntil(() => seen.some((s) => s.event === 'message'), { timeout: 5000 });
    const message = seen.find((s) => s.event === 'message')!;
    expect(message.args).toHaveLength(1);
    expect(message.args[0]).toMatchObject({ message: 'one arg' });
    for (const { args } of seen) expect(args).toHaveLength(1);
  });

  it('adds the recovery offset only when recoveryWindowMs turns recovery on', async () => {
    const t = await createTestApp({ recoveryWindowMs: 60_000 });
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const listener = raw(`${t.url}/customer`, { query: { userId: 'v1' } });
    const args: unknown[][] = [];
    listener.on('message', (...received: unknown[]) => args.push(received));
    await new Promise<void>((resolve) => listener.once('connect', () => resolve()));
    await c.request('message', { roomToken: 'tok', message: 'two args' });
    await vi.waitUntil(() => args.length > 0, { timeout: 5000 });
    expect(args[0]).toHaveLength(2);
  });
});
