import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { AttemptResult, Sender } from './sender.js';
import { spawnSenderThread } from './sender-thread-spawn.js';

export interface ThreadInit {
  secret: string;
  timeoutMs: number;
  /** The thread's nice value (Linux): it yields the core to the chat when both want it. */
  nice: number;
}

export interface SendRequest {
  seq: number;
  url: string;
  id: string;
  /** The attempt's time (epoch ms): the signature's timestamp. */
  at: number;
  body: string;
}

export type ToThread = { kind: 'send'; batch: SendRequest[] } | { kind: 'abort' };
/** `[seq, ok, status, error]`: an attempt's result, compact (thousands cross per second). */
export type SendReply = [number, boolean, number | null, string | null];

interface Pending {
  resolve: (result: AttemptResult) => void;
  deadline: number;
}

/** How far past the attempt's own timeout the thread's answer may come before it counts as a failure. */
const ANSWER_GRACE_MS = 2000;
const SWEEP_MS = 500;
/**
 * The thread's nice value: the lowest, so on a contended core the chat's threads run first. Against 10, in
 * interleaved A/B rounds at 1,000 msgs/s (bench/ab.ts, both sides delivering, 10 rounds): the chat's ack p99
 * 0.55–1.19×, median 0.87×, for the same CPU per message.
 */
export const SENDER_THREAD_NICE = 19;
/** After a thread died, attempts fail at once for this long instead of each starting (and losing) a new one. */
const RESPAWN_PAUSE_MS = 1000;

const failed = (error: string): AttemptResult => ({ ok: false, status: null, error });

/**
 * Sends attempts on a thread of its own: HTTP was most of what webhooks cost the event loop that serves the
 * sockets (~140 µs per event for the request and its response, in the dispatcher's profile), and on a
 * thread it runs on another core, or, on a contended one, after the chat (the thread has a lower priority).
 * The claims and their records stay on the dispatcher's side: the store's connection is not shared. Requests
 * and results cross in batches, one message per event-loop turn each way.
 */
export class ThreadedSender implements Sender {
  private worker: Worker | undefined;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private queue: SendRequest[] = [];
  private sweeper: NodeJS.Timeout | undefined;
  private readonly watched = new WeakSet<AbortSignal>();
  private closed = false;
  private diedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly secret: string,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  send(url: string, id: string, at: Date, body: string, stop: AbortSignal): Promise<AttemptResult> {
    if (this.closed || stop.aborted) return Promise.resolve(failed('stopping'));
    this.watch(stop);
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(seq, { resolve, deadline: Date.now() + this.timeoutMs + ANSWER_GRACE_MS });
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ seq, url, id, at: at.getTime(), body });
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0 || this.closed) return;
    if (!this.worker && Date.now() - this.diedAt < RESPAWN_PAUSE_MS) {
      for (const r of batch) this.settle(r.seq, failed('webhook sender thread restarting'));
      return;
    }
    try {
      this.thread().postMessage({ kind: 'send', batch } satisfies ToThread);
    } catch (err) {
      for (const r of batch) this.settle(r.seq, failed(`webhook sender thread: ${(err as Error).message}`));
    }
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const workerData: ThreadInit = { secret: this.secret, timeoutMs: this.timeoutMs, nice: SENDER_THREAD_NICE };
    const worker = spawnSenderThread(workerData);
    worker.unref();
    worker.on('message', (replies: SendReply[]) => {
      for (const [seq, ok, status, error] of replies) this.settle(seq, { ok, status, error });
    });
    worker.on('error', (err) => this.log.error({ err }, 'webhook sender thread failed; attempts in flight count as failed'));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.diedAt = Date.now();
      // The next send starts a new thread; these are retried on their schedule.
      this.failAll(`webhook sender thread exited (${code})`);
    });
    this.worker = worker;
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    return worker;
  }

  /** A thread stuck (or starved of CPU) past an attempt's deadline: the attempt counts as failed. */
  private sweep(): void {
    const now = Date.now();
    for (const [seq, p] of this.pending) if (p.deadline <= now) this.settle(seq, failed(`no answer within ${this.timeoutMs} ms`));
  }

  private settle(seq: number, result: AttemptResult): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    p.resolve(result);
  }

  private failAll(error: string): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq, failed(error));
  }

  /** The dispatcher shutting down: attempts in flight are abandoned, here and on the thread. */
  private watch(stop: AbortSignal): void {
    if (this.watched.has(stop)) return;
    this.watched.add(stop);
    stop.addEventListener(
      'abort',
      () => {
        this.worker?.postMessage({ kind: 'abort' } satisfies ToThread);
        this.failAll('stopping');
      },
      { once: true },
    );
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    this.failAll('stopping');
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }
}
