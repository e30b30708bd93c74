/**
 * Presence across two nodes (in-process apps on one database and one Redis): a notice decided before awaits
 * must not overtake a newer one. The offline of a user's last disconnect on node A is held up (its storage
 * write is slow); meanwhile the user reconnects on node B, whose online goes out first. The late offline
 * must then not be sent, or the counterpart would show an online user as offline.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { KyselyLastSeen } from '../src/store/kysely-reads.js';
import { watchDisconnects } from './support/presence-probe.js';
import { deleteRedisKeys, explainSkip, redisUrl } from './support/services.js';
import { activeRoom, createTestApp, tempDir } from './support/test-app.js';

const redis = redisUrl();
if (!redis) explainSkip('presence-cluster', 'TEST_REDIS_URL');

describe.skipIf(!redis)('presence across nodes', () => {
  it('never lets a stale offline overtake a quick reconnect on another node', async () => {
    const prefix = `parley-test-${randomBytes(4).toString('hex')}:`;
    const dbPath = join(tempDir(), 'shared.db');
    const a = await createTestApp({ redisUrl: redis, redisKeyPrefix: prefix }, { dbPath });
    const b = await createTestApp({ redisUrl: redis, redisKeyPrefix: prefix }, { dbPath });
    try {
      const c = await a.connect('c1');
      const v = await a.connect('v1');
      await activeRoom(c, v, 'c1', 'v1', 'tok');
      await c.waitForPrivate('online', (p) => p.userId === 'v1');

      // A fault: node A's write of v1's last-seen time hangs until released.
      let reached!: () => void;
      const slowWriteReached = new Promise<void>((resolve) => (reached = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const original = KyselyLastSeen.prototype.setLastSeen;
      const spy = vi.spyOn(KyselyLastSeen.prototype, 'setLastSeen').mockImplementationOnce(async function (this: KyselyLastSeen, ...args) {
        reached();
        await released;
        return original.apply(this, args);
      });
      const disconnects = watchDisconnects();
      try {
        v.close();
        await slowWriteReached; // node A has decided "v1 went offline" and is still writing
        const back = await b.connect('v1'); // the user is back, on node B
        await c.waitForPrivate('online', (p) => p.userId === 'v1');
        expect((await back.waitForPrivate('list-online-user')).data.users).toEqual(['c1']);
        release();
        await disconnects.handled(1);
        await c.barrier();
      } finally {
        release();
        spy.mockRestore();
      }
      const notices = c.all('private', (p) => (p.event === 'online' || p.event === 'offline') && p.userId === 'v1').map((p) => p.event);
      expect(notices.at(-1)).toBe('online');
      expect(notices).toEqual(['online', 'online']); // the stale offline was dropped
      const relist = await a.connect('c1');
      expect((await relist.waitForPrivate('list-online-user')).data.users).toEqual(['v1']);
    } finally {
      await a.close();
      await b.close();
      await deleteRedisKeys(redis!, prefix);
    }
  });
});
