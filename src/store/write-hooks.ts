import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { WebhookData, WebhookEventTypeName } from '../protocol/index.js';
import type { StoredMessage } from './chat-store.js';
import type { ClaimedDelivery } from './platform-repository.js';
import type { UnreadCandidatesTable, WebhookDeliveriesTable, WebhookEventsTable } from './platform-schema.js';
import type { Database } from './schema.js';

/** The rows of a slice of messages' webhook events and unread candidates (SQLite's message feed). */
export interface DerivedRows {
  events: WebhookEventsTable[];
  deliveries: WebhookDeliveriesTable[];
  candidates: UnreadCandidatesTable[];
}

/** An event to record in the outbox, inside the transaction of the change it reports. */
export type OutboxEvent = {
  [T in WebhookEventTypeName]: {
    type: T;
    namespace: string;
    /**
     * Events with the same key reach each URL in the order they were recorded: `room:<roomToken>` for a
     * room's events, `user:<userId>` for a user's. The namespace is added by the outbox.
     */
    orderKey: string;
    data: WebhookData[T];
  };
}[WebhookEventTypeName];

/**
 * What a store write records besides its own rows, in its own transaction: the webhook outbox and the
 * unread candidates. `trx` is a Kysely transaction (or the database itself, which then runs each statement
 * alone); the `Sync` variants run inside a better-sqlite3 transaction (the SQLite message hot path).
 *
 * On SQLite, never hold a Kysely transaction across unrelated awaits: the message writer waits while one
 * is open (they share the one connection).
 */
export interface WriteHooks {
  record(trx: Kysely<Database>, events: readonly OutboxEvent[]): Promise<void>;
  recordSync(database: SQLite.Database, events: readonly OutboxEvent[]): void;
  /** The newly stored messages of a batch (repeats excluded). */
  messagesStored(trx: Kysely<Database>, messages: readonly StoredMessage[]): Promise<void>;
  /** SQLite: records nothing (the message feed derives the messages' rows later, see `derivedSync`). */
  messagesStoredSync(database: SQLite.Database, messages: readonly StoredMessage[]): void;
  /** Whether anything is recorded (webhooks on). */
  readonly enabled: boolean;
  /**
   * SQLite: what `messagesStored` records for these messages, built for the message feed, which writes it
   * later in a transaction of its own, for messages already committed (their `message.created` events sort
   * where the message does). Reads only (room members): it runs before the feed takes the write lock.
   */
  deriveSync(database: SQLite.Database, messages: readonly StoredMessage[]): DerivedRows;
  /**
   * Writes what `deriveSync` built, inside the feed's write transaction. With `leaseUntil`, the deliveries
   * free to go at once (nothing earlier of their room still pending) are written leased until then and
   * returned: the dispatcher attempts them without claiming them.
   */
  insertDerivedSync(database: SQLite.Database, derived: DerivedRows, leaseUntil?: string): ClaimedDelivery[];
}

/** Webhooks off: nothing is recorded. */
export const noWriteHooks: WriteHooks = {
  record: async () => {},
  recordSync: () => {},
  messagesStored: async () => {},
  messagesStoredSync: () => {},
  enabled: false,
  deriveSync: () => ({ events: [], deliveries: [], candidates: [] }),
  insertDerivedSync: () => [],
};
