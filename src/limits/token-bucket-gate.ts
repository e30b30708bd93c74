import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { ParleyError, type Actor } from '../protocol/index.js';
import type { RateGate, RateKind } from '../services/rate-gate.js';

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

/**
 * Token buckets per socket and per user for each kind of event. Per-socket buckets live in this process (a
 * socket lives on one node). Per-user buckets live in Redis when there are several nodes, so a user with
 * devices on three nodes still has one budget; while Redis is unreachable they fall back to this process's
 * buckets (each node then enforces the budget on its own: neither unlimited nor refusing everyone).
 */
export class TokenBucketGate implements RateGate {
  private readonly perSocket: Record<RateKind, RateLimiterAbstract>;
  private readonly perUser: Record<RateKind, RateLimiterAbstract>;

  constructor(buckets: Record<RateKind, Bucket>, shared?: SharedBudgets) {
    const make = (factor: number, store?: SharedBudgets) =>
      Object.fromEntries(
        Object.entries(buckets).map(([kind, b]) => [kind, budgetLimiter(kind, { points: b.points * factor, durationSeconds: b.durationSeconds }, store)]),
      ) as Record<RateKind, RateLimiterAbstract>;
    this.perSocket = make(1);
    this.perUser = make(USER_BUDGET_FACTOR, shared);
  }

  async consume(actor: Actor, kind: RateKind): Promise<void> {
    try {
      await this.perSocket[kind].consume(actor.socketId);
      await this.perUser[kind].consume(`${actor.namespace}\u0000${actor.userId}`);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        throw new ParleyError('rate_limited', `Too many ${kind} events; retry in ${Math.ceil(err.msBeforeNext)} ms.`);
      }
      throw err;
    }
  }
}
