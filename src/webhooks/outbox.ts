import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { WebhookEventType, type Message } from '../protocol/index.js';
import type { Clock } from '../services/clock.js';
import type { IdGenerator } from '../services/ids.js';
import type { StoredMessage } from '../store/chat-store.js';
import { toClaimed } from '../store/kysely-deliveries.js';
import type { ClaimedDelivery } from '../store/platform-repository.js';
import type { UnreadCandidatesTable, WebhookDeliveriesTable, WebhookEventsTable } from '../store/platform-schema.js';
import type { Database } from '../store/schema.js';
import type { DerivedRows, OutboxEvent, WriteHooks } from '../store/write-hooks.js';

export interface OutboxOptions {
  /** Every event goes to every URL; none: nothing is recorded (webhooks off). */
  urls: readonly string[];
  unreadDelayMs: number;
  ids: IdGenerator;
  clock: Clock;
  /** Called after rows were recorded (the dispatcher looks soon; the transaction may still be open). */
  onRecorded?: () => void;
}

/** An event derived from a stored message (`from`: its id; `at`: its time) or recorded as it happens. */
type Recorded = OutboxEvent & { from?: string; at?: string };

/**
 * The ids of a message's derived event (index 0) and its deliveries (index = the URL's): they sort right after
 * the message's id and before every later id (ULIDs are fixed-width), so a room's events keep their order
 * whenever they are derived; and, two characters longer, they never equal an id the generator hands out.
 */
export function derivedId(messageId: string, index: number): string {
  return `${messageId}${index.toString(36).padStart(2, '0')}`;
}

interface Rows {
  events: WebhookEventsTable[];
  deliveries: WebhookDeliveriesTable[];
}

interface SyncStatements {
  event: SQLite.Statement;
  delivery: SQLite.Statement;
  /** Whether a room has a delivery to a URL still pending before `id` (leased or not). */
  pendingBefore: SQLite.Statement<unknown[], { one: number }>;
  candidate: SQLite.Statement;
  members: SQLite.Statement<unknown[], { customer_id: string; vendor_id: string }>;
}

const CANDIDATE_SQL = `insert into unread_candidates (namespace, room_id, user_id, room_token, first_unread_id, due_at, notified)
  values (?, ?, ?, ?, ?, ?, 0) on conflict (room_id, user_id) do update
  set first_unread_id = excluded.first_unread_id, due_at = excluded.due_at, notified = 0
  where unread_candidates.notified = 2`;

/**
 * The transactional outbox (the store's write hooks): events, and one delivery per URL, are inserted in
 * the caller's transaction, so an event exists exactly when the change it reports was committed.
 */
export class Outbox implements WriteHooks {
  private readonly statements = new WeakMap<SQLite.Database, SyncStatements>();

  constructor(private readonly options: OutboxOptions) {}

  get enabled(): boolean {
    return this.options.urls.length > 0;
  }

  rows(events: readonly Recorded[]): Rows {
    const rows: Rows = { events: [], deliveries: [] };
    if (!this.enabled) return rows;
    const now = new Date(this.options.clock.now()).toISOString();
    for (const event of events) {
      const id = event.from === undefined ? this.options.ids.next() : derivedId(event.from, 0);
      const payload = JSON.stringify({ type: event.type, timestamp: event.at ?? now, data: event.data });
      rows.events.push({ id, type: event.type, namespace: event.namespace, payload, created_at: now });
      const orderKey = `${event.namespace}/${event.orderKey}`;
      for (const [k, url] of this.options.urls.entries()) {
        rows.deliveries.push({
          id: event.from === undefined ? this.options.ids.next() : derivedId(event.from, k),
          event_id: id,
          url,
          order_key: orderKey,
          status: 'pending',
          attempts: 0,
          next_attempt_at: now,
          lease_until: null,
          first_attempt_at: null,
          last_status: null,
          last_error: null,
          created_at: now,
        });
      }
    }
    return rows;
  }

