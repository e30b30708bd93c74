import { join } from 'node:path';
import { cpuMeter, quietBudget, waitQuiet } from '../lib/cpu.js';
import { httpLatency, type HttpLatency } from '../lib/http-load.js';
import type { Mode } from '../lib/options.js';
import { parleySpec } from '../lib/parley.js';
import { startServer } from '../lib/server.js';
import { seedHistory, type Seeded } from '../seed.js';

export interface History {
  seed: Omit<Seeded, 'smallTokens' | 'cursorIds'>;
  /** Latency of GET /v1/chat/ per kind of page (ms). */
  page1: HttpLatency;
  page1Big: HttpLatency;
  deep: HttpLatency;
  cursor: HttpLatency;
  deepPage: number;
}

interface Page {
  messages: unknown[];
  total: number;
}

async function getPage(url: string): Promise<Page> {
  const res = await fetch(url);
  const body = (await res.json()) as { success: boolean; data?: Page };
  if (res.status !== 200 || !body.data) throw new Error(`GET ${url} → ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  return body.data;
}

/** Migrates a fresh SQLite file with Parley, seeds it directly, restarts Parley on it and loads GET /v1/chat/. */
export async function history(
  mode: Mode,
  dir: string,
  configFile: string,
  core: number,
  log: (l: string) => void,
  nodeArgs: string[] = [],
): Promise<History> {
  const dbUrl = `sqlite:${join(dir, 'history.db')}`;
  const migrate = await startServer(parleySpec('parley-migrate', dbUrl, configFile), core);
  await migrate.stop();
  const seeded = seedHistory(dbUrl.slice('sqlite:'.length), { messages: mode.historyMessages, rooms: mode.historyRooms });
  log(`    seeded ${seeded.messages} messages in ${seeded.rooms} rooms: ${seeded.rowsPerSec} rows/s`);
  const server = await startServer(parleySpec('parley-history', dbUrl, configFile, nodeArgs), core);
  try {
    const q = (token: string, rest: string) => `/v1/chat/?roomToken=${encodeURIComponent(token)}&namespace=customer&limit=20&${rest}`;
    const big = await getPage(server.url + q(seeded.bigToken, 'page=1'));
    if (big.total !== seeded.bigTotal) throw new Error(`history total ${big.total}, seeded ${seeded.bigTotal}`);
    const deepPage = Math.max(1, Math.floor(seeded.bigTotal / 20 / 2));
    const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
    const once = async (next: () => string) => {
      const meter = await cpuMeter([server.pid], [process.pid]);
      const h = await httpLatency(server.url, next, { durationMs: mode.historyMs, connections: mode.historyConnections });
      const cpu = await meter();
      return { ...h, foreign: cpu.foreign, serverCpu: cpu.server };
    };
    // Repeated once (after waiting for quiet) if other processes used the CPU meanwhile.
    const load = async (next: () => string): Promise<HttpLatency> => {
      const first = await once(next);
      if (first.foreign <= 0.25 || quietBudget.ms <= 0) return first;
      await waitQuiet([server.pid], [process.pid], 0.25, mode.name === 'full' ? 60_000 : 10_000);
      return once(next);
    };
    const page1 = await load(() => q(pick(seeded.smallTokens), 'page=1'));
    const page1Big = await load(() => q(seeded.bigToken, 'page=1'));
    const deep = await load(() => q(seeded.bigToken, `page=${deepPage}`));
    const cursor = await load(() => q(seeded.bigToken, `before=${pick(seeded.cursorIds)}`));
    const { smallTokens: _s, cursorIds: _c, ...seed } = seeded;
    return { seed, page1, page1Big, deep, cursor, deepPage };
  } finally {
    await server.stop();
  }
}
