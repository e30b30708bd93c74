/**
 * Loaded into every measured server with `--expose-gc --import`: on SIGUSR2 it runs a full GC and
 * prints one `BENCH_MEM {json}` line, so idle-memory figures are taken the same way for every server
 * (live memory after collection, not whatever garbage happened to be around).
 */
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  const line = { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, gc: gc !== undefined };
  process.stdout.write(`BENCH_MEM ${JSON.stringify(line)}\n`);
});