  async record(trx: Kysely<Database>, events: readonly OutboxEvent[]): Promise<void> {
    const rows = this.rows(events);
    if (rows.events.length === 0) return;
    for (const chunk of chunks(rows.events)) await trx.insertInto('webhook_events').values(chunk).execute();
    for (const chunk of chunks(rows.deliveries)) await trx.insertInto('webhook_deliveries').values(chunk).execute();
    this.options.onRecorded?.();
  }

  recordSync(database: SQLite.Database, events: readonly OutboxEvent[]): void {
    if (this.insertSync(database, this.rows(events))) this.options.onRecorded?.();
  }

  /** Inserts the rows; those of `leased` with the lease. */
  private insertSync(database: SQLite.Database, rows: Rows, leased?: ReadonlySet<WebhookDeliveriesTable>, leaseUntil?: string): boolean {
    if (rows.events.length === 0) return false;
    const { event, delivery } = this.prepared(database);
    for (const e of rows.events) event.run(e.id, e.type, e.namespace, e.payload, e.created_at);
    for (const d of rows.deliveries) {
      const lease = leased?.has(d) ? leaseUntil : null;
      delivery.run(d.id, d.event_id, d.url, d.order_key, d.status, d.next_attempt_at, lease, d.created_at);
    }
    return true;
  }

  async messagesStored(trx: Kysely<Database>, messages: readonly StoredMessage[]): Promise<void> {
    if (!this.enabled || messages.length === 0) return;
    await this.record(trx, messages.map(createdEvent));
    const systemRooms = [...new Set(messages.filter((m) => m.receiverId === null).map((m) => m.room_id))];
    const members = await membersOf(trx, systemRooms);
    // One row per room and receiver: the batch's first message for it (a statement may not upsert a row twice).
    const candidates = new Map<string, UnreadCandidatesTable>();
    for (const m of messages) {
      for (const userId of m.receiverId !== null ? [m.receiverId] : (members.get(m.room_id) ?? [])) {
        const key = `${m.room_id}\u0000${userId}`;
        if (!candidates.has(key)) candidates.set(key, this.candidate(m, userId));
      }
    }
    for (const chunk of chunks([...candidates.values()])) {
      await trx
        .insertInto('unread_candidates')
        .values(chunk)
        .onConflict((oc) =>
          oc
            .columns(['room_id', 'user_id'])
            .doUpdateSet((eb) => ({ first_unread_id: eb.ref('excluded.first_unread_id'), due_at: eb.ref('excluded.due_at'), notified: 0 }))
            .where('unread_candidates.notified', '=', 2),
        )
        .execute();
    }
  }

  messagesStoredSync(_database: SQLite.Database, messages: readonly StoredMessage[]): void {
    // Nothing written with the messages: the feed derives their rows (derivedSync) when the dispatcher looks.
    if (this.enabled && messages.length > 0) this.options.onRecorded?.();
  }

  deriveSync(database: SQLite.Database, messages: readonly StoredMessage[]): DerivedRows {
    if (!this.enabled || messages.length === 0) return { events: [], deliveries: [], candidates: [] };
    const rows = this.rows(messages.map((m) => ({ ...createdEvent(m), from: m._id, at: m.dt })));
    return { ...rows, candidates: this.candidatesOf(database, messages) };
  }

  insertDerivedSync(database: SQLite.Database, derived: DerivedRows, leaseUntil?: string): ClaimedDelivery[] {
    if (derived.events.length === 0) return [];
    // Decided before this slice's rows exist: a room's messages in the slice do not hold each other back.
    const leased = leaseUntil === undefined ? new Set<WebhookDeliveriesTable>() : this.free(database, derived.deliveries);
    this.insertSync(database, derived, leased, leaseUntil);
    const { candidate } = this.prepared(database);
    for (const c of derived.candidates) candidate.run(c.namespace, c.room_id, c.user_id, c.room_token, c.first_unread_id, c.due_at);
    const events = new Map(derived.events.map((e) => [e.id, e]));
    return [...leased].map((d) => {
      const e = events.get(d.event_id)!;
      return toClaimed({ ...d, type: e.type, payload: e.payload });
    });
  }

