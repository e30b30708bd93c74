/**
 * Parley as real operating-system processes (`node --import tsx src/main.ts`), for the multi-node tests:
 * started with an environment, ready once they print `listening on <host>:<port>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const READY = /listening on ([0-9.]+):(\d+)/;

export interface NodeProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process printed (stdout and stderr), for failure messages. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

export function startNode(name: string, env: Record<string, string>, timeoutMs = 30_000): Promise<NodeProcess> {
  return startProcess(name, ['--import', 'tsx', 'src/main.ts'], { NODE_ENV: '', ...env }, timeoutMs);
}

/** `node <args>` in the repository with `env` over this process's environment, ready at "listening on". */
export function startProcess(name: string, args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<NodeProcess> {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not print "listening on" within ${timeoutMs} ms`), timeoutMs);
    function fail(why: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`node ${name} ${why}. Output:\n${out}`));
    }
    void exited.then((code) => started || fail(`exited (${code}) before it was ready`));
    let started = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const ready = started ? null : READY.exec(out);
      if (!ready) return;
      started = true;
      clearTimeout(timer);
      resolve(handle(name, child, `http://${ready[1]}:${ready[2]}`, () => out, exited));
    });
  });
}

function handle(name: string, child: ChildProcess, url: string, output: () => string, exited: Promise<number | string>): NodeProcess {
  return {
    name,
    url,
    child,
    output,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
