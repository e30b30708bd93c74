import { decodeTime, monotonicFactory } from 'ulid';
import type { Clock } from './clock.js';

export interface IdGenerator {
  /** A new ULID: fixed width, so string order is creation order (monotonic within a millisecond). */
  next(): string;
}

export function createIdGenerator(clock: Clock): IdGenerator {
  const factory = monotonicFactory();
  return { next: () => factory(clock.now()) };
}

/** The ISO time embedded in a ULID, so a message's dt and _id orders always agree. */
export function idTime(id: string): string {
  return new Date(decodeTime(id)).toISOString();
}
