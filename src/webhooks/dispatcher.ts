import { setMaxListeners } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Clock } from '../services/clock.js';
import type { ClaimedDelivery, DeliveredAttempt, Delivery, DeliveryRepository, UnreadRepository } from '../store/platform-repository.js';
import { GIVE_UP_AFTER_MS, retryDelayMs } from './backoff.js';
import { groupBy, inPool } from './pool.js';
import type { Sender } from './sender.js';

export interface DispatcherOptions {
  /** Only deliveries to these URLs are attempted (a URL removed from the config is no longer called). */
  urls: readonly string[];
  pollMs: number;
  timeoutMs: number;
  retryBaseMs: number;
  unreadDelayMs: number;
  /** Rooms (and URLs) attempted at once per run. */
  batchSize?: number;
  /** Deliveries of one room attempted one after the other per run. */
  perRoom?: number;
  /** Deliveries claimed per run beyond each room's first: bounds the claim's (synchronous, on SQLite) statement. */
  claimRows?: number;
  /** Sends deliveries (default); off on a node that leaves them to dispatcher processes. */
  deliver?: boolean;
  /** Evaluates `message.unread` candidates (default); off in a dispatcher process (it knows no presence). */
  evaluateUnread?: boolean;
}

export interface DispatcherDeps {
  deliveries: DeliveryRepository;
  unread: UnreadRepository;
  sender: Sender;
  /** Whether the user has a socket anywhere (presence); bounded, a slow answer counts as offline. */
  online: (namespace: string, userId: string) => Promise<boolean>;
  clock: Clock;
  log: Logger;
  onAttempt?: (ok: boolean, seconds: number) => void;
}

const ONLINE_LOOKUP_MS = 250;
/**
 * Pauses between passes (busy) and after a nudge (idle): each pass has a fixed cost (its claim's queries, a
 * commit for its successes), so a pass every few milliseconds with a handful of events cost more CPU per event.
 */
const BUSY_PAUSE_MS = 40;
const NUDGE_MS = 10;
/** Rooms attempted at once: enough to keep up at thousands of events a second over a few ms round trips. */
const RUNS_AT_ONCE = 16;
/** Delivered deliveries (and their events) are kept this long for the delivery log, then pruned. */
const KEEP_DELIVERED_MS = 7 * 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
/**
 * Messages whose events are derived per pass at most (SQLite), in slices of COLLECT_SLICE: each slice is a
 * synchronous read (the rows built) and then a synchronous write transaction, and the event loop turns between
 * them, so a backlog is never one long stall of the chat sharing the loop (a pass of 300 in one transaction
 * stalled it 15–20 ms).
 */
const COLLECT_ROWS = 300;
const COLLECT_SLICE = 32;
/** Unread candidates evaluated per pass (the repository evaluates them in short transactions). */
const UNREAD_PER_PASS = 100;
/** Claim-and-attempt rounds per pass: each claims a few dozen deliveries (a short statement), then attempts them. */
const ROUNDS_PER_PASS = 8;

