/**
 * A load-generator process. The orchestrator starts it pinned to its own core and drives it over the
 * IPC channel (see protocol.ts): open idle connections, set up rooms of two members, run open-loop
 * message load, close everything.
 */
import { performance } from 'node:perf_hooks';
import { current, runOpenLoop, type Delivery, type Pair } from './openloop.js';
import type { Cmd, IdleCmd, IdleResult, Reply, Request, SetupCmd, SetupResult } from './protocol.js';
import { call, connect, pool, type Socket } from './sockets.js';

const idle: Socket[] = [];
let pairs: Pair[] = [];

async function openIdle(cmd: IdleCmd): Promise<IdleResult> {
  const t = performance.now();
  const results = await pool(cmd.count, cmd.concurrency, (i) =>
    connect(cmd.url, { customerID: `${cmd.prefix}${i}` }, cmd.localAddress),
  );
  let failed = 0;
  let firstError: string | undefined;
  for (const r of results) {
    if (r.status === 'fulfilled') idle.push(r.value);
    else {
      failed++;
      firstError ??= String((r.reason as Error)?.message ?? r.reason);
    }
  }
  const out: IdleResult = { connected: cmd.count - failed, failed, ms: performance.now() - t };
  if (firstError) out.firstError = firstError;
  return out;
}

function listen(socket: Socket, ownId: string): void {
  socket.on('message', (m: Delivery) => current.onMessage?.(m, ownId));
}

async function setupPair(cmd: SetupCmd, i: number): Promise<Pair> {
  const cid = `${cmd.prefix}c${i}`;
  const vid = `${cmd.prefix}v${i}`;
  const token = `${cmd.prefix}r${i}`;
  const [c, v] = await Promise.all([
    connect(cmd.url, { customerID: cid }, cmd.localAddress),
    connect(cmd.vendorUrl ?? cmd.url, { vendorID: vid }, cmd.localAddress),
  ]);
  listen(c, cid);
  listen(v, vid);
  const names = { customerID: cid, vendorID: vid, roomToken: token };
  await call(c, 'join-room', names);
  await call(v, 'accept-room', names);
  return { c, v, cid, vid, token };
}

async function setup(cmd: SetupCmd): Promise<SetupResult> {
  const t = performance.now();
  const results = await pool(cmd.rooms, 50, (i) => setupPair(cmd, i));
  const bad = results.find((r) => r.status === 'rejected');
  const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  pairs = ok;
  if (bad) {
    closeAll();
    throw new Error(`room setup failed: ${String((bad as PromiseRejectedResult).reason)}`);
  }
  return { rooms: pairs.length, ms: performance.now() - t };
}

function closeAll(): { closed: number } {
  const sockets = [...idle, ...pairs.flatMap((p) => [p.c, p.v])];
  for (const s of sockets) s.close();
  idle.length = 0;
  pairs = [];
  return { closed: sockets.length };
}

async function handle(cmd: Cmd): Promise<unknown> {
  switch (cmd.cmd) {
    case 'idle':
      return openIdle(cmd);
    case 'setup':
      return setup(cmd);
    case 'run':
      if (pairs.length === 0) throw new Error('run before setup');
      return runOpenLoop(pairs, cmd);
    case 'close':
      return closeAll();
  }
}

let queue: Promise<void> = Promise.resolve();
process.on('message', (req: Request) => {
  queue = queue.then(async () => {
    let reply: Reply;
    try {
      reply = { id: req.id, ok: true, result: await handle(req) };
    } catch (err) {
      reply = { id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    process.send?.(reply);
  });
});
process.on('disconnect', () => {
  closeAll();
  process.exit(0);
});
process.send?.({ id: 0, ok: true, result: 'ready' } satisfies Reply);
