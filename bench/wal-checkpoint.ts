/**
 * Experiment: how long one single-row SQLite commit (WAL, synchronous=NORMAL) takes with and without
 * automatic WAL checkpoints. With them, every ~1000 WAL pages one commit also copies pages back and
 * fsyncs the database, on the caller's thread — in Parley, on the event loop.
 * Run: `tsx bench/wal-checkpoint.ts [seconds per setting]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import { newHist, percentiles, recordMs } from './lib/hist.js';

const seconds = Number(process.argv[2] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'parley-wal-'));
try {
  for (const autocheckpoint of [1000, 0]) {
    const db = new SQLite(join(dir, `wal-${autocheckpoint}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    db.exec('create table m (id integer primary key, room text, body text, dt text); create index m_room on m (room, id);');
    const insert = db.prepare('insert into m (room, body, dt) values (?, ?, ?)');
    const commit = db.transaction((n: number) => insert.run(`r${n % 100}`, 'hello', new Date().toISOString()));
    const hist = newHist();
    const t0 = performance.now();
    let n = 0;
    for (; n < 10_000_000 && performance.now() - t0 < seconds * 1000; n++) {
      const t = performance.now();
      commit(n);
      recordMs(hist, performance.now() - t);
    }
    db.close();
    console.log(`wal_autocheckpoint=${autocheckpoint}: ${n} commits, ms ${JSON.stringify(percentiles(hist))}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
