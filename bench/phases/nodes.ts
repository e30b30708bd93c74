import { cpus } from 'node:os';
import { cpuMeter, pidsByComm, type CpuShares } from '../lib/cpu.js';
import type { Generator } from '../lib/gen-client.js';
import type { Mode } from '../lib/options.js';
import { parleySpec } from '../lib/parley.js';
import { startServer, type Server } from '../lib/server.js';
import { findThroughput, type Throughput } from './throughput.js';
import { describe, runStep, settle, type Step, type TrafficCtx } from './traffic.js';

export interface NodesRun {
  nodes: number;
  /** One fixed rate for both setups (it may be more than one sustains): latency and CPU per message side by side. */
  fixed: Step;
  /** Cores of the nodes, PostgreSQL and Redis together, per delivered message at the fixed rate (ms). */
  cpuMsPerMsg: number;
  /** The same, per process kind (ms per message). */
  cpuSplit: { nodes: number; postgres: number; redis: number };
  throughput: Throughput;
}

export interface Nodes {
  /** How the processes were placed on this machine's cores. */
  placement: string;
  runs: NodesRun[];
}

/** The fixed-rate step of the nodes comparison (msgs/s). */
const FIXED_RATE = 1000;

/**
 * What a second process buys on one machine: Parley on PostgreSQL + Redis as 1 node and as 2 nodes, every
 * process free to use every core (as a deployment runs them). With 2 nodes each room's customer is on one
 * node and its vendor on the other, so every message crosses nodes through Redis (the worst case).
 */
export async function nodes(
  mode: Mode,
  configFile: string,
  pgUrl: string,
  redisUrl: string,
  gen: Generator,
  log: (l: string) => void,
): Promise<Nodes> {
  const allCores = `0-${cpus().length - 1}`;
  const runs: NodesRun[] = [];
  for (const n of [1, 2]) {
    const prefix = `bench${n}x${Date.now().toString(36)}:`;
    const servers: Server[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const spec = parleySpec(`parley-pg-node${i + 1}of${n}`, pgUrl, configFile);
        spec.env = { ...spec.env, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix };
        servers.push(await startServer(spec, allCores));
      }
      log(`  nodes: ${n} on PostgreSQL + Redis (pids ${servers.map((s) => s.pid).join(', ')})`);
      runs.push(await measure(mode, servers, gen, log));
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }
  return { placement: `nodes, PostgreSQL and Redis on cores ${allCores} (unpinned); the load generator on core 1`, runs };
}

async function measure(mode: Mode, servers: Server[], gen: Generator, log: (l: string) => void): Promise<NodesRun> {
  const kinds = { nodes: async () => servers.map((s) => s.pid), postgres: () => pidsByComm('postgres'), redis: () => pidsByComm('redis-server') };
  const serverPids = async () => (await Promise.all(Object.values(kinds).map((f) => f()))).flat();
  const ctx: TrafficCtx = { server: servers[0]!, gens: [gen], mode, log, serverPids };
  const vendorUrl = `${servers.at(-1)!.url}/customer`;
  await gen.setup(`${servers[0]!.url}/customer`, mode.rooms, `n${servers.length}-${Date.now().toString(36)}-`, vendorUrl);
  await settle(ctx, mode.warmupMs);
  // Metered from the start of the run that is kept (a run disturbed by other load is repeated).
  let meters: Array<() => Promise<CpuShares>> = [];
  const startMeters = async () => void (meters = await Promise.all(Object.values(kinds).map((f) => cpuMeter(f, []))));
  const fixed = await runStep(ctx, FIXED_RATE, mode.latencyMs, startMeters);
  const [nodeMs, postgresMs, redisMs] = await Promise.all(meters.map(async (m) => perMsg((await m()).server, fixed)));
  log(`    ${describe(fixed)}`);
  await settle(ctx);
  const throughput = await findThroughput(ctx);
  await gen.close();
  return { nodes: servers.length, fixed, cpuMsPerMsg: perMsg(fixed.cpu.server, fixed), cpuSplit: { nodes: nodeMs!, postgres: postgresMs!, redis: redisMs! }, throughput };
}

const perMsg = (cores: number, step: Step) => (step.deliveredPerSec ? Math.round((cores * 1e6) / step.deliveredPerSec) / 1000 : 0);
