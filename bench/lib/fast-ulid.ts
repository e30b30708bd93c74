import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

const pool = new Uint8Array(4096);
let position = pool.length;

/**
 * A PRNG for `ulid` that draws from a pooled crypto buffer. ulid's default calls
 * `crypto.getRandomValues(new Uint8Array(1))` once per random character — 16 calls per id — which
 * was ~46 % of the seeding time in a CPU profile.
 */
export function pooledPrng(): number {
  if (position >= pool.length) {
    randomFillSync(pool);
    position = 0;
  }
  return pool[position++]! / 0x100;
}

/** A monotonic ULID factory (same ids as ulid's, cheaper randomness). */
export function fastMonotonicFactory(): (seedTime?: number) => string {
  return monotonicFactory(pooledPrng);
}
