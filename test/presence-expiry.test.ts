/**
 * A SIGKILLed node's users go offline for their counterparts within the configured bound
 * (PRESENCE_TTL_SECONDS; 30 s by default). Two real node processes on one database and one Redis, a short
 * bound (3 s); the assertion uses the bound computed from that configuration.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { presenceTimings } from '../src/presence/redis-presence.js';
import { TestClient } from './support/client.js';
import { startNode } from './support/node-process.js';
import { writeConfig } from './support/server-process.js';
import { createTempPgDatabase, databaseUrl, deleteRedisKeys, explainSkip, redisUrl } from './support/services.js';
import { activeRoom, tempDir } from './support/test-app.js';

const redis = redisUrl();
if (!redis) explainSkip('presence-expiry', 'TEST_REDIS_URL');

const TTL_SECONDS = 3;
/** Timer delays, a Redis round trip, the survivor's storage queries and the delivery, on a busy CI machine. */
const SLACK_MS = 1500;

describe('presence expiry bound', () => {
  it('is at most 30 s by default, and never more than PRESENCE_TTL_SECONDS', () => {
    const ttl = loadConfig({ env: { NODE_ENV: 'test' } }).presenceTtlSeconds;
    expect(presenceTimings(ttl).boundMs).toBeLessThanOrEqual(30_000);
    for (const seconds of [3, 10, 30, 120]) expect(presenceTimings(seconds).boundMs).toBeLessThanOrEqual(seconds * 1000);
  });

  it.skipIf(!redis)('announces a SIGKILLed node’s users offline within the configured bound', async () => {
    const prefix = `parley-test-${randomBytes(4).toString('hex')}:`;
    onTestFinished(() => deleteRedisKeys(redis!, prefix));
    const dir = tempDir();
    const pgAdmin = databaseUrl();
    const pg = pgAdmin ? await createTempPgDatabase(pgAdmin) : undefined;
    if (pg) onTestFinished(() => pg.drop());
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: pg?.url ?? `sqlite:${join(dir, 'shared.db')}`,
      REDIS_URL: redis!,
      REDIS_KEY_PREFIX: prefix,
      PRESENCE_TTL_SECONDS: String(TTL_SECONDS),
      LOG_LEVEL: 'warn',
      CONFIG_FILE: writeConfig(dir),
    };
    const doomed = await startNode('doomed', env);
    const survivor = await startNode('survivor', env);
    const clients: TestClient[] = [];
    onTestFinished(async () => {
      for (const client of clients) client.close();
      await Promise.all([doomed.stop(), survivor.stop()]);
    });
    const open = (url: string, userId: string) => {
      const client = TestClient.open(url, 'customer', { query: { userId } });
      clients.push(client);
      return client.connected();
    };
    const c = await open(doomed.url, 'c1');
    const v = await open(survivor.url, 'v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    await v.waitForPrivate('online', (p) => p.userId === 'c1');

    const { boundMs } = presenceTimings(TTL_SECONDS);
    const killedAt = performance.now();
    doomed.child.kill('SIGKILL');
    await v.waitForPrivate('offline', (p) => p.userId === 'c1', boundMs + SLACK_MS + 2000);
    const elapsed = performance.now() - killedAt;
    console.log(`[presence-expiry] offline ${Math.round(elapsed)} ms after SIGKILL (bound ${boundMs} ms for ${TTL_SECONDS} s)`);
    expect(elapsed).toBeLessThanOrEqual(boundMs + SLACK_MS);
    expect(await doomed.exited).toBe('SIGKILL');
  }, 60_000);
});
