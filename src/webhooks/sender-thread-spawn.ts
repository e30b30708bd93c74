import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ThreadInit } from './threaded-sender.js';

/** The compiled thread module, next to this one in dist/. */
const entry = new URL('./sender-thread.js', import.meta.url);

/** Whether the thread can start: not from the TypeScript sources (`npm run dev`), which have no compiled module. */
export function senderThreadAvailable(): boolean {
  return existsSync(fileURLToPath(entry));
}

export function spawnSenderThread(workerData: ThreadInit): Worker {
  return new Worker(entry, { workerData });
}
