/**
 * The built server (dist/, as production runs it): `ensureBuilt` builds when dist/ is missing or older than the
 * sources (scripts/ensure-built.mjs; parallel test files wait for one build), `startBuilt` runs
 * `node dist/main.js` and waits for its "listening on" line.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const READY = /listening on ([0-9.]+):(\d+)/;
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

export function startBuilt(env: Record<string, string>, timeoutMs = 30_000): Promise<BuiltServer> {
  const started = performance.now();
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'local', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not print "listening on" within ${timeoutMs} ms`), timeoutMs);
    function fail(why: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`node dist/main.js ${why}. Output:\n${out}`));
    }
    let ready = false;
    void exited.then((code) => ready || fail(`exited (${code}) before it was ready`));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const hit = ready ? null : READY.exec(out);
      if (!hit) return;
      ready = true;
      clearTimeout(timer);
      resolve({
        url: `http://${hit[1]}:${hit[2]}`,
        child,
        startupMs: performance.now() - started,
        output: () => out,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}
