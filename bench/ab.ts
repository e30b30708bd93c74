/**
 * A/B: server CPU per message of two builds of Parley, alternately, in one run, on the same load — for
 * changes too small to see across separate bench runs on a shared VM (whose speed drifts by tens of percent
 * within an hour). Each round starts each build afresh (new SQLite file), sets up the rooms, and runs the
 * same open-loop step; the builds alternate A, B, B, A, … so a drift in the host's speed falls on both.
 *
 *   git worktree add /tmp/base <commit> && ln -s "$PWD/node_modules" /tmp/base/ && (cd /tmp/base && npm run build)
 *   npm run build && npx tsx bench/ab.ts /tmp/base . [--rate 2000] [--rounds 4] [--ms 10000] [--profile dir]
 *
 * A build named `b1` is the bare relay (bench/bare-relay.ts). With `--profile dir`, each server writes a CPU
 * profile to dir/<A|B>-<round>, unpinned (see below); bench/account.ts sums them per message.
 * `--env-A KEY=VALUE` / `--env-B KEY=VALUE` (repeatable) set a variable for one side only (the same build
 * with a setting on and off: `ab.ts . . --env-B CONTACT_MASKING=mask`); `--text "..."` is what every message says.
 * `--node-A ARG` / `--node-B ARG` (repeatable) add a Node flag to one side's server (`--node-B --no-pretenuring`).
 * `--receiver` starts a webhook receiver in this process (answers 204, on the load core); `$RECEIVER` in a
 * value is its URL and `$SECRET` a webhook secret: `--env-B 'WEBHOOK_URLS=$RECEIVER' --env-B 'WEBHOOK_SECRET=$SECRET'`.
 * A side with webhooks is measured until its last webhook arrived, so its CPU per message includes sending them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startGenerators } from './lib/gen-client.js';
import { parseArgs } from './lib/options.js';
import { b1Spec, parleySpec, scratchDir, writeBenchConfig } from './lib/parley.js';
import { readCpuMs } from './lib/proc.js';
import { killAllServers, startServer } from './lib/server.js';
import { scrape, storeStats } from './lib/server-metrics.js';
import { WebhookReceiver } from './lib/webhook-receiver.js';
import { describe, runStep, settle, setupRooms, type TrafficCtx } from './phases/traffic.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const builds = argv.filter((a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1]!.startsWith('--') || argv[i - 1] === '--receiver')).slice(0, 2);
const sideEnv = (side: 'A' | 'B') =>
  Object.fromEntries(
    argv.flatMap((a, i) => (a === `--env-${side}` ? [argv[i + 1]!] : [])).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
const secret = `whsec_${randomBytes(32).toString('base64')}`;
let receiver: WebhookReceiver | undefined;
/** A side's variables, `$RECEIVER` and `$SECRET` filled in. */
const envOf = (side: 'A' | 'B') =>
  Object.fromEntries(Object.entries(sideEnv(side)).map(([k, v]) => [k, v.replaceAll('$RECEIVER', receiver?.url ?? '$RECEIVER').replaceAll('$SECRET', secret)]));
const nodeArgsOf = (side: 'A' | 'B') => argv.flatMap((a, i) => (a === `--node-${side}` ? [argv[i + 1]!] : []));
const textIndex = argv.indexOf('--text');
const text = textIndex >= 0 ? argv[textIndex + 1] : undefined;
if (builds.length !== 2) throw new Error('usage: tsx bench/ab.ts <build A dir> <build B dir> [--rate N] [--rounds N] [--ms N]');
const rate = flag('--rate', 2000);
const rounds = flag('--rounds', 4);
const stepMs = flag('--ms', 10_000);
const mode = parseArgs([], '').mode;
const profileIndex = argv.indexOf('--profile');
const profileDir = profileIndex >= 0 ? resolve(argv[profileIndex + 1]!) : undefined;

interface Sample {
  cpuMsPerMsg: number;
  /** Of which in the kernel (system time: socket writes and, on loopback, much of the TCP delivery). */
  sysMsPerMsg: number;
  /** write-family system calls per message (/proc/<pid>/io syscw: socket writes, SQLite's WAL writes). */
  writesPerMsg: number;
  ackP99: number;
  e2eP99: number;
  /** CPU time the hypervisor took from the machine's cores during the step (ms, the busiest core). */
  stealMs: number;
}

