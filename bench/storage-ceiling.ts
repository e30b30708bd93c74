/**
 * B2 — the storage ceiling: raw batched inserts of message-sized rows into SQLite with Parley's
 * settings (WAL, synchronous=NORMAL) and Parley's `messages` table and indexes; no server, no
 * Kysely. Prints `B2 {json}`. Run: `tsx bench/storage-ceiling.ts [--ms 2000]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import { newHist, percentiles, recordMs, type Percentiles } from './lib/hist.js';
import { fastMonotonicFactory as monotonicFactory } from './lib/fast-ulid.js';

const DDL = `
create table messages (
  id text primary key, namespace text not null, room_id text not null, room_token text not null,
  sender_id text not null, receiver_id text not null, body text not null, message_type text not null,
  client_msg_id text, dt text not null,
  constraint messages_client_msg_id unique (namespace, sender_id, client_msg_id));
create index messages_room_id on messages (room_id, id);`;

export interface StorageRun {
  batchSize: number;
  rows: number;
  ms: number;
  rowsPerSec: number;
  /** Time of one batch transaction (ms): WAL auto-checkpoints (which fsync) show up in the tail. */
  commit: Percentiles;
}

function run(db: SQLite.Database, batchSize: number, ms: number, tag: string): StorageRun {
  const nextId = monotonicFactory();
  const rooms = Array.from({ length: 100 }, (_, i) => ({ id: nextId(), token: `room-${i}` }));
  const insert = db.prepare(
    'insert into messages (id, namespace, room_id, room_token, sender_id, receiver_id, body, message_type, client_msg_id, dt) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  let rows = 0;
  const batch = db.transaction((n: number) => {
    for (let j = 0; j < n; j++, rows++) {
      const room = rooms[rows % rooms.length]!;
      const now = Date.now();
      insert.run(nextId(now), 'customer', room.id, room.token, `c${rows % 100}`, `v${rows % 100}`, 'hello', 'text', `${tag}.${rows}`, new Date(now).toISOString());
    }
  });
  const hist = newHist();
  const t0 = performance.now();
  const deadline = t0 + ms;
  for (let i = 0; i < 10_000_000 && performance.now() < deadline; i++) {
    const t = performance.now();
    batch(batchSize);
    recordMs(hist, performance.now() - t);
  }
  const took = performance.now() - t0;
  return { batchSize, rows, ms: Math.round(took), rowsPerSec: Math.round((rows * 1000) / took), commit: percentiles(hist) };
}

/** Runs the ceiling with Parley's group-commit batch (256) and with one row per commit. */
export function storageCeiling(ms: number): StorageRun[] {
  const dir = mkdtempSync(join(tmpdir(), 'parley-b2-'));
  try {
    const db = new SQLite(join(dir, 'b2.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(DDL);
    const out = [run(db, 256, ms * 0.7, 'a'), run(db, 1, ms * 0.3, 'b')];
    db.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('storage-ceiling.ts')) {
  const i = process.argv.indexOf('--ms');
  const ms = i >= 0 ? Number(process.argv[i + 1]) : 2000;
  console.log(`B2 ${JSON.stringify(storageCeiling(ms))}`);
}
