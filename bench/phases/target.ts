import { pidsByComm } from '../lib/cpu.js';
import type { Generator } from '../lib/gen-client.js';
import type { Mode } from '../lib/options.js';
import type { TargetResult } from '../lib/results.js';
import { startServer, type ServerSpec } from '../lib/server.js';
import { idleDensity } from './idle.js';
import { findThroughput } from './throughput.js';
import { describe, runStep, settle, setupRooms, type TrafficCtx } from './traffic.js';

/**
 * All socket figures for one server: idle density, latency at fixed rates, the throughput search,
 * and latency at half of B1's throughput (`halfRate`, or half of this server's own for B1).
 */
export async function measureTarget(
  spec: ServerSpec,
  mode: Mode,
  gens: Generator[],
  halfRate: number | undefined,
  log: (l: string) => void,
): Promise<TargetResult> {
  const t = performance.now();
  const server = await startServer(spec, 0);
  const startMs = Math.round(performance.now() - t);
  log(`  ${spec.name}: started in ${startMs} ms (pid ${server.pid}, ${server.url})`);
  try {
    log(`  ${spec.name}: idle density`);
    const idle = await idleDensity(server, gens, mode.idleCounts, log);
    const usesPg = /^postgres(ql)?:/.test(spec.env?.DATABASE_URL ?? '');
    const serverPids = async () => [server.pid, ...(usesPg ? await pidsByComm('postgres') : [])];
    const ctx: TrafficCtx = { server, gens: gens.slice(0, 1), mode, log, serverPids };
    await setupRooms(ctx, `${spec.name}-${Date.now().toString(36)}-`);
    await settle(ctx, mode.warmupMs);
    log(`  ${spec.name}: latency at fixed rates`);
    const latency = [];
    for (const rate of mode.latencyRates) {
      const step = await runStep(ctx, rate, mode.latencyMs);
      log(`    ${describe(step)}`);
      latency.push(step);
    }
    log(`  ${spec.name}: throughput search`);
    await settle(ctx);
    const throughput = await findThroughput(ctx);
    const half = Math.max(mode.startRate, Math.round((halfRate ?? throughput.sustained) / 2));
    await settle(ctx);
    const halfB1 = await runStep(ctx, half, mode.latencyMs);
    log(`    half B1 saturation ${describe(halfB1)}`);
    await Promise.all(ctx.gens.map((g) => g.close()));
    return { name: spec.name, startMs, idle, latency, throughput, halfB1 };
  } catch (err) {
    throw new Error(`${spec.name}: ${(err as Error).message}\n--- server output ---\n${server.tail()}`);
  } finally {
    await server.stop();
  }
}
