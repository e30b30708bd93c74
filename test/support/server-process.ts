import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { onTestFinished } from 'vitest';
import { TestClient } from './client.js';
import { startNode } from './node-process.js';
import { generousRateLimits } from './rate-limits.js';

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
  const rateLimits = generousRateLimits();
  writeFileSync(file, JSON.stringify({ authMode: 'trusted', rateLimits, ...extra }));
  return file;
}

/**
 * One Parley process on 127.0.0.1, port 0, the given SQLite file and config file, ready once it prints
 * "listening on". It is SIGKILLed when the test finishes if it is still running.
 */
export async function startServer(dbPath: string, configFile: string): Promise<ServerProcess> {
  const node = await startNode(
    'server',
    { PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${dbPath}`, LOG_LEVEL: 'warn', CONFIG_FILE: configFile },
    STARTUP_MS,
  );
  const exited = node.exited.then((end) =>
    typeof end === 'number' ? { code: end, signal: null } : { code: null, signal: end as NodeJS.Signals },
  );
  const clients: TestClient[] = [];
  onTestFinished(async () => {
    for (const c of clients) c.close();
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
    await exited;
  });
  return {
    url: node.url,
    child: node.child,
    exited,
    output: node.output,
    async connect(userId) {
      const client = TestClient.open(node.url, 'customer', { query: { userId } });
      clients.push(client);
      return client.connected();
    },
  };
}
