import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Generator } from '../lib/gen-client.js';
import type { Mode } from '../lib/options.js';
import { parleySpec } from '../lib/parley.js';
import type { ChildProcess } from 'node:child_process';
import { pinned, pinThreadsWithNice, readCpuMs, spawn } from '../lib/proc.js';
import { root, startServer, type Server } from '../lib/server.js';
import { scrape, storeStats, type StoreStats } from '../lib/server-metrics.js';
import { SENDER_THREAD_NICE } from '../../src/webhooks/threaded-sender.js';
import { measureWebhookFloor, type WebhookFloor } from '../lib/webhook-floor.js';
import { WebhookReceiver, type WebhookLag } from '../lib/webhook-receiver.js';
import { describe, runStep, settle, setupRooms, type Step, type TrafficCtx } from './traffic.js';

/** What every message says: ordinary text with a phone number and an e-mail, so masking has work to do. */
export const FEATURE_TEXT = 'Hi! Is the oak table still available? Call me on 555 123 4567 or mail john.doe@gmail.com, thanks.';

export interface FeatureStep {
  step: Step;
  /** Server CPU (ms) per message stored, over the step and, with webhooks, until they were delivered. */
  cpuMsPerMsg: number;
  /** The same for the dispatcher process, when delivery runs apart. */
  dispatcherCpuMsPerMsg?: number;
  /** Group-commit batches over the same window (the outbox rows are written in the message batch). */
  store?: StoreStats;
  webhook?: WebhookLag;
  /** /proc/loadavg when the step ended (the machine is shared). */
  load: string;
}

export interface FeatureRun {
  /**
   * `mask`: contact masking only, to split the cost of `on` between masking and webhooks. `apart`: as `on`,
   * but the server only records (WEBHOOK_DELIVER=false) and a dispatcher process on the load core delivers.
   * `on2`: as `on`, with the server's webhook sender thread moved to the load core (a second core for it).
   */
  features: 'off' | 'mask' | 'on' | 'on2' | 'apart';
  env: Record<string, string>;
  steps: FeatureStep[];
}

export interface Features {
  text: string;
  durationMs: number;
  runs: FeatureRun[];
  /** One signed POST alone, by Parley's sender on the server's core (bench/lib/webhook-floor.ts). */
  floor?: WebhookFloor;
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/**
 * Part II costs: Parley on SQLite at fixed open-loop rates, first with the Part II features off (no
 * webhook URL, contact masking off), then masking only, then on (every event POSTed to a local receiver, masking on).
 */
export async function features(mode: Mode, dir: string, configFile: string, gen: Generator, log: (l: string) => void): Promise<Features> {
  const receiver = await WebhookReceiver.start();
  try {
    const on = { WEBHOOK_URLS: receiver.url, WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`, CONTACT_MASKING: 'mask' };
    const runs: FeatureRun[] = [];
    const apart = { ...on, WEBHOOK_DELIVER: 'false' };
    const variants = [['off', { CONTACT_MASKING: 'off' }], ['mask', { CONTACT_MASKING: 'mask' }], ['on', on], ['on2', on], ['apart', apart]] as const;
    const only = process.env.BENCH_FEATURES?.split(',');
    const profile = process.env.BENCH_FEATURES_PROFILE;
    for (const [label, env] of variants) {
      // on2 only when asked for: it adds a run and loads the generator's core.
      if (only ? !only.includes(label) : label === 'on2') continue;
      log(`  features ${label}`);
      const nodeArgs = [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}/${label}`] : []), ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ') ?? [])];
      const spec = parleySpec(`parley-features-${label}`, `sqlite:${join(dir, `features-${label}.db`)}`, configFile, nodeArgs);
      spec.env = { ...spec.env, ...env };
      const server = await startServer(spec, 0);
      const dispatcher = label === 'apart' ? await startDispatcher({ ...spec.env, WEBHOOK_DELIVER: 'true' }, join(dir, 'dispatcher.log'), profile ? [`--cpu-prof-dir=${profile}/dispatcher`, '--cpu-prof'] : []) : undefined;
      try {
        const hooked = label === 'on' || label === 'on2' || label === 'apart';
        const warmed = label === 'on2' ? () => log(`    sender threads pinned to the load core: ${pinThreadsWithNice(server.pid, SENDER_THREAD_NICE, 1)}`) : undefined;
        const steps = await measureChat(server, mode, gen, hooked ? receiver : undefined, log, dispatcher?.pid, warmed);
        runs.push({ features: label, env: { ...env, ...('WEBHOOK_SECRET' in env ? { WEBHOOK_SECRET: '(random)' } : {}) }, steps });
      } catch (err) {
        throw new Error(`features ${label}: ${(err as Error).message}\n--- server output ---\n${server.tail()}`);
      } finally {
        dispatcher?.kill('SIGTERM');
        if (dispatcher) log(`  dispatcher log (last lines):\n${readFileSync(join(dir, 'dispatcher.log'), 'utf8').split('\n').slice(-5).join('\n')}`);
        await server.stop();
      }
    }
    const floor = runs.some((r) => r.features !== 'off' && r.features !== 'mask') ? await measureWebhookFloor(receiver.url, mode.name === 'smoke' ? 2000 : 20_000) : undefined;
    return { text: FEATURE_TEXT, durationMs: mode.featureMs, runs, floor };
  } finally {
    await receiver.close();
  }
}

