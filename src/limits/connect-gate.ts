import { ParleyError } from '../protocol/index.js';
import { FixedWindowCounter } from './fixed-window.js';
import type { Bucket } from './token-bucket-gate.js';

export interface ConnectLimits {
  connectPerIp: Bucket;
  connectPerUser: Bucket;
}

/**
 * Connection attempts per client address (every attempt, before any credential is checked, so a storm
 * of bad handshakes is cut off cheaply) and per authenticated user (in this process). The same counters as
 * the per-socket event budgets (FixedWindowCounter): synchronous, no timer per key.
 */
export class ConnectGate {
  private readonly perIp: FixedWindowCounter;
  private readonly perUser: FixedWindowCounter;

  constructor(limits: ConnectLimits, now: () => number = Date.now) {
    const counter = (b: Bucket) => new FixedWindowCounter(b.points, b.durationSeconds * 1000, now);
    this.perIp = counter(limits.connectPerIp);
    this.perUser = counter(limits.connectPerUser);
  }

  attempt(ip: string): Promise<void> {
    return take(this.perIp, ip, 'from this address');
  }

  user(namespace: string, userId: string): Promise<void> {
    return take(this.perUser, `${namespace}\u0000${userId}`, 'for this user');
  }
}

async function take(counter: FixedWindowCounter, key: string, what: string): Promise<void> {
  const waitMs = counter.take(key);
  if (waitMs > 0) throw new ParleyError('rate_limited', `Too many connection attempts ${what}; retry in ${Math.ceil(waitMs)} ms.`);
}
