import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { ParleyError, type Actor } from '../protocol/index.js';
import type { RateGate, RateKind } from '../services/rate-gate.js';
import { FixedWindowCounter } from './fixed-window.js';

export interface Bucket {
  points: number;
  durationSeconds: number;
}

/** Where per-user budgets are kept when there are several nodes (Redis), so they hold cluster-wide. */
export interface SharedBudgets {
  redis: Redis;
  /** Prefix of the budget keys (the deployment's Redis key prefix). */
  keyPrefix: string;
}

/**
 * A token bucket per key: in Redis when budgets are shared, so it holds across nodes, with this process's
 * bucket as the fallback while Redis is unreachable; else in this process.
 */
export function budgetLimiter(name: string, bucket: Bucket, shared?: SharedBudgets): RateLimiterAbstract {
  const local = new RateLimiterMemory({ points: bucket.points, duration: bucket.durationSeconds });
  if (!shared) return local;
  return new RateLimiterRedis({
    storeClient: shared.redis,
    keyPrefix: `${shared.keyPrefix}rate:${name}`,
    points: bucket.points,
    // Redis expiries are whole seconds.
    duration: Math.max(1, Math.ceil(bucket.durationSeconds)),
    rejectIfRedisNotReady: true,
    insuranceLimiter: local,
  });
}

/** A user's several devices share a budget of this many sockets' worth. */
const USER_BUDGET_FACTOR = 2;

type Counters = Record<RateKind, FixedWindowCounter>;

/**
 * Budgets per socket and per user for each kind of event. Per-socket budgets live in this process (a socket
 * lives on one node) and are checked synchronously: they are on the path of every event. Per-user budgets
 * live in Redis when there are several nodes, so a user with devices on three nodes still has one budget;
 * while Redis is unreachable they fall back to this process's budgets (each node then enforces the budget on
 * its own: neither unlimited nor refusing everyone). With one node they are in this process too.
 */
export class TokenBucketGate implements RateGate {
  private readonly perSocket: Counters;
  private readonly perUser: Counters | undefined;
  private readonly sharedPerUser: Record<RateKind, RateLimiterAbstract> | undefined;

  constructor(buckets: Record<RateKind, Bucket>, shared?: SharedBudgets, now: () => number = Date.now) {
    const each = <T>(make: (b: Bucket, kind: string) => T) =>
      Object.fromEntries(Object.entries(buckets).map(([kind, b]) => [kind, make(b, kind)])) as Record<RateKind, T>;
    const counter = (factor: number) => (b: Bucket) => new FixedWindowCounter(b.points * factor, b.durationSeconds * 1000, now);
    this.perSocket = each(counter(1));
    if (shared) {
      this.sharedPerUser = each((b, kind) => budgetLimiter(kind, { points: b.points * USER_BUDGET_FACTOR, durationSeconds: b.durationSeconds }, shared));
    } else {
      this.perUser = each(counter(USER_BUDGET_FACTOR));
    }
  }

  consume(actor: Actor, kind: RateKind): void | Promise<void> {
    refuseIfSpent(this.perSocket[kind].take(actor.socketId), kind);
    const userKey = `${actor.namespace}\u0000${actor.userId}`;
    if (this.perUser) return refuseIfSpent(this.perUser[kind].take(userKey), kind);
    return this.sharedPerUser![kind].consume(userKey).then(
      () => {},
      (err: unknown) => {
        if (err instanceof RateLimiterRes) refuseIfSpent(Math.max(1, err.msBeforeNext), kind);
        throw err;
      },
    );
  }
}

function refuseIfSpent(waitMs: number, kind: RateKind): void {
  if (waitMs > 0) throw new ParleyError('rate_limited', `Too many ${kind} events; retry in ${Math.ceil(waitMs)} ms.`);
}