async function measure(build: string, label: string, dir: string, configFile: string, round: number): Promise<Sample> {
  const nodeArgs = [...nodeArgsOf(label as 'A' | 'B'), ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}/${label}-${round}`] : [])];
  const spec =
    build === 'b1'
      ? { ...b1Spec, name: `ab-${label}-${round}`, nodeArgs }
      : withEnv({ ...parleySpec(`ab-${label}-${round}`, `sqlite:${join(dir, `${label}-${round}.db`)}`, configFile, nodeArgs), entry: join(resolve(build), 'dist/main.js') }, envOf(label as 'A' | 'B'));
  // Profiled servers run unpinned: V8's sampling thread on the server's own (busy) core samples mostly the
  // moments the main thread sleeps, and shows a bare relay 20 % busy while /proc says 75 %.
  // The server first: one that does not start (a bad flag) fails the run instead of leaving generators running.
  const server = await startServer(spec, profileDir ? '0-1' : 0);
  const gens = await startGenerators(1, 1).catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  try {
    const ctx: TrafficCtx = { server, gens, mode, log: console.log, serverPids: async () => [server.pid], ...(text ? { text } : {}) };
    await setupRooms(ctx, `ab${label}${round}-`);
    await settle(ctx, mode.warmupMs);
    let before: Awaited<ReturnType<typeof scrape>> | undefined;
    let [cpu0, sys0, writes0, from] = [0, 0, 0, 0n];
    const step = await runStep(ctx, rate, stepMs, async () => {
      before = await scrape(server.url);
      cpu0 = await readCpuMs(server.pid);
      sys0 = systemMs(server.pid);
      writes0 = writeCalls(server.pid);
      from = process.hrtime.bigint();
    });
    const hooked = Object.values(envOf(label as 'A' | 'B')).some((v) => receiver !== undefined && v.includes(receiver.url));
    if (hooked) await receiver!.quiet(300);
    const cpuMs = (await readCpuMs(server.pid)) - cpu0;
    const sysMs = systemMs(server.pid) - sys0;
    const writes = writeCalls(server.pid) - writes0;
    // The step's window on the monotonic clock the profile's timestamps use (µs), to cut the profile to it.
    const window = { fromUs: Number(from / 1000n), toUs: Number(process.hrtime.bigint() / 1000n) };
    const stored = storeStats(before, await scrape(server.url))?.messagesStored ?? step.sent;
    const sample = { cpuMsPerMsg: cpuMs / Math.max(1, stored), sysMsPerMsg: sysMs / Math.max(1, stored), writesPerMsg: writes / Math.max(1, stored), ackP99: step.ack.p99, e2eP99: step.e2e.p99, stealMs: Math.max(0, ...(step.cpu.stealMs ?? [0])) };
    console.log(`  ${label} round ${round}: ${describe(step)}; cpu ${sample.cpuMsPerMsg.toFixed(4)} ms/msg (system ${sample.sysMsPerMsg.toFixed(4)}), ${sample.writesPerMsg.toFixed(2)} write calls/msg`);
    if (profileDir) {
      mkdirSync(`${profileDir}/${label}-${round}`, { recursive: true });
      writeFileSync(`${profileDir}/${label}-${round}/step.json`, JSON.stringify({ build, ...window, messages: stored, cpuMs, sysMs }));
    }
    return sample;
  } finally {
    await server.stop();
    await Promise.all(gens.map((g) => g.exit()));
  }
}

function withEnv<T extends { env?: Record<string, string> }>(spec: T, env: Record<string, string>): T {
  return { ...spec, env: { ...spec.env, ...env } };
}

/** System (kernel) CPU time of a process so far, in ms. */
function systemMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) * 1000) / 100;
}

/** write-family system calls of a process so far. */
function writeCalls(pid: number): number {
  return Number(/syscw: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? Number.NaN);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = scratchDir();
  const configFile = writeBenchConfig(dir);
  if (argv.includes('--receiver')) receiver = await WebhookReceiver.start();
  const samples: Record<'A' | 'B', Sample[]> = { A: [], B: [] };
  console.log(`A = ${builds[0]} ${JSON.stringify(sideEnv('A'))} ${nodeArgsOf('A').join(' ')}, B = ${builds[1]} ${JSON.stringify(sideEnv('B'))} ${nodeArgsOf('B').join(' ')}; ${rate} msgs/s for ${stepMs} ms, ${rounds} rounds${text ? `, text ${JSON.stringify(text)}` : ''}`);
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? (['A', 'B'] as const) : (['B', 'A'] as const);
    for (const label of order) samples[label].push(await measure(builds[label === 'A' ? 0 : 1]!, label, dir, configFile, round));
  }
  const row = (key: keyof Sample) => {
    const [a, b] = [median(samples.A.map((s) => s[key])), median(samples.B.map((s) => s[key]))];
    return `${key}: A ${a.toFixed(4)}  B ${b.toFixed(4)}  B/A ${(b / a).toFixed(3)}`;
  };
  console.log(`medians over ${rounds} rounds:\n  ${row('cpuMsPerMsg')}\n  ${row('sysMsPerMsg')}\n  ${row('writesPerMsg')}\n  ${row('ackP99')}\n  ${row('e2eP99')}`);
  console.log(`per round, ack p99 B/A: ${samples.B.map((b, i) => (b.ackP99 / samples.A[i]!.ackP99).toFixed(2)).join(' ')}`);
  // A round where the hypervisor took over 5 % of a core from either side compares the host, not the builds.
  const calm = samples.A.map((a, i) => [a, samples.B[i]!] as const).filter(([a, b]) => Math.max(a.stealMs, b.stealMs) < 0.05 * stepMs);
  if (calm.length > 0 && calm.length < rounds) {
    const m = (side: 0 | 1, key: keyof Sample) => median(calm.map((pair) => pair[side][key]));
    console.log(`calm rounds only (steal < 5 %: ${calm.length} of ${rounds}): cpu B/A ${(m(1, 'cpuMsPerMsg') / m(0, 'cpuMsPerMsg')).toFixed(3)}, ack p99 A ${m(0, 'ackP99').toFixed(2)} B ${m(1, 'ackP99').toFixed(2)} B/A ${(m(1, 'ackP99') / m(0, 'ackP99')).toFixed(3)}`);
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    await receiver?.close();
    await killAllServers();
  });
