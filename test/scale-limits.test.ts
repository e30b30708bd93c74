/**
 * What several nodes share through Redis besides broadcasts and presence: per-user rate budgets (one
 * budget for a user whatever nodes its devices are on) and the bounded broadcast stream (its length is
 * a setting). Two in-process apps on one database and one Redis, a fresh key prefix per test.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import type { ConfigInput } from '../src/config/schema.js';
import { deleteRedisKeys, explainSkip, redisUrl } from './support/services.js';
import { wav } from './support/media.js';
import { activeRoom, createTestApp, tempDir } from './support/test-app.js';
import { upload } from './support/uploads.js';

const redis = redisUrl();
if (!redis) explainSkip('scale-limits', 'TEST_REDIS_URL');

const generous = { points: 100_000, durationSeconds: 1 };

async function twoNodes(overrides: Partial<ConfigInput> = {}) {
  const prefix = `parley-test-${randomBytes(4).toString('hex')}:`;
  onTestFinished(() => deleteRedisKeys(redis!, prefix));
  const dbPath = join(tempDir(), 'shared.db');
  const config = { redisUrl: redis, redisKeyPrefix: prefix, ...overrides };
  const a = await createTestApp(config, { dbPath });
  const b = await createTestApp(config, { dbPath });
  return { a, b, prefix };
}

describe('scale-out settings', () => {
  it('reads the stream length from REDIS_STREAM_MAX_LEN (default 10,000)', () => {
    expect(loadConfig({ env: { NODE_ENV: 'test' } }).redisStreamMaxLen).toBe(10_000);
    expect(loadConfig({ env: { NODE_ENV: 'test', REDIS_STREAM_MAX_LEN: '2500' } }).redisStreamMaxLen).toBe(2500);
    expect(() => loadConfig({ env: { NODE_ENV: 'test', REDIS_STREAM_MAX_LEN: '10' } })).toThrow(/redisStreamMaxLen/);
  });
});

describe.skipIf(!redis)('scale-out limits on Redis', () => {
  it('holds one per-user message budget across nodes (two devices on each of two nodes)', async () => {
    // 3 per socket, so 6 per user, per minute (no refill during the test).
    const message = { points: 3, durationSeconds: 60 };
    const rateLimits = { message, typing: generous, joinRoom: generous, other: generous, history: generous };
    const { a, b } = await twoNodes({ rateLimits });
    const u = await a.connect('u');
    const peer = await b.connect('peer');
    await activeRoom(u, peer, 'u', 'peer', 'tok');
    const devices = [u, await a.connect('u'), await b.connect('u'), await b.connect('u')];

    const acks = [];
    for (const device of devices) {
      for (let i = 0; i < 3; i++) acks.push(await device.request('message', { roomToken: 'tok', message: `m${i}` }));
    }
    const accepted = acks.filter((ack) => ack.success).length;
    expect(accepted).toBe(6); // per node it would be 6 + 6
    for (const ack of acks.filter((x) => !x.success)) expect(ack.error.code).toBe('rate_limited');
  });

  it('holds one per-user upload budget across nodes', async () => {
    const { a, b } = await twoNodes({ uploadRateLimit: { points: 3, durationSeconds: 60 } });
    const statuses = [];
    for (const node of [a, b, a, b, a]) statuses.push((await upload(node, wav())).status);
    expect(statuses).toEqual([201, 201, 201, 429, 429]); // per node it would be 3 + 3
  });

  it('caps the broadcast stream at redisStreamMaxLen entries', async () => {
    const { a, b, prefix } = await twoNodes({ redisStreamMaxLen: 100 });
    const c = await a.connect('c');
    const v = await b.connect('v');
    await activeRoom(c, v, 'c', 'v', 'tok');
    for (let i = 0; i < 500; i++) expect((await c.request('typing', { roomToken: 'tok' })).success).toBe(true);
    await v.waitFor('typing', () => true);
    const admin = new Redis(redis!, { maxRetriesPerRequest: 1 });
    try {
      // Redis trims approximately (`MAXLEN ~`), whole nodes of 100 entries at a time.
      expect(await admin.xlen(`${prefix}stream`)).toBeLessThanOrEqual(200);
    } finally {
      admin.disconnect();
    }
  }, 30_000);
});
