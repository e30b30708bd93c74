import type { Actor } from '../protocol/index.js';

export type RateKind = 'message' | 'typing' | 'joinRoom' | 'other';

/** Throws `rate_limited` when the actor has spent its budget for this kind of event. */
export interface RateGate {
  consume(actor: Actor, kind: RateKind): Promise<void>;
}
