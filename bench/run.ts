/**
 * The bench: B1 (bare Socket.IO relay), B2 (SQLite insert ceiling) and Parley on the same load in one
 * run, plus the Part II costs (features on vs off, uploads).
 * `npm run bench [-- --quick|--smoke] [--profile] [--only b1,b2,parley,pg,history,durability,features,uploads,nodes] [--out dir]`.
 * Writes `<out>/latest-<mode>.json` and `.md` and prints the tables.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { durability } from './phases/durability.js';
import { features } from './phases/features.js';
import { history } from './phases/history.js';
import { nodes } from './phases/nodes.js';
import { measureTarget } from './phases/target.js';
import { uploads } from './phases/uploads.js';
import { quietBudget } from './lib/cpu.js';
import { startGenerators, type Generator } from './lib/gen-client.js';
import { parseArgs, type Options } from './lib/options.js';
import { b1Spec, parleySpec, scratchDir, writeBenchConfig } from './lib/parley.js';
import { hasTaskset, pinned, pinSelf, spawn, waitForLine } from './lib/proc.js';
import { renderMarkdown } from './lib/report.js';
import type { Machine, Results } from './lib/results.js';
import { killAllServers } from './lib/server.js';
import { busiestProfile, formatFrames, topFrames } from './profile.js';
import type { StorageRun } from './storage-ceiling.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const PROFILE_DIR = 'bench/results/profile';
const log = (line: string) => console.log(line);

function machine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const sh = (cmd: string) => {
    try {
      return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  return {
    nproc: cpus().length,
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? '?',
    node: process.version,
    memGiB: Math.round(totalmem() / 2 ** 30),
    fdLimit: sh('ulimit -n'),
    kernel: `Linux ${release()}`,
  };
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '(none)';
  }
}

/** B2 in its own process on the server core, like the servers. */
async function storageCeiling(ms: number): Promise<StorageRun[]> {
  const [cmd, args] = pinned(0, [process.execPath, '--import', 'tsx', 'bench/storage-ceiling.ts', '--ms', String(ms)]);
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const line = await waitForLine(child, /^B2 /, ms + 60_000);
  return JSON.parse(line.slice(3)) as StorageRun[];
}

function want(opts: Options, part: string): boolean {
  return opts.only.size === 0 || opts.only.has(part);
}

