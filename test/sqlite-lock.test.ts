import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { NonBlockingWriter } from '../src/store/sqlite-lock.js';
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
});
