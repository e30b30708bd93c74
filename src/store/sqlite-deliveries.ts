import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { DELIVERED_SET, deliveredRows, KyselyDeliveries, toClaimed, type DeliveryRow } from './kysely-deliveries.js';
import type { ClaimQuery, ClaimedDelivery, Collected, DeliveredAttempt } from './platform-repository.js';
import type { Database } from './schema.js';
import type { NonBlockingWriter } from './sqlite-lock.js';
import type { SqliteMessageFeed } from './sqlite-message-feed.js';

interface Head {
  id: string;
  url: string;
  order_key: string;
}

interface RunRow {
  id: string;
  next_attempt_at: string;
  lease_until: string | null;
}

/** Above every id (ULIDs and derived ids are digits and letters). */
const NO_BOUND = '~';

/** `?` bound to a JSON array: one prepared statement whatever the list's length. */
const IN_LIST = '(select value from json_each(?))';

interface Statements {
  heads: SQLite.Statement<unknown[], Head>;
  runs: SQLite.Statement<unknown[], RunRow>;
  lease: SQLite.Statement<unknown[], { id: string }>;
  claimed: SQLite.Statement<unknown[], DeliveryRow>;
  delivered: SQLite.Statement;
  release: SQLite.Statement;
  candidates: SQLite.Transaction<(claim: ClaimQuery) => DeliveryRow[]>;
}

/**
 * The dispatcher's hot statements on SQLite, each a synchronous transaction of prepared statements (same
 * rules as `KyselyDeliveries`): an asynchronous Kysely transaction holds the connection (and the file's write
 * lock) across event-loop turns, and the chat's message writer waits for it, in this process or another.
 */
export class SqliteDeliveries extends KyselyDeliveries {
  private prepared: Statements | undefined;

  constructor(
    db: Kysely<Database>,
    private readonly database: SQLite.Database,
    private readonly writer: NonBlockingWriter,
    private readonly feed: SqliteMessageFeed,
  ) {
    super(db, 'sqlite');
  }

  override collect(limit: number, leaseUntil?: string): Promise<Collected> {
    return this.feed.collect(limit, leaseUntil);
  }

  /** Prepared on first use: the tables exist only once migrations have run. */
  private get statements(): Statements {
    this.prepared ??= this.prepare();
    return this.prepared;
  }

  private prepare(): Statements {
    const db = this.database;
    const statements = {
      // Walks the backlog from its oldest row (partial index of pending rows) and stops at `limit` heads.
      heads: db.prepare(`select d.id, d.url, d.order_key from webhook_deliveries d indexed by webhook_deliveries_pending
        where d.status = 'pending' and d.url in ${IN_LIST} and d.next_attempt_at <= @now
          and (d.lease_until is null or d.lease_until <= @now) and d.id < @bound
          and not exists (select 1 from webhook_deliveries p
            where p.url = d.url and p.order_key = d.order_key and p.status = 'pending' and p.id < d.id)
        order by d.id limit @limit`),
      // One room's deliveries after its head, on the (url, order_key, status, id) index.
      runs: db.prepare(`select id, next_attempt_at, lease_until from webhook_deliveries
        where url = ? and order_key = ? and status = 'pending' and id > ? and id < ? order by id limit ?`),
      // Only rows still free: another dispatcher may have leased or finished some since they were read.
      lease: db.prepare(`update webhook_deliveries set lease_until = @leaseUntil where id in ${IN_LIST}
        and status = 'pending' and next_attempt_at <= @now and (lease_until is null or lease_until <= @now) returning id`),
      claimed: db.prepare(`select d.*, e.type, e.payload from webhook_deliveries d
        join webhook_events e on e.id = d.event_id where d.id in ${IN_LIST} order by d.id`),
      // A pass's successes in one statement (see DELIVERED_SET).
      delivered: db.prepare(`update webhook_deliveries set ${DELIVERED_SET}
        from (select value ->> 0 as id, value ->> 1 as status, value ->> 2 as at from json_each(?)) as d where webhook_deliveries.id = d.id`),
      release: db.prepare(`update webhook_deliveries set lease_until = null where id in ${IN_LIST}`),
    } as Omit<Statements, 'candidates'>;
    return {
      ...statements,
      // One read snapshot, no write lock: the chat's writer is not kept waiting while the backlog is searched.
      candidates: db.transaction(({ now, rooms, urls, perRoom, maxRows }: ClaimQuery) => {
        // Nothing at or after a message whose events are still to be derived (its room's order), in this snapshot.
        const bound = this.feed.firstUnderived() ?? NO_BOUND;
        const heads = statements.heads.all(JSON.stringify(urls), { now, limit: rooms, bound });
        if (heads.length === 0) return [];
        const ids = perRoom > 1 ? this.runsOf(heads, now, perRoom, maxRows, bound) : heads.map((h) => h.id);
        return statements.claimed.all(JSON.stringify(ids));
      }),
    };
  }

  /** Each head with the due, unleased deliveries right after it in its room, up to `perKey` (as KyselyDeliveries.runs). */
  private runsOf(heads: Head[], now: string, perRoom: number, maxRows: number, bound: string): string[] {
    const ids = heads.map((h) => h.id);
    let extra = 0;
    for (const head of heads) {
      const room = this.statements.runs.all(head.url, head.order_key, head.id, bound, Math.min(perRoom - 1, maxRows - extra));
      for (const row of room) {
        if (row.next_attempt_at > now || (row.lease_until !== null && row.lease_until > now)) break;
        ids.push(row.id);
        extra++;
      }
      if (extra >= maxRows) break;
    }
    return ids;
  }

  /**
   * Reads the candidates, then leases those still free in one short write. A room's run is kept up to its
   * first row that could not be leased (another dispatcher got there first): the rest is given back, so no
   * room is ever attempted out of order.
   */
  override async claimDue(claim: ClaimQuery): Promise<ClaimedDelivery[]> {
    if (claim.urls.length === 0) return [];
    const rows = await this.writer.run(() => this.statements.candidates.deferred(claim));
    if (rows.length === 0) return [];
    const ids = JSON.stringify(rows.map((r) => r.id));
    const leased = new Set(
      (await this.writer.run(() => this.statements.lease.all(ids, { now: claim.now, leaseUntil: claim.leaseUntil }))).map((r) => r.id),
    );
    const claimed: DeliveryRow[] = [];
    const giveBack: string[] = [];
    const broken = new Set<string>();
    for (const row of rows) {
      const room = `${row.url}\u0000${row.order_key}`;
      if (leased.has(row.id) && !broken.has(room)) claimed.push(row);
      else {
        broken.add(room);
        if (leased.has(row.id)) giveBack.push(row.id);
      }
    }
    await this.release(giveBack);
    return claimed.map(toClaimed);
  }

  override async delivered(done: readonly DeliveredAttempt[]): Promise<void> {
    if (done.length === 0) return;
    const rows = deliveredRows(done);
    await this.writer.run(() => this.statements.delivered.run(rows));
  }

  override async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.writer.run(() => this.statements.release.run(JSON.stringify(ids)));
  }
}
