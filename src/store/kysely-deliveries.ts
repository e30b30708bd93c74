import { sql, type Kysely } from 'kysely';
import type { AttemptOutcome, ClaimQuery, ClaimedDelivery, Collected, DeliveredAttempt, Delivery, DeliveryRepository } from './platform-repository.js';
import type { DeliveryStatus, WebhookDeliveriesTable } from './platform-schema.js';
import type { Database } from './schema.js';

export type DeliveryRow = WebhookDeliveriesTable & { type: string; payload: string };

const CHUNK = 500;

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    eventId: row.event_id,
    type: row.type,
    url: row.url,
    status: row.status,
    attempts: Number(row.attempts),
    lastStatus: row.last_status === null ? null : Number(row.last_status),
    lastError: row.last_error,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
  };
}

export function toClaimed(row: DeliveryRow): ClaimedDelivery {
  return { ...toDelivery(row), payload: row.payload, orderKey: row.order_key, firstAttemptAt: row.first_attempt_at, createdAt: row.created_at };
}

/**
 * Deliveries, claimed with a lease: a node sets `lease_until` on the rows it will attempt, so no other node
 * attempts them meanwhile; a node that dies mid-attempt loses its lease and the row is attempted again.
 * PostgreSQL: the claim locks with FOR UPDATE SKIP LOCKED (nodes never wait on each other);
 * SQLite: one conditional UPDATE (a single writer).
 */