  /** The deliveries whose room has nothing pending before them at that URL. */
  private free(database: SQLite.Database, deliveries: readonly WebhookDeliveriesTable[]): Set<WebhookDeliveriesTable> {
    const { pendingBefore } = this.prepared(database);
    const blocked = new Map<string, boolean>();
    const free = new Set<WebhookDeliveriesTable>();
    for (const d of deliveries) {
      const key = `${d.url}\u0000${d.order_key}`;
      let isBlocked = blocked.get(key);
      if (isBlocked === undefined) {
        isBlocked = pendingBefore.get(d.url, d.order_key, d.id) !== undefined;
        blocked.set(key, isBlocked);
      }
      if (!isBlocked) free.add(d);
    }
    return free;
  }

  /** Each room and receiver's first message of these (a later one would find its row armed anyway). */
  private candidatesOf(database: SQLite.Database, messages: readonly StoredMessage[]): UnreadCandidatesTable[] {
    const { members } = this.prepared(database);
    const candidates = new Map<string, UnreadCandidatesTable>();
    for (const m of messages) {
      let receivers = m.receiverId !== null ? [m.receiverId] : [];
      if (m.receiverId === null) {
        const room = members.get(m.room_id);
        receivers = room ? [room.customer_id, room.vendor_id] : [];
      }
      for (const userId of receivers) {
        const key = `${m.room_id}\u0000${userId}`;
        if (!candidates.has(key)) candidates.set(key, this.candidate(m, userId));
      }
    }
    return [...candidates.values()];
  }

  private candidate(m: StoredMessage, userId: string): UnreadCandidatesTable {
    const due = new Date(Date.parse(m.dt) + this.options.unreadDelayMs).toISOString();
    return {
      namespace: m.namespace,
      room_id: m.room_id,
      user_id: userId,
      room_token: m.roomToken,
      first_unread_id: m._id,
      due_at: due,
      notified: 0,
    };
  }

  private prepared(database: SQLite.Database): SyncStatements {
    let statements = this.statements.get(database);
    if (!statements) {
      statements = {
        event: database.prepare('insert into webhook_events (id, type, namespace, payload, created_at) values (?, ?, ?, ?, ?)'),
        delivery: database.prepare(
          `insert into webhook_deliveries (id, event_id, url, order_key, status, attempts, next_attempt_at, lease_until, created_at)
           values (?, ?, ?, ?, ?, 0, ?, ?, ?)`,
        ),
        pendingBefore: database.prepare(
          `select 1 as one from webhook_deliveries where url = ? and order_key = ? and status = 'pending' and id < ? limit 1`,
        ),
        candidate: database.prepare(CANDIDATE_SQL),
        members: database.prepare('select customer_id, vendor_id from rooms where id = ?'),
      };
      this.statements.set(database, statements);
    }
    return statements;
  }
}

function createdEvent(m: StoredMessage): OutboxEvent {
  const { namespace, ...message } = m;
  return { type: WebhookEventType.MessageCreated, namespace, orderKey: `room:${m.roomToken}`, data: { namespace, message: message as Message } };
}

async function membersOf(trx: Kysely<Database>, roomIds: readonly string[]): Promise<Map<string, string[]>> {
  if (roomIds.length === 0) return new Map();
  const rows = await trx.selectFrom('rooms').select(['id', 'customer_id', 'vendor_id']).where('id', 'in', roomIds).execute();
  return new Map(rows.map((r) => [r.id, [r.customer_id, r.vendor_id]]));
}

// Far below both backends' caps on bound parameters per statement.
const CHUNK = 200;
function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
}
