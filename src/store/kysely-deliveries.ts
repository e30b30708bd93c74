import { sql, type Kysely } from 'kysely';
import type { AttemptOutcome, ClaimedDelivery, Delivery, DeliveryRepository } from './platform-repository.js';
import type { DeliveryStatus, WebhookDeliveriesTable } from './platform-schema.js';
import type { Database } from './schema.js';

type Row = WebhookDeliveriesTable & { type: string; payload: string };

function toDelivery(row: Row): Delivery {
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

function toClaimed(row: Row): ClaimedDelivery {
  return { ...toDelivery(row), payload: row.payload, firstAttemptAt: row.first_attempt_at, createdAt: row.created_at };
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

  private withEvent(db: Kysely<Database>) {
    return db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
      .selectAll('d')
      .select(['e.type', 'e.payload']);
  }

  async claimDue(now: string, leaseUntil: string, limit: number, urls: readonly string[]): Promise<ClaimedDelivery[]> {
    if (urls.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      let due = trx
        .selectFrom('webhook_deliveries as d')
        .select('d.id')
        .where('d.status', '=', 'pending')
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
                .where('p.status', '=', 'pending')
                .whereRef('p.id', '<', 'd.id'),
            ),
          ),
        )
        .orderBy('d.id')
        .limit(limit);
      if (this.kind === 'postgres') due = due.forUpdate().skipLocked();
      const ids = (await due.execute()).map((r) => r.id);
      if (ids.length === 0) return [];
      await trx.updateTable('webhook_deliveries').set({ lease_until: leaseUntil }).where('id', 'in', ids).execute();
      const rows = await this.withEvent(trx).where('d.id', 'in', ids).orderBy('d.id').execute();
      return rows.map(toClaimed);
    });
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
    if (status !== undefined) query = query.where('d.status', '=', status);
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
