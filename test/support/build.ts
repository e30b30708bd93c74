/**
 * The built server (dist/, as production runs it): `ensureBuilt` builds when dist/ is missing or older than the
 * sources (scripts/ensure-built.mjs; parallel test files wait for one build), `startBuilt` runs
 * `node dist/main.js` and waits for its "listening on" line.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';
import { startProcess } from './node-process.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
/** A cold build on the shared 2-core machine takes 10–40 s. */
export const BUILD_TIMEOUT_MS = 240_000;

export async function ensureBuilt(): Promise<void> {
  await promisify(execFile)(process.execPath, ['scripts/ensure-built.mjs'], { cwd: root, timeout: BUILD_TIMEOUT_MS });
}

export interface BuiltServer {
  url: string;
  child: ChildProcess;
  /** Milliseconds from spawn to the "listening on" line. */
  startupMs: number;
  output(): string;
  stop(): Promise<number | string>;
}

export async function startBuilt(env: Record<string, string>, timeoutMs = 30_000): Promise<BuiltServer> {
  const started = performance.now();
  const node = await startProcess(
    'dist/main.js',
    ['dist/main.js'],
    { NODE_ENV: 'local', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env },
    timeoutMs,
  );
  const startupMs = performance.now() - started;
  onTestFinished(async () => {
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
    await node.exited;
  });
  return {
    url: node.url,
    child: node.child,
    startupMs,
    output: node.output,
    stop: async () => {
      if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGTERM');
      return node.exited;
    },
  };
}
