import type { Actor } from '../protocol/index.js';

export type RateKind = 'message' | 'typing' | 'joinRoom' | 'other';

/**
 * Throws `rate_limited` when the actor has spent its budget for this kind of event: synchronously when the
 * budgets are in this process, through the returned promise when they are shared (Redis).
 */
export interface RateGate {
  consume(actor: Actor, kind: RateKind): void | Promise<void>;
}
