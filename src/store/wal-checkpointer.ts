import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';

// Plain CommonJS so the worker needs no TypeScript loader. It reports a failing checkpoint once, and
// again when checkpoints succeed after failing, so a persistent fault does not flood the log.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
let failing = false;
const checkpoint = (mode) => {
  try {
    const [result] = db.pragma('wal_checkpoint(' + mode + ')');
    if (failing) parentPort.postMessage({ recovered: true, mode });
    failing = false;
    return result;
  } catch (err) {
    if (!failing) parentPort.postMessage({ error: String(err && err.message || err), mode });
    failing = true;
  }
};
// PASSIVE copies without stopping anyone, but under steady writes it never catches up with the log, so the
// log is never started over; once it is long, RESTART. RESTART holds the write lock while it waits for
// readers: it gets 20 ms of waiting (writers meanwhile wait on a timer, not the event loop), and after a
// refusal (a long reader) the next RESTART waits a second.
let restartAfter = 0;
const tick = () => {
  const passive = checkpoint('PASSIVE');
  if (!passive || passive.log < workerData.restartPages || Date.now() < restartAfter) return;
  db.pragma('busy_timeout = 20');
  try {
    const restart = checkpoint('RESTART');
    if (!restart || restart.busy) restartAfter = Date.now() + 1000;
  } finally {
    db.pragma('busy_timeout = 5000');
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint('TRUNCATE');
  db.close();
  parentPort.close();
});
`;

/**
 * The log's length (pages) at which the worker's checkpoint also starts it over. RESTART keeps writers out
 * while it runs (a few ms, an fsync included): at 1,000 pages that was several times a second under load, and
 * ~1 % of the chat's write batches waited 5–9 ms for it (`parley_store_lock_wait_seconds`); at 8,000 (a log
 * of ~32 MB at most) the waits fell to a tenth, and at 32,000 (~128 MB) to a fifth of that again: 15 → 3 waits
 * in 15 s at 1,000 msgs/s, 25 → 6 at 2,000, ack p99 at 2,000 14.5 → 8.5 ms (features bench, same hour).
 * Passive checkpoints every 50 ms still copy the log as it grows, so the pages a reader looks up in it stay few.
 */
const RESTART_PAGES = 32000;

/**
 * The main connection's own checkpoint, only a safety net (a dead or stuck worker). Each checkpoint syncs the
 * log and the database file: done by the main connection (SQLite's default is every 1,000 pages, several
 * times a second under load) those `fsync`s blocked the chat's event loop. The worker starts the log over
 * itself (RESTART once it holds `RESTART_PAGES`); the threshold is twice that, so that a RESTART put off for a
 * second (a long reader) at thousands of messages per second does not hand the checkpoints to the event loop.
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 2 * RESTART_PAGES;

export interface WalCheckpointer {
  close(): Promise<void>;
}

export interface WalCheckpointerOptions {
  intervalMs?: number;
  log?: Logger;
}

/**
 * Copies the WAL back into the database file from a worker thread, on its own connection. A checkpoint
 * writes and syncs many pages; done by the connection that commits messages, it stalled the event loop
 * for tens of milliseconds (the ack tail in the benchmark).
 */
export function startWalCheckpointer(path: string, { intervalMs = 50, log }: WalCheckpointerOptions = {}): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs, restartPages: RESTART_PAGES } });
  worker.unref();
  // The main connection's autocheckpoint still bounds the WAL; a dead worker costs latency, not data.
  worker.on('error', (err) => log?.error({ err, path }, 'WAL checkpointer stopped; SQLite falls back to its own checkpoints'));
  worker.on('message', (note: { error?: string; recovered?: boolean; mode: string }) => {
    if (note.error !== undefined) log?.warn({ error: note.error, mode: note.mode, path }, 'WAL checkpoint failed');
    else if (note.recovered) log?.info({ mode: note.mode, path }, 'WAL checkpoints succeed again');
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async close() {
      worker.postMessage('close');
      await exited;
    },
  };
}
