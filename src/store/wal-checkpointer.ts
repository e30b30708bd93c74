import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Plain CommonJS so the worker needs no TypeScript loader.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
const checkpoint = (mode) => { try { db.pragma('wal_checkpoint(' + mode + ')'); } catch {} };
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint('TRUNCATE');
  db.close();
  parentPort.close();
});
`;

/**
 * The main connection keeps SQLite's default threshold as a safety net. Under steady writes a PASSIVE
 * checkpoint never lets the WAL restart, so a high threshold (20,000 pages was tried) let the log grow
 * until the main connection checkpointed 80 MB at once: a 600 ms stall in the full benchmark.
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 1000;

export interface WalCheckpointer {
  close(): Promise<void>;
}

/**
 * Copies the WAL back into the database file from a worker thread, on its own connection. A checkpoint
 * writes and syncs many pages; done by the connection that commits messages, it stalled the event loop
 * for tens of milliseconds (the ack tail in the benchmark).
 */
export function startWalCheckpointer(path: string, intervalMs = 250): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs } });
  worker.unref();
  worker.on('error', () => {});
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async close() {
      worker.postMessage('close');
      await exited;
    },
  };
}