/** `npm run dispatcher` (node dist/dispatch.js) on the load core, delivering what the server records. */
async function startDispatcher(env: Record<string, string>, logFile: string, nodeArgs: string[]): Promise<ChildProcess> {
  const nice = process.env.BENCH_DISPATCHER_NICE;
  const [cmd, args] = pinned(Number(process.env.BENCH_DISPATCHER_CORE ?? 1), [...(nice ? ['nice', '-n', nice] : []), process.execPath, ...nodeArgs, 'dist/dispatch.js']);
  // Its output goes to a file: a pipe nobody reads would fill and stall the process.
  const out = openSync(logFile, 'w');
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', out, out] });
  closeSync(out);
  const deadline = Date.now() + 30_000;
  while (!readFileSync(logFile, 'utf8').includes('parley dispatcher running')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`dispatcher did not start:\n${readFileSync(logFile, 'utf8')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

/** Chat at each of the mode's feature rates on a running server (with `receiver`: also the webhook lag). */
export async function measureChat(
  server: Server,
  mode: Mode,
  gen: Generator,
  receiver: WebhookReceiver | undefined,
  log: (l: string) => void,
  dispatcherPid?: number,
  warmed?: () => void,
): Promise<FeatureStep[]> {
  const helperPids = dispatcherPid === undefined ? [] : [dispatcherPid];
  const ctx: TrafficCtx = { server, gens: [gen], mode, log, serverPids: async () => [server.pid], helperPids, text: FEATURE_TEXT };
  await setupRooms(ctx, `${server.name}-${Date.now().toString(36)}-`);
  await settle(ctx, mode.warmupMs);
  warmed?.();
  const steps: FeatureStep[] = [];
  for (const rate of mode.featureRates) {
    // Deliver the previous step's webhooks first: every step starts, like "off", with nothing queued.
    await receiver?.quiet();
    await settle(ctx);
    // Counted from the start of the run that is kept (a run disturbed by other load is repeated).
    let before: Awaited<ReturnType<typeof scrape>> | undefined;
    let [cpu0, helperCpu0, sinceMs] = [0, 0, 0];
    const begin = async () => {
      await receiver?.quiet();
      receiver?.reset();
      before = await scrape(server.url);
      cpu0 = await readCpuMs(server.pid);
      helperCpu0 = dispatcherPid === undefined ? 0 : await readCpuMs(dispatcherPid);
      sinceMs = Date.now();
    };
    const step = await runStep(ctx, rate, mode.featureMs, begin);
    const stored = storeStats(before, await scrape(server.url));
    const webhook = receiver ? await receiver.drain(sinceMs, stored?.messagesStored ?? step.sent, Date.now()) : undefined;
    const cpuMs = (await readCpuMs(server.pid)) - cpu0;
    // Re-scrape after the webhook drain: the batches stay the ones of the step (nothing is sent meanwhile).
    const store = storeStats(before, await scrape(server.url));
    const messages = Math.max(1, store?.messagesStored ?? step.sent);
    const perMsg = (ms: number) => Math.round((1000 * ms) / messages) / 1000;
    const fs: FeatureStep = { step, cpuMsPerMsg: perMsg(cpuMs), load: loadavg() };
    if (dispatcherPid !== undefined) fs.dispatcherCpuMsPerMsg = perMsg((await readCpuMs(dispatcherPid)) - helperCpu0);
    if (store) fs.store = store;
    if (webhook) fs.webhook = webhook;
    const helper = fs.dispatcherCpuMsPerMsg === undefined ? '' : ` (+ dispatcher ${fs.dispatcherCpuMsPerMsg})`;
    log(`    ${describe(step)}; cpu ${fs.cpuMsPerMsg} ms/msg${helper}; load ${fs.load}`);
    if (webhook) log(`    webhooks: ${webhook.received}/${webhook.expected} message.created, lag p50 ${webhook.lag.p50} p99 ${webhook.lag.p99} max ${webhook.lag.max} ms, last ${webhook.drainMs} ms after the load`);
    steps.push(fs);
  }
  await gen.close();
  return steps;
}
