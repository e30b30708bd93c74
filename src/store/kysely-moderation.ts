import type { Kysely } from 'kysely';
import type { Report } from '../protocol/index.js';
import { KyselyLifecycle, type LifecycleRepository } from './kysely-lifecycle.js';
import type { Database, ReportsTable } from './schema.js';
import { noWriteHooks, type WriteHooks } from './write-hooks.js';
import { WebhookEventType } from '../protocol/index.js';

/** Blocks between users of a namespace (§13), directional: the blocker hides from and silences the blocked. */
export interface BlockRepository {
  /** True when the block is new. */
  block(namespace: string, blockerId: string, blockedId: string, at: string): Promise<boolean>;
  /** True when a block was lifted. */
  unblock(namespace: string, blockerId: string, blockedId: string): Promise<boolean>;
  /** Whom `blockerId` blocks, among `among` (all of them when omitted). */
  blockedBy(namespace: string, blockerId: string, among?: readonly string[]): Promise<Set<string>>;
  /** Who blocks `blockedId`, among `among` (all of them when omitted). */
  blockersOf(namespace: string, blockedId: string, among?: readonly string[]): Promise<Set<string>>;
}

/** What sending into a room depends on, read in one query: the room's masking setting and a block. */
export interface SendPolicy {
  /** The room's own contact masking: null follows the configuration. */
  contactMasking: boolean | null;
  /** The receiver blocks the sender. */
  blocked: boolean;
}

export interface SendPolicyRepository {
  policy(namespace: string, roomId: string, receiverId: string, senderId: string): Promise<SendPolicy>;
}

export interface ReportRepository {
  insert(namespace: string, report: Report): Promise<void>;
  find(id: string): Promise<Report | undefined>;
  /** Oldest first within a status; every status when undefined. */
  list(status: Report['status'] | undefined, limit: number): Promise<Report[]>;
  /** open → resolved; false when it was not open (already resolved, or no such report). */
  resolve(id: string, action: string, note: string | null, at: string): Promise<boolean>;
}

export function toBoolean(value: boolean | number | null | undefined): boolean | null {
  return value === null || value === undefined ? null : Boolean(Number(value));
}

export class KyselyBlocks implements BlockRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async block(namespace: string, blockerId: string, blockedId: string, at: string): Promise<boolean> {
    const result = await this.db
      .insertInto('blocks')
      .values({ namespace, blocker_id: blockerId, blocked_id: blockedId, created_at: at })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async unblock(namespace: string, blockerId: string, blockedId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('blocks')
      .where('namespace', '=', namespace)
      .where('blocker_id', '=', blockerId)
      .where('blocked_id', '=', blockedId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async blockedBy(namespace: string, blockerId: string, among?: readonly string[]): Promise<Set<string>> {
    if (among?.length === 0) return new Set();
    let query = this.db.selectFrom('blocks').select('blocked_id as id').where('namespace', '=', namespace).where('blocker_id', '=', blockerId);
    if (among) query = query.where('blocked_id', 'in', among);
    return new Set((await query.execute()).map((r) => r.id));
  }

  async blockersOf(namespace: string, blockedId: string, among?: readonly string[]): Promise<Set<string>> {
    if (among?.length === 0) return new Set();
    let query = this.db.selectFrom('blocks').select('blocker_id as id').where('namespace', '=', namespace).where('blocked_id', '=', blockedId);
    if (among) query = query.where('blocker_id', 'in', among);
    return new Set((await query.execute()).map((r) => r.id));
  }
}

export class KyselySendPolicy implements SendPolicyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async policy(namespace: string, roomId: string, receiverId: string, senderId: string): Promise<SendPolicy> {
    const row = await this.db
      .selectFrom('rooms as r')
      .select('r.contact_masking')
      .select((eb) =>
        eb
          .selectFrom('blocks as b')
          .select(eb.lit(1).as('one'))
          .where('b.namespace', '=', namespace)
          .where('b.blocker_id', '=', receiverId)
          .where('b.blocked_id', '=', senderId)
          .as('blocked'),
      )
      .where('r.id', '=', roomId)
      .executeTakeFirst();
    return { contactMasking: toBoolean(row?.contact_masking), blocked: row?.blocked != null };
  }
}

function toReport(row: ReportsTable): Report {
  return {
    id: row.id,
    namespace: row.namespace,
    roomToken: row.room_token,
    room_id: row.room_id,
    reporterId: row.reporter_id,
    reportedUserId: row.reported_id,
    messageId: row.message_id,
    reason: row.reason,
    status: row.status,
    createdAt: row.created_at,
    snapshot: JSON.parse(row.snapshot) as Report['snapshot'],
    resolution:
      row.action === null ? null : { action: row.action, note: row.note, resolvedAt: row.resolved_at ?? row.created_at },
  };
}

export class KyselyReports implements ReportRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** `report.created` is recorded in the transaction that stores the report. */
    private readonly hooks: WriteHooks = noWriteHooks,
  ) {}

  async insert(namespace: string, report: Report): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.insertRow(trx, namespace, report);
      const data = { namespace, report: report as unknown as Record<string, unknown> };
      await this.hooks.record(trx, [{ type: WebhookEventType.ReportCreated, namespace, orderKey: `room:${report.roomToken}`, data }]);
    });
  }

  private async insertRow(db: Kysely<Database>, namespace: string, report: Report): Promise<void> {
    await db
      .insertInto('reports')
      .values({
        id: report.id,
        namespace,
        room_id: report.room_id,
        room_token: report.roomToken,
        reporter_id: report.reporterId,
        reported_id: report.reportedUserId,
        message_id: report.messageId,
        reason: report.reason,
        snapshot: JSON.stringify(report.snapshot),
        status: report.status,
        created_at: report.createdAt,
        resolved_at: null,
        action: null,
        note: null,
      })
      .execute();
  }

  async find(id: string): Promise<Report | undefined> {
    const row = await this.db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toReport(row);
  }

  async list(status: Report['status'] | undefined, limit: number): Promise<Report[]> {
    let query = this.db.selectFrom('reports').selectAll();
    if (status) query = query.where('status', '=', status);
    return (await query.orderBy('id', 'asc').limit(limit).execute()).map(toReport);
  }

  async resolve(id: string, action: string, note: string | null, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('reports')
      .set({ status: 'resolved', action, note, resolved_at: at })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

/** The §13 repositories, one object on the store so the composition root wires them in one place. */
export interface ModerationStore {
  readonly lifecycle: LifecycleRepository;
  readonly blocks: BlockRepository;
  readonly sendPolicy: SendPolicyRepository;
  readonly reports: ReportRepository;
}

export function moderationStore(
  db: Kysely<Database>,
  kind: 'sqlite' | 'postgres',
  hooks: WriteHooks = noWriteHooks,
  sendPolicy: SendPolicyRepository = new KyselySendPolicy(db),
): ModerationStore {
  return {
    lifecycle: new KyselyLifecycle(db, kind, hooks),
    blocks: new KyselyBlocks(db),
    sendPolicy,
    reports: new KyselyReports(db, hooks),
  };
}
