import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ParleyError, type Actor } from '../protocol/index.js';
import type { RateGate, RateKind } from '../services/rate-gate.js';

export interface Bucket {
  points: number;
  durationSeconds: number;
}

/** A user's several devices share a budget of this many sockets' worth. */
const USER_BUDGET_FACTOR = 2;

/** Token buckets per socket and per user for each kind of event (in this process). */
export class TokenBucketGate implements RateGate {
  private readonly perSocket: Record<RateKind, RateLimiterMemory>;
  private readonly perUser: Record<RateKind, RateLimiterMemory>;

  constructor(buckets: Record<RateKind, Bucket>) {
    const make = (factor: number) =>
      Object.fromEntries(
        Object.entries(buckets).map(([kind, b]) => [
          kind,
          new RateLimiterMemory({ points: b.points * factor, duration: b.durationSeconds }),
        ]),
      ) as Record<RateKind, RateLimiterMemory>;
    this.perSocket = make(1);
    this.perUser = make(USER_BUDGET_FACTOR);
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