export class KyselyDeliveries implements DeliveryRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: 'sqlite' | 'postgres',
  ) {}

  /** PostgreSQL records message events with each message (ids of concurrent writers commit out of order). */
  async collect(_limit: number, _leaseUntil?: string): Promise<Collected> {
    return { derived: 0, claimed: [] };
  }

  private withEvent(db: Kysely<Database>) {
    return db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
      .selectAll('d')
      .select(['e.type', 'e.payload']);
  }

  async claimDue({ now, leaseUntil, rooms, urls, perRoom, maxRows }: ClaimQuery): Promise<ClaimedDelivery[]> {
    if (urls.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const heads = await this.heads(trx, now, rooms, urls);
      if (heads.length === 0) return [];
      const ids = perRoom > 1 ? await this.runs(trx, heads, now, perRoom, maxRows) : heads.map((h) => h.id);
      for (let i = 0; i < ids.length; i += CHUNK) {
        await trx.updateTable('webhook_deliveries').set({ lease_until: leaseUntil }).where('id', 'in', ids.slice(i, i + CHUNK)).execute();
      }
      const rows: DeliveryRow[] = [];
      for (let i = 0; i < ids.length; i += CHUNK) {
        rows.push(...(await this.withEvent(trx).where('d.id', 'in', ids.slice(i, i + CHUNK)).execute()));
      }
      return rows.sort((a, b) => (a.id < b.id ? -1 : 1)).map(toClaimed);
    });
  }

  /** The first pending delivery of each room and URL, when it is due and not leased (per-room order). */
  private async heads(trx: Kysely<Database>, now: string, limit: number, urls: readonly string[]) {
    let due = trx
      .selectFrom('webhook_deliveries as d')
      .select(['d.id', 'd.url', 'd.order_key'])
      .where('d.status', '=', sql.lit('pending'))
      .where('d.url', 'in', urls)
      .where('d.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<=', now)]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('webhook_deliveries as p')
              .select(sql`1`.as('one'))
              .whereRef('p.url', '=', 'd.url')
              .whereRef('p.order_key', '=', 'd.order_key')
              .where('p.status', '=', sql.lit('pending'))
              .whereRef('p.id', '<', 'd.id'),
          ),
        ),
      )
      .orderBy('d.id')
      .limit(limit);
    // Locking a room's head keeps other nodes off the whole room: they need its head to claim any of it.
    if (this.kind === 'postgres') due = due.forUpdate().skipLocked();
    return due.execute();
  }

  /**
   * Each head with the pending deliveries after it in its room, up to `perKey`, as long as they are due and
   * not leased: they are attempted one after the other, so the room's order holds.
   */
  private async runs(trx: Kysely<Database>, heads: { id: string; url: string; order_key: string }[], now: string, perKey: number, maxRows: number) {
    const keyOf = (r: { url: string; order_key: string }) => `${r.url}\u0000${r.order_key}`;
    const runs = new Map(heads.map((h) => [keyOf(h), { head: h.id, ids: [h.id], cut: false }]));
    let extra = 0;
    for (let i = 0; i < heads.length; i += CHUNK) {
      // Per room, on the (url, order_key, id) index of pending rows: each room's next few, however long the
      // backlog (a scan of all pending rows took 258 ms at 500k, on every pass, with the heads locked).
      const values = sql.join(heads.slice(i, i + CHUNK).map((h) => sql`(${h.url}, ${h.order_key}, ${h.id})`));
      const { rows } = await sql<{ id: string; url: string; order_key: string; next_attempt_at: string; lease_until: string | null }>`
        select r.id, r.url, r.order_key, r.next_attempt_at, r.lease_until
        from (values ${values}) as h(url, order_key, head)
        cross join lateral (
          select d.id, d.url, d.order_key, d.next_attempt_at, d.lease_until from webhook_deliveries d
          where d.url = h.url and d.order_key = h.order_key and d.status = 'pending' and d.id > h.head
          order by d.id limit ${perKey - 1}
        ) r
        order by r.id`.execute(trx);
      for (const row of rows) {
        const run = runs.get(keyOf(row));
        if (!run || run.cut || row.id <= run.head || run.ids.length >= perKey) continue;
        const free = row.next_attempt_at <= now && (row.lease_until === null || row.lease_until <= now);
        // Cutting a run short is always safe: its tail stays pending for a later pass.
        if (free && extra < maxRows) {
          run.ids.push(row.id);
          extra++;
        } else run.cut = true;
      }
    }
    return [...runs.values()].flatMap((run) => run.ids);
  }

  async finish(id: string, outcome: AttemptOutcome): Promise<void> {
    const status: DeliveryStatus = outcome.ok ? 'delivered' : outcome.nextAttemptAt === null ? 'failed' : 'pending';
    await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        status,
        attempts: eb('attempts', '+', 1),
        lease_until: null,
        last_status: outcome.status,
        last_error: outcome.error,
        first_attempt_at: outcome.firstAttemptAt,
        ...(outcome.nextAttemptAt !== null ? { next_attempt_at: outcome.nextAttemptAt } : {}),
      }))
      .where('id', '=', id)
      .execute();
  }

  async delivered(done: readonly DeliveredAttempt[]): Promise<void> {
    if (done.length === 0) return;
    const from =
      this.kind === 'postgres'
        ? sql`unnest(${done.map((d) => d.id)}::text[], ${done.map((d) => d.status)}::int[], ${done.map((d) => d.at)}::text[]) as d(id, status, at)`
        : sql`(select value ->> 0 as id, value ->> 1 as status, value ->> 2 as at from json_each(${deliveredRows(done)})) as d`;
    await sql`update webhook_deliveries set ${sql.raw(DELIVERED_SET)} from ${from} where webhook_deliveries.id = d.id`.execute(this.db);
  }

  async release(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK) {
      await this.db.updateTable('webhook_deliveries').set({ lease_until: null }).where('id', 'in', ids.slice(i, i + CHUNK)).execute();
    }
  }

  async resetAndClaim(id: string, now: string, leaseUntil: string): Promise<ClaimedDelivery | undefined> {
    const claimed = await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: now, first_attempt_at: null, lease_until: leaseUntil })
      .where('id', '=', id)
      .where('status', '=', 'failed')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return undefined;
    const row = await this.withEvent(this.db).where('d.id', '=', id).executeTakeFirst();
    return row && toClaimed(row);
  }

  async list(status: DeliveryStatus | undefined, limit: number): Promise<Delivery[]> {
    let query = this.withEvent(this.db).orderBy('d.id', 'desc').limit(limit);
    // A literal, not a parameter: SQLite uses a partial index only for a condition it can see.
    if (status !== undefined) query = query.where('d.status', '=', sql.lit(status));
    return (await query.execute()).map(toDelivery);
  }

  async prune(before: string): Promise<void> {
    await this.db.deleteFrom('webhook_deliveries').where('status', '=', 'delivered').where('created_at', '<', before).execute();
    await this.db
      .deleteFrom('webhook_events')
      .where('created_at', '<', before)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('webhook_deliveries as d').select(sql`1`.as('one')).whereRef('d.event_id', '=', 'webhook_events.id'))),
      )
      .execute();
  }

  async get(id: string): Promise<Delivery | undefined> {
    const row = await this.withEvent(this.db).where('d.id', '=', id).executeTakeFirst();
    return row && toDelivery(row);
  }
}

/**
 * A pass's successes in one statement, joined from a table `d` of `(id, status, at)`: each attempt has its own
 * time, so grouping by outcome gave a statement (on PostgreSQL a round trip) per delivery.
 */
export const DELIVERED_SET = `status = 'delivered', attempts = attempts + 1, lease_until = null, last_status = d.status,
  last_error = null, first_attempt_at = coalesce(webhook_deliveries.first_attempt_at, d.at)`;

/** SQLite's rows of `d`, as JSON for json_each: `[id, status, at]` each. */
export function deliveredRows(done: readonly DeliveredAttempt[]): string {
  return JSON.stringify(done.map((d) => [d.id, d.status, d.at]));
}
