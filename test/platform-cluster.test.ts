/**
 * The platform API and webhooks with several nodes: in-process apps sharing one PostgreSQL database and one
 * Redis (the Socket.IO streams adapter), real sockets on different nodes.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ParleyPlatformClient } from '../src/client/server.js';
import type { ConfigInput } from '../src/config/schema.js';
import { API_KEY } from './support/platform.js';
import { createTempPgDatabase, databaseUrl, deleteRedisKeys, explainSkip, redisUrl } from './support/services.js';
import { activeRoom, createTestApp, type TestApp } from './support/test-app.js';
import { TEST_WEBHOOK_SECRET, WebhookReceiver } from './support/webhook-receiver.js';

const pg = databaseUrl();
const redis = redisUrl();
const missing = [...(pg ? [] : ['TEST_DATABASE_URL']), ...(redis ? [] : ['TEST_REDIS_URL'])];
if (missing.length > 0) explainSkip('platform-cluster', missing);

async function cluster(count: number, extra: Partial<ConfigInput> = {}): Promise<TestApp[]> {
  const database = await createTempPgDatabase(pg!);
  const prefix = `parley-platform-${randomBytes(4).toString('hex')}:`;
  onTestFinished(async () => {
    await database.drop();
    await deleteRedisKeys(redis!, prefix);
  });
  const nodes: TestApp[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push(await createTestApp({ databaseUrl: database.url, redisUrl: redis!, redisKeyPrefix: prefix, apiKeys: [API_KEY], ...extra }));
  }
  return nodes;
}

const api = (node: TestApp) => new ParleyPlatformClient({ url: node.url, apiKey: API_KEY });

describe.skipIf(missing.length > 0)('platform on PostgreSQL + Redis, several nodes', () => {
  it('a ban on one node cuts the user on every node within a second and refuses its connects everywhere', async () => {
    const [n1, n2] = await cluster(2);
    const onN1 = await n1!.connect('c1');
    const onN2 = await n2!.connect('c1');
    const vendor = await n2!.connect('v1');
    const cut = [onN1, onN2].map((client) => new Promise<number>((resolve) => client.socket.once('disconnect', () => resolve(Date.now()))));
    const started = Date.now();
    await api(n1!).ban('customer', 'c1', { reason: 'fraud' });
    for (const client of [onN1, onN2]) expect((await client.waitForPrivate('banned')).error.code).toBe('forbidden');
    for (const at of await Promise.all(cut)) expect(at - started).toBeLessThan(1000);
    expect(vendor.socket.connected).toBe(true);
    for (const node of [n1!, n2!]) {
      expect((await node.open('customer', { query: { userId: 'c1' } }).connectError()).data.code).toBe('forbidden');
    }
    await api(n2!).unban('customer', 'c1');
    await n1!.connect('c1');
  });

  it('room-closed, joined and message notices reach members on every node; a closed room is refused on every node', async () => {
    const [n1, n2] = await cluster(2);
    const c = await n1!.connect('c1');
    const v = await n2!.connect('v1');
    const { room } = await api(n1!).putRoom('customer', 'order-1', { customerID: 'c1', vendorID: 'v1', status: 'pending' });
    expect((await v.waitFor('join-room')).data.room).toEqual(room);
    await api(n1!).putRoom('customer', 'order-1', { customerID: 'c1', vendorID: 'v1' });
    for (const client of [c, v]) expect((await client.waitFor('joined')).data.room.status).toBe('active');
    // Node 2 now caches the room as active.
    expect((await v.request('message', { roomToken: 'order-1', message: 'hello' })).success).toBe(true);
    const { message } = await api(n1!).postMessage('customer', 'order-1', { message: 'Order #1 shipped', data: { order: 1 } });
    expect(await v.waitFor('message', (m) => m._id === message._id)).toEqual(message);
    await api(n1!).closeRoom('customer', 'order-1');
    for (const client of [c, v]) expect((await client.waitFor('room-closed')).data.room.status).toBe('closed');
    expect((await v.request('message', { roomToken: 'order-1', message: 'after close' })).error.code).toBe('room_not_active');
    expect((await c.request('typing', { roomToken: 'order-1' })).error.code).toBe('room_not_active');
  });

  it('each delivery is made by exactly one of three nodes (no duplicates to a healthy endpoint), in order per room', async () => {
    const receiver = await WebhookReceiver.start();
    const nodes = await cluster(3, { webhookUrls: [receiver.url], webhookSecret: TEST_WEBHOOK_SECRET, webhookPollMs: 20 });
    const clients = await Promise.all(nodes.map((node, i) => Promise.all([node.connect(`c${i}`), node.connect(`v${i}`)])));
    await Promise.all(clients.map(([c, v], i) => activeRoom(c, v, `c${i}`, `v${i}`, `room${i}`)));
    const sent = await Promise.all(
      clients.map(async ([c], i) => {
        const ids: string[] = [];
        for (let k = 0; k < 15; k++) ids.push((await c.request('message', { roomToken: `room${i}`, message: `m${k}` })).data.message._id);
        return ids;
      }),
    );
    const expected = 3 * 2 + 45; // room.created + room.accepted per room, and the messages
    await receiver.until((all) => all.length >= expected);
    // A barrier through every node's outbox: one more event, after which every earlier one has been attempted.
    await api(nodes[0]!).ban('customer', 'nobody');
    await receiver.waitFor('user.banned');
    const ids = receiver.received.map((h) => h.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(expected + 1);
    // Two nodes attempting one delivery would both count an attempt.
    await expect.poll(async () => (await api(nodes[1]!).deliveries({ status: 'pending' })).length).toBe(0);
    const log = await api(nodes[2]!).deliveries({ limit: 1000 });
    expect(log).toHaveLength(expected + 1);
    expect(log.every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
    for (let i = 0; i < 3; i++) {
      const order = receiver.ofType('message.created').filter((h) => h.body.data.message.roomToken === `room${i}`).map((h) => h.body.data.message._id);
      expect(order).toEqual(sent[i]);
    }
  });
});
