import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import { fastMonotonicFactory as monotonicFactory } from './lib/fast-ulid.js';

export interface SeedPlan {
  messages: number;
  rooms: number;
}

export interface Seeded {
  messages: number;
  rooms: number;
  ms: number;
  rowsPerSec: number;
  /** Ordinary rooms (messages spread evenly), a sample of their tokens. */
  smallTokens: string[];
  /** One big room holding a tenth of all messages: deep pages and cursors are taken there. */
  bigToken: string;
  bigTotal: number;
  /** A sample of message ids from the big room's middle, for `before=` cursor requests. */
  cursorIds: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Writes rooms and messages straight into Parley's SQLite file (schema already migrated by Parley).
 * Messages are in time order with ULIDs made from their own `dt`, as Parley makes them.
 */
export function seedHistory(path: string, plan: SeedPlan): Seeded {
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const t0 = performance.now();
  const base = Date.now() - plan.messages - 3_600_000;
  const roomIds = monotonicFactory();
  const rooms = Array.from({ length: plan.rooms }, (_, r) => ({
    id: roomIds(base - 1000),
    token: r === 0 ? 'hist-big' : `hist-${r}`,
    customer: `hc${r}`,
    vendor: `hv${r}`,
    last: null as null | { id: string; dt: string },
    count: 0,
  }));
  const all = insertMessages(db, plan, rooms, base);
  insertRooms(db, rooms, base);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const ms = performance.now() - t0;
  const big = rooms[0]!;
  return {
    messages: plan.messages,
    rooms: plan.rooms,
    ms: Math.round(ms),
    rowsPerSec: Math.round(((plan.messages + plan.rooms) * 1000) / ms),
    smallTokens: rooms.slice(1, 1001).map((r) => r.token),
    bigToken: big.token,
    bigTotal: big.count,
    cursorIds: all.cursorIds,
  };
}

type SeedRoom = { id: string; token: string; customer: string; vendor: string; last: null | { id: string; dt: string }; count: number };

function insertMessages(db: SQLite.Database, plan: SeedPlan, rooms: SeedRoom[], base: number): { cursorIds: string[] } {
  const insert = db.prepare(
    'insert into messages (id, namespace, room_id, room_token, sender_id, receiver_id, body, message_type, client_msg_id, dt) values (?, ?, ?, ?, ?, ?, ?, ?, null, ?)',
  );
  const nextId = monotonicFactory();
  const bigShare = Math.floor(plan.messages / 10);
  const cursorIds: string[] = [];
  const every = Math.max(1, Math.floor(bigShare / 2 / 1000));
  const chunk = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const room = i % 10 === 0 || rooms.length === 1 ? rooms[0]! : rooms[1 + (i % (rooms.length - 1))]!;
      const ts = base + i;
      const id = nextId(ts);
      const dt = iso(ts);
      const fromVendor = room.count % 2 === 1;
      const [sender, receiver] = fromVendor ? [room.vendor, room.customer] : [room.customer, room.vendor];
      insert.run(id, 'customer', room.id, room.token, sender, receiver, `seeded message ${i}: hello there, how is my order going?`, 'text', dt);
      room.count++;
      room.last = { id, dt };
      if (room === rooms[0] && room.count > bigShare / 4 && room.count <= (bigShare * 3) / 4 && room.count % every === 0) cursorIds.push(id);
    }
  });
  for (let from = 0; from < plan.messages; from += 10_000) chunk(from, Math.min(plan.messages, from + 10_000));
  return { cursorIds };
}

function insertRooms(db: SQLite.Database, rooms: SeedRoom[], base: number): void {
  const insert = db.prepare(
    'insert into rooms (id, namespace, room_token, room_id, customer_id, vendor_id, created_by, status, created_at, activity, last_message_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (const r of rooms) {
      const createdAt = iso(base - 1000);
      insert.run(r.id, 'customer', r.token, r.token, r.customer, r.vendor, r.customer, 'active', createdAt, r.last?.dt ?? createdAt, r.last?.id ?? null);
    }
    // Parley keeps a per-room message count with every write; seeding around it must set it too.
    db.exec('update rooms set message_count = (select count(*) from messages where messages.room_id = rooms.id)');
  })();
}
