import { randomFillSync } from 'node:crypto';
import { decodeTime, monotonicFactory } from 'ulid';
import type { Clock } from './clock.js';

export interface IdGenerator {
  /** A new ULID: fixed width, so string order is creation order (monotonic within a millisecond). */
  next(): string;
  /** A new ULID and the ISO time embedded in it (what `idTime` would decode). */
  stamped(): { id: string; dt: string };
}

const POOL_BYTES = 4096;

/**
 * A PRNG for `ulid` drawing from a pooled crypto buffer: ulid's default asks the OS for one byte per
 * random character (16 calls per id), which showed up in profiles of the message path.
 */
export function pooledPrng(): () => number {
  const pool = new Uint8Array(POOL_BYTES);
  let position = POOL_BYTES;
  return () => {
    if (position >= POOL_BYTES) {
      randomFillSync(pool);
      position = 0;
    }
    return pool[position++]! / 0x100;
  };
}

export function createIdGenerator(clock: Clock): IdGenerator {
  const factory = monotonicFactory(pooledPrng());
  // The factory never goes back in time (a clock stepped back reuses its last time), nor does `last`.
  // Handing it a time that never decreases makes that time the id's own, so its ISO form need not be decoded.
  let last = 0;
  let isoOf = -1;
  let iso = '';
  const next = () => {
    const now = clock.now();
    if (now > last) last = now;
    return factory(last);
  };
  return {
    next,
    stamped: () => {
      const id = next();
      if (isoOf !== last) [isoOf, iso] = [last, new Date(last).toISOString()];
      return { id, dt: iso };
    },
  };
}

/** The ISO time embedded in a ULID, so a message's dt and _id orders always agree. */
export function idTime(id: string): string {
  return new Date(decodeTime(id)).toISOString();
}
