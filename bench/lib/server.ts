import { execFile, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, pinned, readRss, spawn, stopProcess, waitForLine } from './proc.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const preload = fileURLToPath(new URL('./mem-preload.ts', import.meta.url));

export interface ServerSpec {
  /** Label in reports, e.g. `b1`, `parley-sqlite`. */
  name: string;
  /** Entry file relative to the repo root. */
  entry: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
  port?: number;
}

export interface Memory {
  rss: number;
  heapUsed: number;
}

export interface EventLoopDelay {
  p50: number;
  p99: number;
  max: number;
}

export interface Server {
  name: string;
  pid: number;
  port: number;
  url: string;
  child: ChildProcess;
  /** Memory after a forced full GC: VmRSS from /proc and V8 heap used. */
  memory(): Promise<Memory>;
  /** The server's event-loop delay (ms) since the previous call (resolution 5 ms: idle reads ~5). */
  eventLoop(): Promise<EventLoopDelay>;
  /** Last lines the process printed (for error messages). */
  tail(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const live = new Set<ChildProcess>();

/** SIGKILLs every server still running (for the orchestrator's exit path: no server outlives the bench). */
export function killAllServers(): void {
  for (const child of live) child.kill('SIGKILL');
}

let built: Promise<unknown> | undefined;
/** Builds dist/ once per run when it is missing or older than the sources (scripts/ensure-built.mjs). */
function ensureBuilt(): Promise<unknown> {
  built ??= promisify(execFile)(process.execPath, [join(root, 'scripts', 'ensure-built.mjs')], { cwd: root });
  return built;
}

let preloadJs: Promise<string> | undefined;
/** The preload as plain JavaScript, for servers started without tsx. */
function jsPreload(): Promise<string> {
  preloadJs ??= import('esbuild').then(async ({ transform }) => {
    const { code } = await transform(readFileSync(preload, 'utf8'), { loader: 'ts', format: 'esm', target: 'node20' });
    const file = join(mkdtempSync(join(tmpdir(), 'parley-bench-preload-')), 'mem-preload.mjs');
    writeFileSync(file, code);
    return file;
  });
  return preloadJs;
}

/** Starts a server pinned to the server core and waits until it answers GET /readyz. */
export async function startServer(spec: ServerSpec, core: number | string): Promise<Server> {
  const port = spec.port ?? (await freePort());
  // BENCH_NODE_ARGS (e.g. "--trace-gc") and BENCH_SERVER_LOG_DIR (one <name>.log per server) are for diagnosing a run.
  const extraArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // Parley runs as in production (`node dist/main.js`, no loader); tsx only for TypeScript entries (the baseline).
  const typescript = [spec.entry, ...(spec.nodeArgs ?? []), ...extraArgs].some((arg) => arg.endsWith('.ts'));
  if (spec.entry.startsWith('dist/')) await ensureBuilt();
  const loader = typescript ? ['--import', 'tsx', '--import', preload] : ['--import', await jsPreload()];
  const args = [process.execPath, '--expose-gc', ...loader, ...(spec.nodeArgs ?? []), ...extraArgs, spec.entry];
  const [cmd, argv] = pinned(core, args);
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...spec.env };
  const child = spawn(cmd, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const logDir = process.env.BENCH_SERVER_LOG_DIR;
  if (logDir) {
    const file = createWriteStream(join(logDir, `${spec.name}.log`), { flags: 'a' });
    child.stdout?.pipe(file);
    child.stderr?.pipe(file);
  }
  const url = `http://127.0.0.1:${port}`;
  const server: Server = {
    name: spec.name,
    pid: child.pid ?? -1,
    port,
    url,
    child,
    tail: () => lines.join('\n'),
    memory: () => memory(child),
    eventLoop: () => eventLoop(child),
    stop: (signal = 'SIGTERM') => stopProcess(child, signal, 15_000),
  };
  try {
    await waitReady(child, url, 60_000);
  } catch (err) {
    await server.stop('SIGKILL');
    throw new Error(`${spec.name} did not start: ${(err as Error).message}\n${server.tail()}`);
  }
  return server;
}

async function waitReady(child: ChildProcess, url: string, timeoutMs: number): Promise<void> {
  await waitForLine(child, /listening on/, timeoutMs);
  await pollReady(url, child, 10_000);
}

/** After `listening on`: GET /readyz until 200 (storage may still be warming up); bounded retries. */
async function pollReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; Date.now() < deadline && attempt < 100; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('process exited');
    const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`GET /readyz not 200 within ${timeoutMs} ms`);
}

async function memory(child: ChildProcess): Promise<Memory> {
  const line = waitForLine(child, /^BENCH_MEM /, 15_000);
  child.kill('SIGUSR2');
  const parsed = JSON.parse((await line).slice('BENCH_MEM '.length)) as { heapUsed: number };
  return { rss: await readRss(child.pid ?? -1), heapUsed: parsed.heapUsed };
}

async function eventLoop(child: ChildProcess): Promise<EventLoopDelay> {
  const line = waitForLine(child, /^BENCH_ELD /, 15_000);
  child.kill('SIGWINCH');
  return JSON.parse((await line).slice('BENCH_ELD '.length)) as EventLoopDelay;
}
