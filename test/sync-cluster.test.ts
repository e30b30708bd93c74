/**
 * `sync` across nodes: three apps sharing one database (PostgreSQL in the `postgres` project) and one Redis.
 * Senders on all three nodes write to one room at once while a client catches up with `sync` in a loop,
 * always from the greatest `_id` it got: it must see every message exactly once (docs/protocol.md, sync). The
 * nodes' interleaved batches into the same rooms must neither deadlock nor move a room's last message backwards.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestClient } from './support/client.js';
import { deleteRedisKeys, explainSkip, redisUrl } from './support/services.js';
import { activeRoom, createTestApp, tempDir } from './support/test-app.js';

const redis = redisUrl();
if (!redis) explainSkip('sync-cluster', 'TEST_REDIS_URL');

const PER_SENDER = 120;
const WINDOW = 12;

async function sendMany(from: TestClient, roomToken: string, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < PER_SENDER; start += WINDOW) {
    const acks = await Promise.all(
      Array.from({ length: WINDOW }, (_, i) => from.request('message', { roomToken, message: `${tag} ${start + i}` })),
    );
    for (const ack of acks) {
      expect(ack.success, JSON.stringify(ack)).toBe(true);
      ids.push(ack.data.message._id);
    }
  }
  return ids;
}

/** Calls sync in a loop, each time from the greatest _id it got, until a call made after `finished()` is empty. */
function syncLoop(reader: TestClient, roomToken: string | undefined, finished: () => boolean) {
  const synced: string[] = [];
  let calls = 0;
  const done = (async () => {
    for (;;) {
      const last = finished(); // read before the call: a call that starts after the writers finished is final
      const since = synced.at(-1);
      const res = await reader.request('sync', { ...(since ? { since } : {}), ...(roomToken ? { roomToken } : {}) });
      expect(res.success, JSON.stringify(res)).toBe(true);
      calls += 1;
      for (const m of res.data.messages as Array<{ _id: string }>) synced.push(m._id);
      if (last && !res.data.hasMore) return;
    }
  })();
  return { synced, done, calls: () => calls };
}

describe.skipIf(!redis)('sync across three nodes', () => {
  it('never skips nor repeats a message, in one room or across rooms, syncing from the greatest _id held', async () => {
    const prefix = `parley-test-${randomBytes(4).toString('hex')}:`;
    const dbPath = join(tempDir(), 'shared.db');
    const nodes = [];
    for (let i = 0; i < 3; i++) nodes.push(await createTestApp({ redisUrl: redis, redisKeyPrefix: prefix, syncPageSize: 50 }, { dbPath }));
    const [n1, n2, n3] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    try {
      // c1 talks with v1 (room a) and v2 (room b); senders on all three nodes.
      const c = await n1.connect('c1');
      const v1 = await n2.connect('v1');
      const v2 = await n3.connect('v2');
      await activeRoom(c, v1, 'c1', 'v1', 'a');
      await activeRoom(c, v2, 'c1', 'v2', 'b');
      const c2 = await n3.connect('c1');

      let writing = true;
      const inRoom = syncLoop(await n1.connect('v1'), 'a', () => !writing);
      const allRooms = syncLoop(await n2.connect('c1'), undefined, () => !writing);
      const [toA1, toA2, toB1, toB2] = await Promise.all([
        sendMany(c, 'a', 'n1→a'),
        sendMany(v1, 'a', 'n2→a'),
        sendMany(v2, 'b', 'n3→b'),
        sendMany(c2, 'b', 'n3→b (2nd device)'),
      ]);
      writing = false;
      await Promise.all([inRoom.done, allRooms.done]);

      const check = (loop: ReturnType<typeof syncLoop>, expected: string[]) => {
        expect(loop.calls()).toBeGreaterThan(3);
        expect(new Set(loop.synced).size).toBe(loop.synced.length); // none twice
        expect([...loop.synced].sort()).toEqual([...expected].sort()); // every one
        expect(loop.synced).toEqual([...loop.synced].sort()); // oldest first
      };
      check(inRoom, [...toA1!, ...toA2!]);
      check(allRooms, [...toA1!, ...toA2!, ...toB1!, ...toB2!]);
      // The rooms, updated by three nodes' interleaved batches, name their greatest message as the last one.
      const rooms = (await (await n3.connect('c1')).waitForPrivate('list-room')).data.rooms as Array<{ roomToken: string; lastMessage: { _id: string } }>;
      const lastOf = (token: string) => rooms.find((r) => r.roomToken === token)!.lastMessage._id;
      expect(lastOf('a')).toBe([...toA1!, ...toA2!].sort().at(-1));
      expect(lastOf('b')).toBe([...toB1!, ...toB2!].sort().at(-1));
    } finally {
      for (const node of nodes) await node.close();
      await deleteRedisKeys(redis!, prefix);
    }
  }, 90_000);
});
