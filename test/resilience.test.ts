/**
 * Losing Redis or PostgreSQL for a few seconds: the node stays up, `/readyz` says which dependency is down,
 * events answer (`internal` where they need the missing dependency, never silence), and everything works
 * again once the dependency is back. See docs/scaling.md, "Failure modes".
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { TestClient } from './support/client.js';
import { createRedisServer, createTempPgDatabase, databaseUrl, explainSkip, hasRedisServer } from './support/services.js';
import { activeRoom, createTestApp, tempDir, type TestApp } from './support/test-app.js';
import { waitUntil } from './support/wait-until.js';

const canRunRedis = hasRedisServer();
if (!canRunRedis) console.warn('[resilience] Redis blip skipped: no redis-server binary on PATH (apt-get install redis-server).');
const pgAdminUrl = databaseUrl();
if (!pgAdminUrl) explainSkip('resilience: PostgreSQL outage', 'TEST_DATABASE_URL');

const PREFIX = 'resilience:';
/** Long enough for an event that waits out ioredis' bounded retries (about 2 s) during an outage. */
const OUTAGE_ACK_MS = 8000;

async function readiness(t: TestApp): Promise<{ status: number; body: any }> {
  const res = await fetch(`${t.url}/readyz`);
  return { status: res.status, body: await res.json() };
}

async function waitForReadiness(t: TestApp, status: number): Promise<any> {
  let last: { status: number; body: any } | undefined;
  await waitUntil(`/readyz to answer ${status}`, async () => (last = await readiness(t)).status === status, 10_000);
  return last!.body;
}

function ackWithin(client: TestClient, ms: number, event: string, payload: unknown): Promise<any> {
  return client.socket.timeout(ms).emitWithAck(event, payload);
}

describe.skipIf(!canRunRedis)('resilience: a Redis blip', () => {
  it('keeps both nodes up, answers every event, says redis is down, and recovers by itself', async () => {
    const redis = await createRedisServer();
    await redis.start();
    onTestFinished(() => redis.kill());
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    admin.on('error', () => {}); // it loses Redis on purpose, like the nodes
    onTestFinished(() => admin.disconnect());

    const dbPath = join(tempDir(), 'shared.db');
    const overrides = { redisUrl: redis.url, redisKeyPrefix: PREFIX, presenceTtlSeconds: 3 };
    const a = await createTestApp(overrides, { dbPath });
    const b = await createTestApp(overrides, { dbPath });
    const c = await a.connect('c1', 'customer', 'customerID');
    const v = await b.connect('v1', 'customer', 'vendorID');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    expect(await readiness(a)).toMatchObject({ status: 200, body: { checks: { storage: 'up', redis: 'up' } } });

    await redis.kill();
    await duringRedisOutage(a, c);

    await redis.start();
    await waitForReadiness(a, 200);
    await waitForReadiness(b, 200);
    await afterRedisOutage(a, c, v, admin);
  }, 60_000);
});

async function duringRedisOutage(a: TestApp, c: TestClient): Promise<void> {
  const body = await waitForReadiness(a, 503);
  expect(body).toMatchObject({ success: false, error: { code: 'internal' }, checks: { storage: 'up', redis: 'down' } });
  expect(body.error.message).toMatch(/redis/);

  // Stored and acknowledged; the node's own sockets still get it (other nodes cannot, until Redis is back).
  const sent = await ackWithin(c, OUTAGE_ACK_MS, 'message', { roomToken: 'tok', message: 'during', clientMsgId: 'r1' });
  expect(sent).toMatchObject({ success: true, data: { message: { message: 'during' } } });
  await c.waitFor('message', (m) => m._id === sent.data.message._id, OUTAGE_ACK_MS);
  expect(await ackWithin(c, OUTAGE_ACK_MS, 'typing', { roomToken: 'tok' })).toEqual({ success: true });
  const created = await ackWithin(c, OUTAGE_ACK_MS, 'join-room', { customerID: 'c1', vendorID: 'v2', roomToken: 'tok2' });
  expect(created).toMatchObject({ success: true, data: { room: { roomToken: 'tok2', status: 'pending' } } });

  // A new connection needs the shared presence: refused with `internal`, not left hanging.
  const refused = await a.open('customer', { query: { customerID: 'c1' } }).connectError();
  expect(refused.data).toMatchObject({ code: 'internal' });
  expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
}

