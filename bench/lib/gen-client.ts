import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Cmd, IdleResult, Reply, RunCmd, RunResult, SetupResult } from '../gen/protocol.js';
import { pinned, spawn, stopProcess } from './proc.js';

const workerPath = fileURLToPath(new URL('../gen/worker.ts', import.meta.url));

/** The orchestrator's handle on one load-generator process (pinned to the load core). */
export class Generator {
  private nextId = 1;
  private readonly pending = new Map<number, (r: Reply) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly index: number,
  ) {
    child.on('message', (r: Reply) => this.pending.get(r.id)?.(r));
    child.on('exit', (code) => {
      for (const [id, settle] of this.pending) settle({ id, ok: false, error: `generator exited (${code})` });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Source address for this generator's connections, so many generators never share a port range. */
  get localAddress(): string {
    return `127.0.0.${10 + this.index}`;
  }

  static async start(index: number, core: number): Promise<Generator> {
    const [cmd, args] = pinned(core, [process.execPath, '--import', 'tsx', workerPath]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: process.env });
    const gen = new Generator(child, index);
    await gen.expect(0, 30_000, 'start');
    return gen;
  }

  private expect(id: number, timeoutMs: number, what: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`generator ${this.index}: ${what} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (r.ok) resolve(r.result);
        else reject(new Error(`generator ${this.index}: ${what}: ${r.error}`));
      });
    });
  }

  private request(cmd: Cmd, timeoutMs: number): Promise<unknown> {
    const id = this.nextId++;
    const answer = this.expect(id, timeoutMs, cmd.cmd);
    this.child.send({ ...cmd, id });
    return answer;
  }

  idle(url: string, count: number, prefix: string, timeoutMs: number): Promise<IdleResult> {
    const cmd = { cmd: 'idle', url, count, prefix, concurrency: 64, localAddress: this.localAddress } as const;
    return this.request(cmd, timeoutMs) as Promise<IdleResult>;
  }

  setup(url: string, rooms: number, prefix: string, vendorUrl?: string): Promise<SetupResult> {
    const cmd = { cmd: 'setup', url, rooms, prefix, localAddress: this.localAddress, ...(vendorUrl ? { vendorUrl } : {}) } as const;
    return this.request(cmd, 60_000) as Promise<SetupResult>;
  }

  run(cmd: Omit<RunCmd, 'cmd'>): Promise<RunResult> {
    const budget = cmd.durationMs + cmd.drainMs + 30_000;
    return this.request({ cmd: 'run', ...cmd }, budget) as Promise<RunResult>;
  }

  close(): Promise<unknown> {
    return this.request({ cmd: 'close' }, 30_000);
  }

  async exit(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    await stopProcess(this.child, 'SIGTERM', 5_000);
  }
}

/** Starts n generators on the load core. */
export async function startGenerators(n: number, core: number): Promise<Generator[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => Generator.start(i, core)));
}
