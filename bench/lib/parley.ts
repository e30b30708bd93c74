import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerSpec } from './server.js';

/** Limits high enough that the bench measures the server, not its rate limiter. */
const benchConfig = {
  authMode: 'trusted',
  rateLimits: {
    message: { points: 1_000_000, durationSeconds: 1 },
    typing: { points: 1_000_000, durationSeconds: 1 },
    joinRoom: { points: 1_000_000, durationSeconds: 1 },
    other: { points: 1_000_000, durationSeconds: 1 },
    history: { points: 1_000_000, durationSeconds: 1 },
    connectPerIp: { points: 1_000_000, durationSeconds: 1 },
    connectPerUser: { points: 1_000_000, durationSeconds: 1 },
  },
  maxRoomsPerUser: 100_000,
  maxSocketsPerUser: 1000,
};

/** A scratch directory for this run's databases and config. */
export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'parley-bench-'));
}

export function writeBenchConfig(dir: string): string {
  const file = join(dir, 'bench-config.json');
  writeFileSync(file, JSON.stringify(benchConfig, null, 2));
  return file;
}

/** How to start Parley on `databaseUrl` (`sqlite:<file>` or `postgres://…`): the built server, as production runs it. */
export function parleySpec(name: string, databaseUrl: string, configFile: string, nodeArgs: string[] = []): ServerSpec {
  return { name, entry: 'dist/main.js', env: { DATABASE_URL: databaseUrl, CONFIG_FILE: configFile }, nodeArgs };
}

export const b1Spec: ServerSpec = { name: 'b1', entry: 'bench/bare-relay.ts' };
