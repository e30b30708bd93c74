import type { RunResult } from '../gen/protocol.js';
import { cpuMeter, quietBudget, waitQuiet, type CpuShares } from '../lib/cpu.js';
import type { Generator } from '../lib/gen-client.js';
import { mergeHists, percentiles, type Percentiles } from '../lib/hist.js';
import type { Mode } from '../lib/options.js';
import type { EventLoopDelay, Server } from '../lib/server.js';
import { scrape, storeStats, type StoreStats } from '../lib/server-metrics.js';

export interface TrafficCtx {
  server: Server;
  gens: Generator[];
  mode: Mode;
  log: (line: string) => void;
  /** The server's pids for CPU accounting: Parley, plus the PostgreSQL backends when it uses them. */
  serverPids: () => Promise<number[]>;
  /** Processes of the setup under test that are not the server (a webhook dispatcher): not foreign load. */
  helperPids?: number[];
  /** The text of every message (default `hello`). */
  text?: string;
}

export interface Step {
  rate: number;
  durationMs: number;
  sent: number;
  delivered: number;
  lost: number;
  duplicates: number;
  ackErrors: number;
  firstAckError?: string;
  deliveredPerSec: number;
  ack: Percentiles;
  e2e: Percentiles;
  sendLagP99: number;
  genEldP99: number;
  genCpu: number;
  cpu: CpuShares;
  /** The server's event-loop delay during the step (ms; resolution 5 ms). */
  serverEld?: EventLoopDelay;
  /** Parley only: its group-commit batches during the step (from /metrics). */
  store?: StoreStats;
  /** `generator-saturated`, `foreign-load`: the figure says more about the bench than the server. */
  flags: string[];
  /** The throughput search ran this rate again because its first run failed. */
  secondRun?: boolean;
}

const GEN_ELD_LIMIT_MS = 50;
const GEN_CPU_LIMIT = 0.85;
const FOREIGN_LIMIT = 0.25;

/** Sets up `rooms` active rooms of two members (split over the generators). */
export async function setupRooms(ctx: TrafficCtx, prefix: string): Promise<void> {
  const per = Math.max(1, Math.round(ctx.mode.rooms / ctx.gens.length));
  await Promise.all(ctx.gens.map((g, i) => g.setup(`${ctx.server.url}/customer`, per, `${prefix}g${i}`)));
}

let tagCounter = 0;
const ownPids = (ctx: TrafficCtx) => [process.pid, ...ctx.gens.map((g) => g.pid), ...(ctx.helperPids ?? [])];

/**
 * One open-loop run at `rate` msgs/s (split over the generators); retried once if other load interfered.
 * `beforeEach` runs before the run and before its retry (a caller's own counters then cover the kept run only).
 */
export async function runStep(ctx: TrafficCtx, rate: number, durationMs: number, beforeEach?: () => Promise<void>): Promise<Step> {
  await beforeEach?.();
  let step = await runOnce(ctx, rate, durationMs);
  if (step.flags.includes('foreign-load') && quietBudget.ms > 0) {
    const quietWaitMs = ctx.mode.name === 'full' ? 60_000 : 10_000;
    const now = await waitQuiet(ctx.serverPids, ownPids(ctx), FOREIGN_LIMIT, quietWaitMs);
    ctx.log(`    other processes used ${step.cpu.foreign} cores during ${rate}/s (now ${now}); repeating the step once`);
    await beforeEach?.();
    step = await runOnce(ctx, rate, durationMs);
  }
  return step;
}

async function runOnce(ctx: TrafficCtx, rate: number, durationMs: number): Promise<Step> {
  const tag = `s${++tagCounter}x${Date.now().toString(36)}`;
  const meter = await cpuMeter(ctx.serverPids, ownPids(ctx));
  const before = await scrape(ctx.server.url);
  await ctx.server.eventLoop();
  const share = rate / ctx.gens.length;
  const runs = await Promise.all(ctx.gens.map((g) => g.run({ rate: share, durationMs, drainMs: ctx.mode.drainMs, tag, ...(ctx.text ? { text: ctx.text } : {}) })));
  const step = summarize(rate, durationMs, runs, await meter());
  step.serverEld = await ctx.server.eventLoop();
  const store = storeStats(before, await scrape(ctx.server.url));
  if (store) step.store = store;
  return step;
}

