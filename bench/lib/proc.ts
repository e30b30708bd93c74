import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** True when `taskset` (util-linux) can pin processes to a core. */
export function hasTaskset(): boolean {
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The argv that runs `args` pinned to `core` (a taskset list such as `0-1` for several; unpinned without taskset). */
export function pinned(core: number | string, args: string[]): [string, string[]] {
  return hasTaskset() ? ['taskset', ['-c', String(core), ...args]] : [args[0]!, args.slice(1)];
}

/** Pins this process (the orchestrator, and autocannon inside it) to a core; best effort. */
export function pinSelf(core: number): void {
  if (hasTaskset()) spawnSync('taskset', ['-cp', String(core), String(process.pid)], { stdio: 'ignore' });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Resolves with the first line of the child's stdout/stderr matching `pattern`; rejects on exit or timeout. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      const hit = lines.find((l) => pattern.test(l));
      if (hit !== undefined) done(() => resolve(hit));
    };
    const onExit = (code: number | null) => done(() => reject(new Error(`process exited (${code}) before ${pattern}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms`))), timeoutMs);
    const done = (then: () => void) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      then();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Sends a signal and waits for the exit, escalating to SIGKILL after timeoutMs. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit') as Promise<[number | null]>;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = await exited;
  clearTimeout(timer);
  return code;
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS). */
export async function readRss(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

export { spawn };

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. */
export async function readCpuMs(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

/**
 * Pins the threads of `pid` running at nice `nice` to `core`: Parley's webhook sender thread lowers itself to
 * SENDER_THREAD_NICE, the only thread of the process that does, so the bench can give it the load core (as a deployment
 * gives it a core of its own). How many it pinned.
 */
export function pinThreadsWithNice(pid: number, nice: number, core: number): number {
  if (!hasTaskset()) return 0;
  let pinnedThreads = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[16]) !== nice) continue;
    if (spawnSync('taskset', ['-cp', String(core), tid], { stdio: 'ignore' }).status === 0) pinnedThreads++;
  }
  return pinnedThreads;
}
