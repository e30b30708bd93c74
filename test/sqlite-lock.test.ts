import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { withStatementCache } from '../src/store/open-store.js';
import { BUSY_TIMEOUT_MS, NonBlockingWriter } from '../src/store/sqlite-lock.js';
import { tempDir } from './support/test-app.js';

function open(path: string): SQLite.Database {
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  onTestFinished(() => {
    db.close();
  });
  return db;
}

describe('NonBlockingWriter: writes that wait without blocking the process', () => {
  it("waits for another connection's lock, counts the wait, and gives up with SQLITE_BUSY after its deadline", async () => {
    const path = join(tempDir(), 'lock.db');
    const db = open(path);
    db.exec('create table t (x integer)');
    const waits: number[] = [];
    const writer = new NonBlockingWriter(db, (seconds) => waits.push(seconds));
    const other = open(path);
    other.exec('BEGIN IMMEDIATE');
    // Its very first write (a pragma statement's first run used to set nothing, leaving SQLite's 5 s busy
    // handler to block the process): the event loop keeps turning until the deadline.
    let turns = 0;
    const ticking = setInterval(() => turns++, 1);
    await expect(writer.run(() => db.prepare('insert into t values (1)').run(), 50)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    clearInterval(ticking);
    expect(turns).toBeGreaterThan(0);
    const writing = writer.run(() => db.prepare('insert into t values (2)').run().changes);
    // The event loop keeps turning while the write waits.
    await new Promise((resolve) => setTimeout(resolve, 5));
    other.exec('COMMIT');
    expect(await writing).toBe(1);
    expect(waits).toHaveLength(1);
    expect(db.prepare('select x from t').pluck().all()).toEqual([2]);
  });

  it('waits out a transaction open on its own connection, and does not wait forever for one left open', async () => {
    const db = open(join(tempDir(), 'own.db'));
    db.exec('create table t (x integer)');
    const writer = new NonBlockingWriter(db);
    db.exec('BEGIN');
    await expect(writer.run(() => db.exec('insert into t values (1)'), 30)).rejects.toThrow(/stayed open over 30 ms/);
    const writing = writer.run(() => db.prepare('insert into t values (2)').run().changes);
    setImmediate(() => db.exec('COMMIT'));
    expect(await writing).toBe(1);
    expect(db.prepare('select x from t').pluck().all()).toEqual([2]);
  });

  it("leaves the busy timeout off after its writes; Kysely's statements put it back and wait for another connection's lock", async () => {
    const path = join(tempDir(), 'strict.db');
    const db = open(path);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec('create table t (x integer)');
    const writer = new NonBlockingWriter(db);
    const kysely = new Kysely<{ t: { x: number } }>({ dialect: new SqliteDialect({ database: withStatementCache(db, writer) }) });
    await writer.run(() => db.prepare('insert into t values (1)').run());
    expect(db.pragma('busy_timeout', { simple: true })).toBe(0);
    // Another thread holds the write lock for a moment: Kysely's insert must wait for it, not fail with SQLITE_BUSY.
    const holder = new Worker(
      `const SQLite = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
       const { parentPort } = require('node:worker_threads');
       const db = new SQLite(${JSON.stringify(path)});
       db.exec('BEGIN IMMEDIATE');
       parentPort.postMessage('locked');
       setTimeout(() => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); }, 150);`,
      { eval: true },
    );
    onTestFinished(() => holder.terminate().then(() => {}));
    await new Promise((resolve) => holder.once('message', resolve));
    await kysely.insertInto('t').values({ x: 2 }).execute();
    expect(db.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    expect((await sql<{ x: number }>`select x from t order by x`.execute(kysely)).rows.map((r) => r.x)).toEqual([1, 2]);
  });
});