function summarize(rate: number, durationMs: number, runs: RunResult[], cpu: CpuShares): Step {
  const sum = (f: (r: RunResult) => number) => runs.reduce((a, r) => a + f(r), 0);
  const sent = sum((r) => r.sent);
  const delivered = sum((r) => r.delivered);
  const genEldP99 = Math.max(...runs.map((r) => r.eldP99Ms));
  const genCpu = Math.max(...runs.map((r) => r.cpuShare));
  const flags: string[] = [];
  if (genEldP99 > GEN_ELD_LIMIT_MS || genCpu > GEN_CPU_LIMIT) flags.push('generator-saturated');
  if (cpu.foreign > FOREIGN_LIMIT) flags.push('foreign-load');
  const step: Step = {
    rate,
    durationMs,
    sent,
    delivered,
    // Not delivered to the counterpart, not echoed to the sender, or not acknowledged.
    lost: sent - Math.min(delivered, sum((r) => r.echoed), sum((r) => r.acked)),
    duplicates: sum((r) => r.duplicates),
    ackErrors: sum((r) => r.ackErrors),
    deliveredPerSec: Math.round((delivered * 1000) / durationMs),
    ack: percentiles(mergeHists(runs.map((r) => r.ackHist))),
    e2e: percentiles(mergeHists(runs.map((r) => r.e2eHist))),
    sendLagP99: percentiles(mergeHists(runs.map((r) => r.sendLagHist))).p99,
    genEldP99: Math.round(genEldP99 * 10) / 10,
    genCpu: Math.round(genCpu * 100) / 100,
    cpu,
    flags,
  };
  const firstAckError = runs.find((r) => r.firstAckError)?.firstAckError;
  if (firstAckError) step.firstAckError = firstAckError;
  return step;
}

/** A step passes the throughput criterion: p99 within 100 ms and nothing lost, failed or doubled. */
export function passes(s: Step): boolean {
  return s.e2e.p99 <= 100 && s.lost === 0 && s.duplicates === 0 && s.ackErrors === 0;
}

export function describe(s: Step): string {
  const f = s.flags.length ? ` [${s.flags.join(',')}]` : '';
  return (
    `${s.rate}/s: delivered ${s.deliveredPerSec}/s lost ${s.lost} dup ${s.duplicates} err ${s.ackErrors} ` +
    `e2e ${s.e2e.p50}/${s.e2e.p99}/${s.e2e.p999} ms ack ${s.ack.p50}/${s.ack.p99}/${s.ack.p999} ms ` +
    `cpu srv ${s.cpu.server} gen ${s.genCpu} other ${s.cpu.foreign} steal ${s.cpu.stealMs?.join('/') ?? '?'} ms eld gen ${s.genEldP99} srv ${s.serverEld?.p99}/${s.serverEld?.max}` +
    (s.store ? ` store: ${s.store.batches} batches of ${s.store.meanBatch}, mean ${s.store.meanStoreMs} ms, p99 ≤ ${s.store.p99StoreMsBound} ms` : '') +
    f
  );
}

/**
 * Short, discarded low-rate runs until one passes (at most ~maxMs): lets a server that was just
 * overloaded work off its backlog before the next measurement (and warms the JIT).
 */
export async function settle(ctx: TrafficCtx, durationMs = 1000, maxMs = 15_000): Promise<boolean> {
  for (let spent = 0; spent < maxMs; spent += durationMs + ctx.mode.drainMs) {
    if (passes(await runOnce(ctx, ctx.mode.startRate, durationMs))) return true;
  }
  ctx.log(`    the server did not recover within ${maxMs} ms; measuring anyway`);
  return false;
}
