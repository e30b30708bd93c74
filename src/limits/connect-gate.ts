import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ParleyError } from '../protocol/index.js';
import type { Bucket } from './token-bucket-gate.js';

export interface ConnectLimits {
  connectPerIp: Bucket;
  connectPerUser: Bucket;
}

/**
 * Connection attempts per client address (every attempt, before any credential is checked, so a storm
 * of bad handshakes is cut off cheaply) and per authenticated user (in this process).
 */
export class ConnectGate {
  private readonly perIp: RateLimiterMemory;
  private readonly perUser: RateLimiterMemory;

  constructor(limits: ConnectLimits) {
    this.perIp = new RateLimiterMemory({ points: limits.connectPerIp.points, duration: limits.connectPerIp.durationSeconds });
    this.perUser = new RateLimiterMemory({ points: limits.connectPerUser.points, duration: limits.connectPerUser.durationSeconds });
  }

  attempt(ip: string): Promise<void> {
    return take(this.perIp, ip, 'from this address');
  }

  user(namespace: string, userId: string): Promise<void> {
    return take(this.perUser, `${namespace}\u0000${userId}`, 'for this user');
  }
}

async function take(limiter: RateLimiterMemory, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    throw new ParleyError('rate_limited', `Too many connection attempts ${what}; retry in ${Math.ceil(err.msBeforeNext)} ms.`);
  }
}
