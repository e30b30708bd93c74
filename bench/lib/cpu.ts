import { readdir, readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { readCpuMs } from './proc.js';

/** Busy CPU time of the whole machine (all cores, everything but idle and iowait), in ms. */
async function machineBusyMs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = v.reduce((a, b) => a + b, 0) - (v[3] ?? 0) - (v[4] ?? 0);
  return (busy * 1000) / 100;
}

/** Time the hypervisor ran something else while each core wanted to run (`steal` in /proc/stat), in ms. */
async function stealMsPerCore(): Promise<number[]> {
  const lines = (await readFile('/proc/stat', 'utf8')).split('\n').filter((l) => /^cpu\d+ /.test(l));
  return lines.map((l) => (Number(l.trim().split(/\s+/)[8] ?? 0) * 1000) / 100);
}

async function pidsCpuMs(pids: number[]): Promise<Map<number, number>> {
  const each = await Promise.all(pids.map(async (p) => [p, await readCpuMs(p).catch(() => -1)] as const));
  return new Map(each.filter(([, ms]) => ms >= 0));
}

/** CPU used between two samples by the processes alive at the end (new ones count from 0). */
function used(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
  return Math.max(0, ms);
}

/** Pids of processes whose command name is `comm` (e.g. the PostgreSQL backends serving Parley). */
export async function pidsByComm(comm: string): Promise<number[]> {
  const entries = (await readdir('/proc')).filter((e) => /^\d+$/.test(e));
  const named = await Promise.all(
    entries.map(async (e) => ((await readFile(`/proc/${e}/comm`, 'utf8').catch(() => '')).trim() === comm ? Number(e) : -1)),
  );
  return named.filter((p) => p > 0);
}

export interface CpuShares {
  /** Cores used by the server process (and its database processes, for PostgreSQL). */
  server: number;
  /** Cores used by everything that is neither the server nor the bench's own processes. */
  foreign: number;
  /**
   * ms of each core's time the hypervisor gave to another guest (a VM's "steal"): a stall the guest cannot
   * see as load. /proc/stat counts it in 10 ms ticks.
   */
  stealMs: number[];
}

/**
 * Measures CPU use over an interval: the server's, and the "foreign" load from other processes on
 * the machine (a shared machine makes figures noisy; steps with foreign load are flagged).
 */
export async function cpuMeter(
  serverPids: number[] | (() => Promise<number[]>),
  ownPids: number[],
): Promise<() => Promise<CpuShares>> {
  const servers = typeof serverPids === 'function' ? serverPids : async () => serverPids;
  const t0 = performance.now();
  const [m0, s0, o0, st0] = await Promise.all([machineBusyMs(), servers().then(pidsCpuMs), pidsCpuMs(ownPids), stealMsPerCore()]);
  return async () => {
    const wall = Math.max(1, performance.now() - t0);
    const [m1, s1, o1, st1] = await Promise.all([machineBusyMs(), servers().then(pidsCpuMs), pidsCpuMs(ownPids), stealMsPerCore()]);
    const serverMs = used(s0, s1);
    const server = serverMs / wall;
    // Steal is "busy" in /proc/stat's totals but nobody's load on this machine.
    const stealMs = st1.map((ms, core) => ms - (st0[core] ?? 0));
    const stolen = stealMs.reduce((a, b) => a + b, 0);
    const foreign = Math.max(0, (m1 - m0 - stolen - serverMs - used(o0, o1)) / wall);
    return { server: round(server), foreign: round(foreign), stealMs };
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Total time the whole run may spend in waitQuiet (set from the mode), so a busy machine cannot stretch it unboundedly. */
export const quietBudget = { ms: 30_000 };

/**
 * Waits (up to maxMs and the remaining quietBudget, in 500 ms measuring windows) until processes other than ours use less than
 * `limit` cores. Returns the last foreign load seen. The bench shares its machine; this avoids
 * measuring during someone else's build.
 */
export async function waitQuiet(
  serverPids: number[] | (() => Promise<number[]>),
  ownPids: number[],
  limit: number,
  maxMs: number,
): Promise<number> {
  let foreign = Infinity;
  for (let waited = 0; waited < Math.min(maxMs, quietBudget.ms) && foreign > limit; waited += 500) {
    quietBudget.ms -= 500;
    const meter = await cpuMeter(serverPids, ownPids);
    await new Promise((r) => setTimeout(r, 500)); // the measuring window itself
    foreign = (await meter()).foreign;
  }
  return Number.isFinite(foreign) ? foreign : -1;
}
