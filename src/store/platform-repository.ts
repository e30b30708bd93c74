import type { Message, Room, UnreadData } from '../protocol/index.js';
import type { Erased } from './kysely-erasure.js';
import type { DeliveryStatus } from './platform-schema.js';

export interface Ban {
  namespace: string;
  userId: string;
  reason: string | null;
  until: string | null;
}

export interface MemberState {
  userId: string;
  lastReadId: string | null;
  unread: number;
}

export interface Delivery {
  id: string;
  eventId: string;
  type: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

/** A delivery claimed for one attempt, with what to send. */
export interface ClaimedDelivery extends Delivery {
  payload: string;
  /** The room (or user) whose events reach each URL in order. */
  orderKey: string;
  firstAttemptAt: string | null;
  /** When it was recorded (with its event): retries stop 24 hours after this. */
  createdAt: string;
}

export interface DeliveredAttempt {
  id: string;
  /** The receiver's 2xx status. */
  status: number;
  /** ISO time of the attempt. */
  at: string;
}

export interface AttemptOutcome {
  ok: boolean;
  status: number | null;
  error: string | null;
  /** ISO time of the next attempt; null when there is none (delivered, or given up: failed). */
  nextAttemptAt: string | null;
  /** When the first attempt was made (kept from the first one). */
  firstAttemptAt: string;
}

export interface ClaimQuery {
  now: string;
  leaseUntil: string;
  rooms: number;
  urls: readonly string[];
  perRoom: number;
  maxRows: number;
}

/** What one `collect` derived: how many messages, and the deliveries it leased to the caller. */
export interface Collected {
  derived: number;
  claimed: ClaimedDelivery[];
}

/** Webhook deliveries: claimed with a lease so that one node makes each attempt. */
export interface DeliveryRepository {
  /**
   * Records what is still to be derived from stored messages (SQLite: `message.created` events and unread
   * candidates, up to `limit` messages, see SqliteMessageFeed): how many messages, and, with `leaseUntil`, the
   * derived deliveries free to go at once, leased to the caller (no claim needed). PostgreSQL records them
   * with each message: none.
   */
  collect(limit: number, leaseUntil?: string): Promise<Collected>;
  /**
   * Due deliveries of up to `rooms` rooms, leased until `leaseUntil`, oldest first: for each room and URL its
   * first pending delivery (due and not leased: per-room order) and up to `perRoom - 1` of the pending ones
   * right after it that are due and not leased, `maxRows` in all at most (beyond the rooms' first ones);
   * only to `urls` (the configured ones).
   */
  claimDue(claim: ClaimQuery): Promise<ClaimedDelivery[]>;
  finish(id: string, outcome: AttemptOutcome): Promise<void>;
  /** Many successful attempts at once (the common case): delivered, attempts + 1, lease released. */
  delivered(done: readonly DeliveredAttempt[]): Promise<void>;
  /** Gives back claimed deliveries that were not attempted (a delivery before them in their room failed). */
  release(ids: readonly string[]): Promise<void>;
  /**
   * A retry by hand of a failed delivery: makes it pending and due now, leased to the caller in the same
   * statement (so no dispatcher claims it in between). Undefined when there is no such failed delivery.
   */
  resetAndClaim(id: string, now: string, leaseUntil: string): Promise<ClaimedDelivery | undefined>;
  list(status: DeliveryStatus | undefined, limit: number): Promise<Delivery[]>;
  get(id: string): Promise<Delivery | undefined>;
  /** Deletes delivered deliveries created before `before`, and events left with no delivery. */
  prune(before: string): Promise<void>;
}

export interface UnreadRepository {
  /**
   * Evaluates due candidates (and notified ones whose read mark moved): read in time ⇒ dropped or moved to
   * the next unread message; still unread ⇒ a `message.unread` event is recorded and it is marked notified.
   * Returns how many candidates it evaluated (`limit`: there may be more due).
   */
  evaluate(now: string, delayMs: number, limit: number, online: (namespace: string, userId: string) => Promise<boolean>): Promise<number>;
}

/** What the platform API (server to server) reads and changes. */
export interface PlatformRepository {
  readonly deliveries: DeliveryRepository;
  readonly unread: UnreadRepository;
  /** Sets the status (recording room.accepted / room.closed); the room after, and whether it changed. */
  setStatus(namespace: string, roomToken: string, status: 'active' | 'closed'): Promise<{ room: Room; changed: boolean } | undefined>;
  setContactMasking(roomId: string, on: boolean | null): Promise<void>;
  members(room: Room): Promise<MemberState[]>;
  roomsOf(namespace: string, userId: string): Promise<Room[]>;
  sentBy(namespace: string, userId: string): Promise<Message[]>;
  setBan(ban: Ban, now: string): Promise<void>;
  liftBan(namespace: string, userId: string): Promise<boolean>;
  activeBan(namespace: string, userId: string, now: string): Promise<Ban | undefined>;
  /**
   * Erasure, in one transaction: every message the user sent becomes a tombstone, its reactions go (the
   * aggregates are rebuilt), message.updated is recorded for each message that changed, report snapshots
   * are scrubbed, read marks, last-seen, unread candidates and blocks are forgotten.
   */
  erase(namespace: string, userId: string, now: string): Promise<Erased>;
}

export type { UnreadData };