/**
 * Delivers the outbox: every node runs one, polling (and woken after commits). Each run evaluates due
 * unread candidates, derives what the store derives (SQLite: message events), then claims due deliveries
 * with a lease and attempts them in parallel. Nothing here
 * runs inside a chat event: a slow endpoint only slows this loop.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly stop = new AbortController();
  private readonly batchSize: number;
  private readonly perRoom: number;
  private readonly claimRows: number;
  private prunedAt = 0;
  private idleMs = BUSY_PAUSE_MS;
  private unreadAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly options: DispatcherOptions,
  ) {
    this.batchSize = options.batchSize ?? RUNS_AT_ONCE;
    this.perRoom = options.perRoom ?? 50;
    this.claimRows = options.claimRows ?? 32;
    // Every attempt in flight listens to it (16 rooms at once, retries by hand besides).
    setMaxListeners(0, this.stop.signal);
  }

  start(): void {
    this.schedule(0);
  }

  /** Something was recorded: look soon (the recording transaction may still be committing). */
  nudge(): void {
    // A node that leaves delivery to dispatcher processes only evaluates unread candidates, on its own schedule.
    if (this.stopped || this.options.deliver === false) return;
    if (this.running) this.again = true;
    else this.schedule(NUDGE_MS, true);
  }

  /** The next pass in `ms`; `sooner`: unless one is due before that (a stream of nudges never postpones it). */
  private schedule(ms: number, sooner = false): void {
    if (this.stopped) return;
    const at = performance.now() + ms;
    if (sooner && this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, ms);
  }

  private run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.again = false;
    this.running = this.pass()
      .catch((err: unknown) => this.deps.log.error({ err }, 'webhook dispatch failed'))
      .then((more) => {
        this.running = undefined;
        // Busy: the next pass a moment later, so it takes longer runs per room in fewer statements and the
        // chat sharing this core runs in between. Idle: looking again sooner at first, then every pollMs — a
        // dispatcher process is not woken by the chat's commits, and traffic that just paused often resumes.
        this.idleMs = more === true || this.again ? BUSY_PAUSE_MS : Math.min(this.options.pollMs, this.idleMs * 2);
        this.schedule(this.idleMs);
      });
    return this.running;
  }

  /** One run; true when there may be more to do at once. */
  private async pass(): Promise<boolean> {
    const now = this.nowIso();
    // Unread candidates are due a minute or so after their message: once per poll interval is soon enough,
    // however many busy passes run in between.
    if (this.options.evaluateUnread !== false && this.deps.clock.now() - this.unreadAt >= this.options.pollMs) {
      this.unreadAt = this.deps.clock.now();
      await this.deps.unread.evaluate(now, this.options.unreadDelayMs, UNREAD_PER_PASS, (ns, user) => this.online(ns, user));
    }
    if (this.options.deliver === false) return false;
    const collected = await this.collect();
    let more = collected.derived >= COLLECT_ROWS || collected.progressed;
    for (let round = 0; round < ROUNDS_PER_PASS && !this.stopped; round++) {
      const { full, progressed } = await this.round();
      more ||= progressed || (full && round === ROUNDS_PER_PASS - 1);
      if (!full) break;
      await nextTurn();
    }
    await this.pruneNowAndThen();
    return more;
  }

  /**
   * Derives what the store derives (SQLite: message events), a slice per transaction, and attempts each slice's
   * deliveries that came back leased (their rooms had nothing pending before them) without claiming them,
   * while it derives the next: deriving (the unread candidates too) never waits for an endpoint.
   */
  private async collect(): Promise<{ derived: number; progressed: boolean }> {
    let derived = 0;
    const attempts: Promise<{ progressed: boolean }>[] = [];
    while (derived < COLLECT_ROWS && !this.stopped) {
      const leaseEnds = this.leaseEnds();
      const slice = await this.deps.deliveries.collect(COLLECT_SLICE, this.leaseUntil());
      derived += slice.derived;
      if (slice.claimed.length > 0) {
        const attempt = this.attemptAll(slice.claimed, leaseEnds);
        // Handled by the Promise.all below; marked now, so a failure while the next slice is derived is not
        // an unhandled rejection (which ends the process).
        attempt.catch(() => {});
        attempts.push(attempt);
      }
      if (slice.derived < COLLECT_SLICE) break;
      await nextTurn();
    }
    return { derived, progressed: (await Promise.all(attempts)).some((a) => a.progressed) };
  }

  /** Claims due deliveries (a few dozen), attempts them, records the successes. `full`: there may be more due. */
  private async round(): Promise<{ full: boolean; progressed: boolean }> {
    const leaseEnds = this.leaseEnds();
    const claimed = await this.deps.deliveries.claimDue({
      now: this.nowIso(),
      leaseUntil: this.leaseUntil(),
      rooms: this.batchSize,
      urls: this.options.urls,
      perRoom: this.perRoom,
      maxRows: this.claimRows,
    });
    const { rooms, progressed } = await this.attemptAll(claimed, leaseEnds);
    return { full: rooms === this.batchSize || claimed.length >= this.claimRows, progressed };
  }

  /** Claimed deliveries, each room's in order, RUNS_AT_ONCE rooms at a time; the successes recorded together. */
  private async attemptAll(claimed: readonly ClaimedDelivery[], leaseEnds: number): Promise<{ rooms: number; progressed: boolean }> {
    const delivered: DeliveredAttempt[] = [];
    const runs = [...groupBy(claimed, (d) => `${d.url}\u0000${d.orderKey}`).values()];
    const outcomes = await inPool(runs, RUNS_AT_ONCE, (run) => this.attemptRun(run, delivered, leaseEnds));
    await this.deps.deliveries.delivered(delivered);
    return { rooms: runs.length, progressed: outcomes.some((ok) => ok) };
  }

  /** A claim's lease: past every attempt's timeout, with room to spare. */
  private leaseUntil(): string {
    return new Date(this.deps.clock.now() + this.leaseMs()).toISOString();
  }

  /** When a lease taken now runs out, on this process's monotonic clock (what the attempts check). */
  private leaseEnds(): number {
    return performance.now() + this.leaseMs();
  }

  private leaseMs(): number {
    return this.options.timeoutMs * 2 + 5000;
  }

  /** A room's deliveries to one URL, in order; after a failure the rest wait (given back) for its retry. */
  private async attemptRun(run: ClaimedDelivery[], delivered: DeliveredAttempt[], leaseEnds: number): Promise<boolean> {
    let any = false;
    for (const [i, d] of run.entries()) {
      // A slow endpoint used up the lease: the rest go back (another attempt now could overlap another node's).
      if (performance.now() + this.options.timeoutMs > leaseEnds) {
        await this.deps.deliveries.release(run.slice(i).map((r) => r.id));
        return any;
      }
      const ok = await this.attempt(d, false, delivered);
      if (this.stop.signal.aborted) return any;
      if (!ok) {
        await this.deps.deliveries.release(run.slice(i + 1).map((r) => r.id));
        return any;
      }
      any = true;
    }
    return any;
  }

  private async pruneNowAndThen(): Promise<void> {
    const now = this.deps.clock.now();
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    await this.deps.deliveries.prune(new Date(now - KEEP_DELIVERED_MS).toISOString());
  }

  /** A retry by hand of a failed delivery: attempted once, by this node, now; the delivery after it. */
  async retryNow(id: string): Promise<{ delivery: Delivery; retried: boolean } | undefined> {
    const claimed = await this.deps.deliveries.resetAndClaim(id, this.nowIso(), this.leaseUntil());
    if (claimed) await this.attempt(claimed, true);
    const delivery = await this.deps.deliveries.get(id);
    return delivery && { delivery, retried: claimed !== undefined };
  }

  /**
   * One attempt; a failure is retried on the schedule unless `once` (a retry by hand) or past the deadline.
   * A success is recorded with the pass's others when `delivered` is given, else at once.
   */
  private async attempt(d: ClaimedDelivery, once = false, delivered?: DeliveredAttempt[]): Promise<boolean> {
    const at = new Date(this.deps.clock.now());
    const started = performance.now();
    const result = await this.deps.sender.send(d.url, d.id, at, d.payload, this.stop.signal);
    if (this.stop.signal.aborted) return false; // shutting down: the lease runs out and someone attempts it again
    this.deps.onAttempt?.(result.ok, (performance.now() - started) / 1000);
    if (result.ok && delivered) {
      delivered.push({ id: d.id, status: result.status ?? 200, at: at.toISOString() });
      return true;
    }
    const firstAttemptAt = d.firstAttemptAt ?? at.toISOString();
    let nextAttemptAt: string | null = null;
    if (!result.ok) {
      const next = at.getTime() + retryDelayMs(this.options.retryBaseMs, d.attempts + 1);
      if (!once && next <= Date.parse(d.createdAt) + GIVE_UP_AFTER_MS) nextAttemptAt = new Date(next).toISOString();
      this.deps.log.warn({ delivery: d.id, url: d.url, error: result.error, attempts: d.attempts + 1 }, 'webhook attempt failed');
    }
    await this.deps.deliveries.finish(d.id, { ...result, nextAttemptAt, firstAttemptAt });
    return result.ok;
  }

  private online(namespace: string, userId: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ONLINE_LOOKUP_MS)));
    return Promise.race([this.deps.online(namespace, userId).catch(() => false), timeout]).finally(() => clearTimeout(timer));
  }

  private nowIso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  /** Stops polling and abandons attempts in flight (their leases run out; they are attempted again). */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stop.abort();
    await this.running;
    this.deps.sender.close();
  }
}