async function afterRedisOutage(a: TestApp, c: TestClient, v: TestClient, admin: Redis): Promise<void> {
  const after = await c.request('message', { roomToken: 'tok', message: 'after' });
  await v.waitFor('message', (m) => m._id === after.data.message._id, 5000);

  // Redis came back empty: each node re-registers its live sockets at its next heartbeat.
  const sockets = (user: string) => admin.hlen(`${PREFIX}{presence}:u:${JSON.stringify(['customer', user])}`);
  await waitUntil('both users to be registered again', async () => (await sockets('c1')) === 1 && (await sockets('v1')) === 1, 5000);
  v.close();
  await c.waitForPrivate('offline', (p) => p.userId === 'v1', 5000);

  const again = await a.connect('c1', 'customer', 'customerID');
  const list = await again.waitForPrivate('list-room');
  expect(list).toMatchObject({ success: true });
  expect(list.data.rooms.map((r: { roomToken: string }) => r.roomToken).sort()).toEqual(['tok', 'tok2']);
}

describe.skipIf(!pgAdminUrl)('resilience: a PostgreSQL outage', () => {
  it('keeps the node up, answers internal while the database refuses connections, and recovers by itself', async () => {
    const database = await createTempPgDatabase(pgAdminUrl!);
    onTestFinished(() => database.drop()); // registered first, so it runs after the app is closed
    const name = new URL(database.url).pathname.slice(1);
    const t = await createTestApp({ databaseUrl: database.url });
    const c = await t.connect('c1', 'customer', 'customerID');
    const v = await t.connect('v1', 'customer', 'vendorID');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    expect(await c.request('message', { roomToken: 'tok', message: 'before', clientMsgId: 'p0' })).toMatchObject({ success: true });

    await setConnectable(name, false);
    onTestFinished(() => setConnectable(name, true));
    await duringPgOutage(t, c);

    await setConnectable(name, true);
    await waitForReadiness(t, 200);
    const retried = await c.request('message', { roomToken: 'tok', message: 'retry', clientMsgId: 'p1' });
    expect(retried).toMatchObject({ success: true, data: { message: { message: 'retry', clientMsgId: 'p1' } } });
    await v.waitFor('message', (m) => m._id === retried.data.message._id);
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.messages.map((m: { clientMsgId?: string }) => m.clientMsgId)).toEqual(['p1', 'p0']);
  }, 60_000);
});

async function duringPgOutage(t: TestApp, c: TestClient): Promise<void> {
  const body = await waitForReadiness(t, 503);
  expect(body).toMatchObject({ success: false, checks: { storage: 'down' } });
  expect(body.error.message).toMatch(/storage/);

  const failed = await ackWithin(c, OUTAGE_ACK_MS, 'message', { roomToken: 'tok', message: 'lost?', clientMsgId: 'p1' });
  expect(failed).toMatchObject({ success: false, error: { code: 'internal' } });
  c.send('message', { roomToken: 'tok', message: 'no ack', clientMsgId: 'p2' });
  const notice = await c.waitForPrivate('message', (p) => p.success === false, OUTAGE_ACK_MS);
  expect(notice.error.code).toBe('internal');
  // typing is checked against the member's blocks (§13), which live in storage: refused, never let through.
  expect(await ackWithin(c, OUTAGE_ACK_MS, 'typing', { roomToken: 'tok' })).toMatchObject({ success: false, error: { code: 'internal' } });

  const history = await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`);
  expect(history.status).toBe(500);
  expect(await history.json()).toMatchObject({ success: false, error: { code: 'internal' } });
  // A new connection cannot be checked against the ban list while storage is down: it is refused (fails closed).
  const late = t.open('customer', { query: { customerID: 'c1' } });
  expect((await late.connectError()).data).toMatchObject({ code: 'internal' });
  expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
}

/** Refuses (or allows) new connections to the database, and ends the ones it has: PostgreSQL "down" for it. */
async function setConnectable(name: string, connectable: boolean): Promise<void> {
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS ${connectable}`);
    if (!connectable) {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    }
  } finally {
    await admin.end();
  }
}
