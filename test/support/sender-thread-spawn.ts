import { Worker } from 'node:worker_threads';
import type { ThreadInit } from '../../src/webhooks/threaded-sender.js';

/**
 * The tests' stand-in for src/webhooks/sender-thread-spawn.ts (vitest.config.ts aliases it): the tests run the
 * TypeScript sources, so the thread loads its module through tsx, registered inside the thread. Production
 * runs the compiled module and loads no build tool.
 */
const entry = new URL('../../src/webhooks/sender-thread.ts', import.meta.url).href;

export function senderThreadAvailable(): boolean {
  return true;
}

export function spawnSenderThread(workerData: ThreadInit): Worker {
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
