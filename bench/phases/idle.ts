import type { Generator } from '../lib/gen-client.js';
import type { Server } from '../lib/server.js';

export interface IdlePoint {
  connections: number;
  rss: number;
  heapUsed: number;
  connectMs: number;
}

export interface IdleDensity {
  points: IdlePoint[];
  /** Least-squares slopes, bytes per idle connection. */
  rssPerConn: number;
  heapPerConn: number;
  /** Connections open at once at the end (all connects succeeded up to here). */
  maxConnections: number;
  failed: number;
  firstError?: string;
}

/** Opens idle connections in stages and reads the server's post-GC memory at each stage. */
export async function idleDensity(server: Server, gens: Generator[], counts: number[], log: (l: string) => void): Promise<IdleDensity> {
  const points: IdlePoint[] = [];
  let open = 0;
  let failed = 0;
  let firstError: string | undefined;
  for (const target of counts) {
    const add = target - open;
    const t = performance.now();
    if (add > 0) {
      const per = splitEven(add, gens.length);
      const results = await Promise.all(
        gens.map((g, i) => g.idle(`${server.url}/customer`, per[i]!, `idle${i}n${open}-`, 120_000 + add * 20)),
      );
      for (const r of results) {
        open += r.connected;
        failed += r.failed;
        firstError ??= r.firstError;
      }
    }
    const mem = await server.memory();
    points.push({ connections: open, rss: mem.rss, heapUsed: mem.heapUsed, connectMs: Math.round(performance.now() - t) });
    log(`    ${open} idle connections: rss ${mb(mem.rss)} MiB heap ${mb(mem.heapUsed)} MiB`);
    if (failed > 0) break;
  }
  await Promise.all(gens.map((g) => g.close()));
  const out: IdleDensity = {
    points,
    rssPerConn: slope(points.map((p) => [p.connections, p.rss])),
    heapPerConn: slope(points.map((p) => [p.connections, p.heapUsed])),
    maxConnections: open,
    failed,
  };
  if (firstError) out.firstError = firstError;
  return out;
}

function splitEven(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

/** Least-squares slope of y over x. */
export function slope(xy: number[][]): number {
  const n = xy.length;
  if (n < 2) return 0;
  const mx = xy.reduce((a, p) => a + p[0]!, 0) / n;
  const my = xy.reduce((a, p) => a + p[1]!, 0) / n;
  const sxy = xy.reduce((a, p) => a + (p[0]! - mx) * (p[1]! - my), 0);
  const sxx = xy.reduce((a, p) => a + (p[0]! - mx) ** 2, 0);
  return sxx === 0 ? 0 : Math.round(sxy / sxx);
}

const mb = (b: number) => (b / 1048576).toFixed(1);
