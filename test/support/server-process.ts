import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { TestClient } from './client.js';

const generous = { points: 1_000_000, durationSeconds: 1 };
const STARTUP_MS = 20_000;

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** A real client of this server in trusted mode, closed when the test finishes. */
  connect(userId: string): Promise<TestClient>;
}

/** Writes a CONFIG_FILE with generous rate limits (plus `extra`) into `dir`. */
export function writeConfig(dir: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, 'config.json');
  const rateLimits = { message: generous, typing: generous, joinRoom: generous, other: generous, history: generous };
  writeFileSync(file, JSON.stringify({ authMode: 'trusted', rateLimits, ...extra }));
  return file;
}

/**
 * `node --import tsx src/main.ts` on 127.0.0.1, port 0, the given SQLite file and config file; resolves once it
 * prints "listening on". The process is SIGKILLed when the test finishes if it is still running.
 */
export function startServer(dbPath: string, configFile: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      NODE_ENV: '',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${dbPath}`,
      LOG_LEVEL: 'warn',
      CONFIG_FILE: configFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const clients: TestClient[] = [];
  onTestFinished(async () => {
    for (const c of clients) c.close();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${STARTUP_MS} ms:\n${out}`)), STARTUP_MS);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      if (!port) return;
      child.stdout.off('data', onData);
      child.stdout.on('data', (more: Buffer) => (out += more.toString()));
      clearTimeout(timer);
      const url = `http://127.0.0.1:${port}`;
      resolve({
        url,
        child,
        exited,
        output: () => out,
        async connect(userId) {
          const client = TestClient.open(url, 'customer', { query: { userId } });
          clients.push(client);
          return client.connected();
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
}
