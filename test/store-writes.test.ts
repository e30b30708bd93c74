/**
 * Message writes under faults and concurrency, on every store (SQLite always, PostgreSQL when
 * TEST_DATABASE_URL is set): one bad row never fails the other rows of its batch; two nodes writing
 * interleaved batches into the same rooms neither deadlock nor move a room's last message backwards; ids
 * commit in order per user, whatever the writers' clocks.
 */
import { randomUUID } from 'node:crypto';
import { decodeTime, monotonicFactory, ulid as ulidAt } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '../src/protocol/index.js';
import { MessageWriter } from '../src/services/message-writer.js';
import type { ChatStore, MessageRepository, StoredMessage } from '../src/store/chat-store.js';
import { openStore } from '../src/store/open-store.js';
import { createTempPgDatabase, createTempSqliteDatabase, databaseUrl, explainSkip, type TempDatabase } from './support/services.js';

const pgAdminUrl = databaseUrl();
if (!pgAdminUrl) explainSkip('store-writes/postgres', 'TEST_DATABASE_URL');

const backends = [
  { name: 'sqlite', enabled: true, create: async () => createTempSqliteDatabase() },
  { name: 'postgres', enabled: Boolean(pgAdminUrl), create: () => createTempPgDatabase(pgAdminUrl!) },
] as const;

const open = (url: string) => openStore({ databaseUrl: url, sqliteSynchronous: 'NORMAL' });
const ulid = monotonicFactory();

/** What PostgreSQL raises for a U+0000 in text: the fault a bad row causes. */
function badRow(): Error {
  return Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
}

/** The real repository, except that a batch holding a message whose text starts with "poison" fails. */
function faulty(repo: MessageRepository, calls: number[]): MessageRepository {
  return new Proxy(repo, {
    get(target, prop, receiver) {
      if (prop !== 'insertBatch') return Reflect.get(target, prop, receiver);
      return async (rows: StoredMessage[]) => {
        calls.push(rows.length);
        if (rows.some((m) => m.message.startsWith('poison'))) throw badRow();
        return target.insertBatch(rows);
      };
    },
  });
}

for (const backend of backends) {
  describe.skipIf(!backend.enabled)(`message writes: ${backend.name}`, () => {
    let db: TempDatabase;
    let store: ChatStore;
    let ns: string;

    beforeAll(async () => {
      db = await backend.create();
      store = await open(db.url);
    });
    afterAll(async () => {
      await store?.close();
      await db?.drop();
    });

    async function room(customer: string, vendor: string): Promise<Room> {
      const token = `t-${randomUUID()}`;
      const at = Date.now();
      const inserted = await store.rooms.insert(ns, {
        _id: ulid(at), roomID: token, roomToken: token, customerID: customer, vendorID: vendor,
        createdBy: customer, status: 'pending', createdAt: new Date(at).toISOString(),
      });
      await store.rooms.activate(inserted._id);
      return inserted;
    }

    function message(r: Room, text: string, id = ulid()): StoredMessage {
      return {
        namespace: ns, _id: id, message: text, message_type: 'text', senderId: r.customerID, receiverId: r.vendorID,
        room_id: r._id, roomToken: r.roomToken, dt: new Date(decodeTime(id)).toISOString(),
      };
    }

    it('stores every other message of a batch in which one row fails, and fails only that one', async () => {
      ns = `ns-${randomUUID()}`;
      const r = await room('c', 'v');
      const calls: number[] = [];
      const writer = new MessageWriter(faulty(store.messages, calls), { batchSize: 256, delayMs: 0 });
      const texts = Array.from({ length: 40 }, (_, i) => (i === 17 || i === 31 ? `poison ${i}` : `fine ${i}`));
      const outcomes = await Promise.allSettled(texts.map((text) => writer.write(message(r, text))));

      expect(calls[0]).toBe(40); // one batch, which failed
      outcomes.forEach((o, i) => {
        if (texts[i]!.startsWith('poison')) expect(o).toMatchObject({ status: 'rejected', reason: { code: '22021' } });
        else expect(o.status, texts[i]).toBe('fulfilled');
      });
      const stored = await store.messages.afterInRoom(r._id, '', 100);
      expect(stored.map((m) => m.message)).toEqual(texts.filter((t) => !t.startsWith('poison')));
      expect(await store.messages.countInRoom(r._id)).toBe(38);
      // Bisection: far fewer transactions than one per message.
      expect(calls.length).toBeLessThan(30);
    });

    it('fails the whole batch at once when storage is unreachable (no retries one by one)', async () => {
      ns = `ns-${randomUUID()}`;
      const r = await room('c', 'v');
      let calls = 0;
      const down = new Proxy(store.messages, {
        get: (target, prop, receiver) =>
          prop === 'insertBatch'
            ? async () => {
                calls += 1;
                throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
              }
            : Reflect.get(target, prop, receiver),
      });
      const writer = new MessageWriter(down, { batchSize: 256, delayMs: 0 });
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => writer.write(message(r, `m${i}`))));
      expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
      expect(calls).toBe(1);
    });

    it('lets two nodes write interleaved batches into the same rooms: no deadlock, last message = greatest id, every message counted', async () => {
      ns = `ns-${randomUUID()}`;
      const other = await open(db.url); // a second node: its own connection pool
      try {
        const rooms = await Promise.all(Array.from({ length: 12 }, (_, i) => room(`c${i}`, `v${i}`)));
        const reversed = [...rooms].reverse();
        for (let round = 0; round < 15; round++) {
          // Node B's ids are made first (smaller), node A's later; they commit in whatever order they manage.
          const fromB = reversed.flatMap((r) => [message(r, `b${round}`), message(r, `b${round}'`)]);
          const fromA = rooms.flatMap((r) => [message(r, `a${round}`), message(r, `a${round}'`)]);
          const results = await Promise.allSettled([store.messages.insertBatch(fromA), other.messages.insertBatch(fromB)]);
          expect(results.map((x) => (x.status === 'rejected' ? String(x.reason) : 'ok'))).toEqual(['ok', 'ok']);
        }
        for (const r of rooms) {
          const all = await store.messages.afterInRoom(r._id, '', 1000);
          expect(all).toHaveLength(60);
          expect(await store.messages.countInRoom(r._id)).toBe(60);
          const listing = (await store.rooms.listForUser(ns, r.customerID, 10))[0]!;
          expect(listing.lastMessage?._id).toBe(all.at(-1)!._id);
        }
      } finally {
        await other.close();
      }
    }, 60_000);

    it('gives a message from a lagging clock an id above what its users already have, in order', async () => {
      ns = `ns-${randomUUID()}`;
      const r = await room('c', 'v');
      const [now] = await store.messages.insertBatch([message(r, 'from a node with a good clock')]);
      // Plain (not monotonic) ULIDs a minute old: what a node whose clock lags makes.
      const late = ulidAt(Date.now() - 60_000);
      const lagging = [message(r, 'late 1', late), message(r, 'late 2', `${late.slice(0, 25)}${late.at(-1) === 'Z' ? 'Y' : 'Z'}`)].sort((a, b) => (a._id < b._id ? -1 : 1));
      const stored = await store.messages.insertBatch(lagging);
      expect(stored[0]!._id > now!._id).toBe(true);
      expect(stored[1]!._id > stored[0]!._id).toBe(true);
      for (const m of stored) expect(Date.parse(m.dt)).toBe(decodeTime(m._id));
      expect((await store.messages.afterInRoom(r._id, now!._id, 10)).map((m) => m.message)).toEqual(lagging.map((m) => m.message));
    });
  });
}
