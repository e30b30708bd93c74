/**
 * Diagnostic preload: logs every event-loop gap over 40 ms (a 5 ms timer) with what happened inside it —
 * the process's CPU time (all threads), GC time, context switches, page faults, blocks read and written.
 * CPU time ≈ gap means the process was busy; ≈ 0 means it waited or was off the CPU.
 *   BENCH_NODE_ARGS="--import ./bench/lib/stall-probe.ts" STALL_PROBE_OUT=/tmp/gaps.txt npm run bench -- --quick
 */
import { openSync, writeSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const GAP_MS = 40;
const out = openSync(process.env.STALL_PROBE_OUT ?? `/tmp/stall-probe-${process.pid}.txt`, 'a');
const gcs: Array<[start: number, duration: number]> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push([e.startTime, e.duration]);
  if (gcs.length > 2000) gcs.splice(0, 1000);
}).observe({ entryTypes: ['gc'] });

let last = performance.now();
let cpu = process.cpuUsage();
let ru = process.resourceUsage();
setInterval(() => {
  const now = performance.now();
  const [c, r] = [process.cpuUsage(), process.resourceUsage()];
  if (now - last > GAP_MS) {
    const gc = gcs.filter(([s, d]) => s + d >= last && s <= now).reduce((sum, [, d]) => sum + d, 0);
    const ms = (us: number) => (us / 1000).toFixed(0);
    writeSync(
      out,
      `${new Date().toISOString()} gap ${(now - last).toFixed(0)} ms cpu ${ms(c.user - cpu.user + c.system - cpu.system)} ms ` +
        `(sys ${ms(c.system - cpu.system)}) gc ${gc.toFixed(0)} ms vcsw ${r.voluntaryContextSwitches - ru.voluntaryContextSwitches} ` +
        `ivcsw ${r.involuntaryContextSwitches - ru.involuntaryContextSwitches} majflt ${r.majorPageFault - ru.majorPageFault} ` +
        `fsread ${r.fsRead - ru.fsRead} fswrite ${r.fsWrite - ru.fsWrite}\n`,
    );
  }
  [last, cpu, ru] = [now, c, r];
}, 5).unref();
