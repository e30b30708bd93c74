/**
 * What the webhook outbox adds to a chat write batch on SQLite: the same batches of messages through
 * Parley's own message repository with the outbox off and on (one URL). Prints µs per message.
 * Run: `tsx bench/outbox-cost.ts [--batch 8] [--ms 3000]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Room } from '../src/protocol/index.js';
import { systemClock } from '../src/services/clock.js';
import { createIdGenerator } from '../src/services/ids.js';
import { openStore } from '../src/store/open-store.js';
import type { StoredMessage } from '../src/store/chat-store.js';
import { Outbox } from '../src/webhooks/outbox.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

async function measure(urls: string[], batch: number, ms: number, dispatch = false): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-outbox-'));
  const ids = createIdGenerator(systemClock);
  const hooks = new Outbox({ urls, unreadDelayMs: 60_000, ids, clock: systemClock });
  const store = await openStore({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, sqliteSynchronous: 'NORMAL', hooks });
  try {
    const rooms: Room[] = [];
    for (let i = 0; i < 500; i++) {
      const room = await store.rooms.insert('customer', {
        _id: ids.next(), roomID: `room-${i}`, roomToken: `room-${i}`, customerID: `c${i}`, vendorID: `v${i}`, createdBy: `c${i}`,
        status: 'active', createdAt: new Date().toISOString(),
      });
      rooms.push(room);
    }
    let n = 0;
    const next = (): StoredMessage => {
      const room = rooms[n % rooms.length]!;
      n++;
      return {
        namespace: 'customer', _id: ids.next(), message: 'hello there, is the blue vase still available?', message_type: 'text',
        senderId: room.customerID, receiverId: room.vendorID, room_id: room._id, roomToken: room.roomToken,
        clientMsgId: `m${n}`, dt: new Date().toISOString(),
      };
    };
    for (let i = 0; i < 200; i++) await store.messages.insertBatch(Array.from({ length: batch }, next));
    const start = n;
    const t0 = performance.now();
    let writing = 0;
    let collecting = 0;
    let i = 0;
    while (performance.now() - t0 < ms) {
      const t = performance.now();
      await store.messages.insertBatch(Array.from({ length: batch }, next));
      writing += performance.now() - t;
      if (dispatch && ++i % 4 === 0) {
        const c = performance.now();
        await deliverAll(store, urls);
        collecting += performance.now() - c;
      }
    }
    if (dispatch) console.log(`  dispatcher side (derive, claim, mark delivered): ${((collecting * 1000) / (n - start)).toFixed(1)} µs/msg`);
    return (writing * 1000) / (n - start);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// The store's own timers are unref'd (a server keeps the process alive); this script has nothing else.
const keepAlive = setInterval(() => {}, 1000);
async function deliverAll(store: Awaited<ReturnType<typeof openStore>>, urls: string[]) {
  while ((await store.platform.deliveries.collect(200)).derived === 200);
  const now = new Date();
  const claimed = await store.platform.deliveries.claimDue({
    now: now.toISOString(), leaseUntil: new Date(now.getTime() + 30_000).toISOString(), rooms: 16, urls, perRoom: 50, maxRows: 200,
  });
  await store.platform.deliveries.delivered(claimed.map((d) => ({ id: d.id, status: 200, at: now.toISOString() })));
}

const batch = arg('batch', 8);
const ms = arg('ms', 3000);
for (let round = 0; round < 2; round++) {
  const off = await measure([], batch, ms);
  const on = await measure(['http://127.0.0.1:9/hook'], batch, ms);
  const dispatched = await measure(['http://127.0.0.1:9/hook'], batch, ms, true);
  console.log(`batch ${batch}: off ${off.toFixed(1)} µs/msg, on ${on.toFixed(1)} µs/msg (${(on / off).toFixed(2)}×), on + deliveries marked ${dispatched.toFixed(1)} (${(dispatched / off).toFixed(2)}×)`);
}
clearInterval(keepAlive);
