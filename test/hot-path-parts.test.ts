import { describe, expect, it } from 'vitest';
import { FixedWindowCounter } from '../src/limits/fixed-window.js';
import { TokenBucketGate } from '../src/limits/token-bucket-gate.js';
import { createIdGenerator, idTime } from '../src/services/ids.js';
import { ParleyError, type Actor } from '../src/protocol/index.js';

/** A clock the test moves by hand. */
function manualClock(start: number) {
  let now = start;
  return { now: () => now, set: (t: number) => void (now = t) };
}

describe('FixedWindowCounter', () => {
  it('grants `points` per window, says how long until the window ends, and starts over after it', () => {
    const clock = manualClock(1_000);
    const counter = new FixedWindowCounter(2, 1_000, clock.now);
    expect(counter.take('a')).toBe(0);
    clock.set(1_300);
    expect(counter.take('a')).toBe(0);
    expect(counter.take('a')).toBe(700);
    expect(counter.take('b')).toBe(0); // keys are independent
    clock.set(2_000);
    expect(counter.take('a')).toBe(0);
  });

  it('forgets keys whose window has ended', () => {
    const clock = manualClock(0);
    const counter = new FixedWindowCounter(1, 1_000, clock.now);
    for (let i = 0; i < 50; i++) counter.take(`user-${i}`);
    expect(counter.size).toBe(50);
    clock.set(1_000);
    counter.take('late');
    expect(counter.size).toBe(1);
  });
});

describe('TokenBucketGate (one node)', () => {
  const actor = (socketId: string): Actor => ({ namespace: 'customer', userId: 'u1', socketId }) as Actor;

  it('refuses synchronously with rate_limited once the socket budget is spent, and again after the window', () => {
    const clock = manualClock(5_000);
    const bucket = { points: 2, durationSeconds: 1 };
    const gate = new TokenBucketGate({ message: bucket, typing: bucket, joinRoom: bucket, other: bucket }, undefined, clock.now);
    expect(gate.consume(actor('s1'), 'message')).toBeUndefined();
    gate.consume(actor('s1'), 'message');
    expect(() => gate.consume(actor('s1'), 'message')).toThrowError(ParleyError);
    expect(() => gate.consume(actor('s1'), 'message')).toThrowError(/retry in 1000 ms/);
    gate.consume(actor('s1'), 'typing'); // another kind has its own budget
    clock.set(6_000);
    expect(gate.consume(actor('s1'), 'message')).toBeUndefined();
  });

  it('holds a user to twice a socket budget across the user’s sockets', () => {
    const clock = manualClock(0);
    const bucket = { points: 2, durationSeconds: 1 };
    const gate = new TokenBucketGate({ message: bucket, typing: bucket, joinRoom: bucket, other: bucket }, undefined, clock.now);
    for (const socket of ['s1', 's1', 's2', 's2']) gate.consume(actor(socket), 'message');
    try {
      gate.consume(actor('s3'), 'message');
      expect.unreachable('the fifth message of the user in one window must be refused');
    } catch (err) {
      expect((err as ParleyError).code).toBe('rate_limited');
    }
  });
});

describe('IdGenerator.stamped', () => {
  it('gives the time embedded in the id, in order, also when the clock steps back', () => {
    const clock = manualClock(Date.parse('2026-12-04T10:00:00.000Z'));
    const ids = createIdGenerator(clock);
    const a = ids.stamped();
    clock.set(Date.parse('2026-12-04T09:59:59.000Z')); // stepped back
    const b = ids.stamped();
    clock.set(Date.parse('2026-12-04T10:00:00.005Z'));
    const c = ids.stamped();
    for (const s of [a, b, c]) expect(s.dt).toBe(idTime(s.id));
    expect(a.id < b.id && b.id < c.id).toBe(true);
    expect(b.dt).toBe('2026-12-04T10:00:00.000Z');
    expect(c.dt).toBe('2026-12-04T10:00:00.005Z');
  });
});
