/**
 * Loaded into every measured server with `--expose-gc --import`:
 * - SIGUSR2: run a full GC and print one `BENCH_MEM {json}` line, so idle-memory figures are taken the
 *   same way for every server (live memory after collection, not whatever garbage was around);
 * - SIGWINCH: print `BENCH_ELD {json}`, the server's event-loop delay (ms) since the previous
 *   SIGWINCH, and start over — stalls of the server's event loop (GC, synchronous I/O) show up here.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  const line = { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, gc: gc !== undefined };
  process.stdout.write(`BENCH_MEM ${JSON.stringify(line)}\n`);
});

const eld = monitorEventLoopDelay({ resolution: 5 });
eld.enable();
process.on('SIGWINCH', () => {
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const line = { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) };
  eld.reset();
  process.stdout.write(`BENCH_ELD ${JSON.stringify(line)}\n`);
});