async function runAll(opts: Options, gens: Generator[], dir: string, configFile: string, results: Results): Promise<void> {
  const { mode } = opts;
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      const msg = `${what}: ${(err as Error).message}`;
      console.error(`!! ${msg}`);
      results.errors.push(msg.split('\n')[0]!);
      await Promise.all(gens.map((g) => g.close().catch(() => {})));
    }
  };
  const profileArgs = (sub: string) => (opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, sub)}`] : []);
  if (opts.profile) rmSync(join(root, PROFILE_DIR), { recursive: true, force: true });

  if (want(opts, 'b2')) {
    await attempt('b2', async () => {
      results.b2 = await storageCeiling(mode.storageMs);
      log(`  b2: ${JSON.stringify(results.b2)}`);
    });
  }
  if (want(opts, 'b1')) await attempt('b1', async () => void (results.targets['b1'] = await measureTarget(b1Spec, mode, gens, undefined, log)));
  const b1Sustained = results.targets['b1']?.throughput.sustained;
  if (want(opts, 'parley')) {
    const spec = parleySpec('parley-sqlite', `sqlite:${join(dir, 'parley.db')}`, configFile, profileArgs('socket'));
    await attempt('parley-sqlite', async () => void (results.targets['parley-sqlite'] = await measureTarget(spec, mode, gens, b1Sustained, log)));
    if (opts.profile) await attempt('profile', async () => void (results.profile = analyzeProfile('socket', 'Parley, socket load')));
  }
  if (opts.pgUrl && want(opts, 'pg')) {
    const spec = parleySpec('parley-pg', opts.pgUrl, configFile);
    await attempt('parley-pg', async () => void (results.targets['parley-pg'] = await measureTarget(spec, mode, gens, b1Sustained, log)));
  }
  if (want(opts, 'history')) {
    await attempt('history', async () => {
      log('  history');
      results.history = await history(mode, dir, configFile, 0, log, profileArgs('history'));
    });
    if (opts.profile) await attempt('profile', async () => void (results.profileHistory = analyzeProfile('history', 'Parley, history requests')));
  }
  if (want(opts, 'durability')) {
    await attempt('durability', async () => {
      log('  durability');
      results.durability = await durability(mode, dir, configFile, gens[0]!, 0, log);
    });
  }
  // Part II: full and quick runs; the smoke run only when asked for by name.
  const partTwo = (part: string) => (mode.name === 'smoke' ? opts.only.has(part) : want(opts, part));
  if (partTwo('features')) await attempt('features', async () => void (results.features = await features(mode, dir, configFile, gens[0]!, log)));
  if (opts.pgUrl && opts.redisUrl && partTwo('nodes')) {
    await attempt('nodes', async () => void (results.nodes = await nodes(mode, configFile, opts.pgUrl!, opts.redisUrl!, gens[0]!, log)));
  }
  if (partTwo('uploads')) await attempt('uploads', async () => void (results.uploads = await uploads(mode, configFile, gens[0]!, log)));
}

function analyzeProfile(sub: string, what: string): NonNullable<Results['profile']> {
  const file = busiestProfile(join(root, PROFILE_DIR, sub));
  if (!file) throw new Error(`no .cpuprofile in ${PROFILE_DIR}/${sub} (did Parley exit cleanly on SIGTERM?)`);
  const top = topFrames(file, 10, root);
  log(`  profile (${what}):\n${formatFrames(top)}`);
  return { what, file: file.slice(root.length), ...top };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2), join(root, 'bench/results'));
  const t0 = performance.now();
  pinSelf(1);
  quietBudget.ms = opts.mode.quietBudgetMs;
  const results: Results = {
    meta: { mode: opts.mode.name, startedAt: new Date().toISOString(), durationS: 0, machine: machine(), commit: commit(), notes: [] },
    targets: {},
    errors: [],
  };
  if (!hasTaskset()) results.meta.notes.push('taskset missing: processes were not pinned; figures are less comparable.');
  if (!opts.pgUrl) results.meta.notes.push('TEST_DATABASE_URL unset: Parley on PostgreSQL not measured.');
  if (!opts.pgUrl || !opts.redisUrl) results.meta.notes.push('TEST_DATABASE_URL or TEST_REDIS_URL unset: 1 node vs 2 nodes not measured.');
  log(`parley bench, ${opts.mode.name} mode`);
  const dir = scratchDir();
  const configFile = writeBenchConfig(dir);
  const gens = await startGenerators(Math.max(1, opts.mode.idleGenerators), 1);
  try {
    await runAll(opts, gens, dir, configFile, results);
  } finally {
    await Promise.all(gens.map((g) => g.exit()));
    rmSync(dir, { recursive: true, force: true });
  }
  results.meta.durationS = Math.round((performance.now() - t0) / 1000);
  const flagged = Object.values(results.targets).flatMap((t) => [...t.latency, ...t.throughput.steps, t.halfB1]).filter((s) => s.flags.length > 0);
  if (flagged.length) results.meta.notes.push(`${flagged.length} load step(s) flagged (generator saturated or other processes using the CPU); see ⚠ marks.`);
  const md = renderMarkdown(results);
  mkdirSync(opts.outDir, { recursive: true });
  writeFileSync(join(opts.outDir, `latest-${opts.mode.name}.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(opts.outDir, `latest-${opts.mode.name}.md`), md);
  log(`\n${md}`);
  log(`written ${join(opts.outDir, `latest-${opts.mode.name}.{json,md}`)}`);
  process.exitCode = results.errors.length ? 1 : 0;
}

process.on('exit', killAllServers);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
await main();
