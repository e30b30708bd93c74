import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { WebhookEventType } from '../protocol/index.js';
import type { UnreadRepository } from './platform-repository.js';
import type { UnreadCandidatesTable } from './platform-schema.js';
import { toPlatformMessage } from './rows.js';
import type { Database } from './schema.js';
import type { WriteHooks } from './write-hooks.js';

type Online = (namespace: string, userId: string) => Promise<boolean>;

type Candidate = UnreadCandidatesTable & { last_read_id: string | null };

/** Candidates evaluated per transaction. */
const EVALUATE_SLICE = 10;

/** The receiver's read mark has reached the first unread message: nothing to send, move on. */
const readPast = (c: Candidate): boolean => c.last_read_id !== null && c.last_read_id >= c.first_unread_id;

/**
 * `message.unread`: candidates are written with each message (one per room and receiver at a time);
 * this evaluates them when due. Candidates and the receivers' presence are read first, outside any
 * transaction (presence may wait on Redis); then one short transaction re-reads each candidate
 * (PostgreSQL: locked with SKIP LOCKED, so each is evaluated by one node) and acts on its state as it is now.
 */
export class KyselyUnread implements UnreadRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly hooks: WriteHooks,
    private readonly kind: 'sqlite' | 'postgres',
  ) {}

  async evaluate(now: string, delayMs: number, limit: number, online: Online): Promise<number> {
    const due = await this.candidates(this.db, now).orderBy('c.due_at').limit(limit).execute();
    if (due.length === 0) return 0;
    const presence = await Promise.all(due.map((c) => (readPast(c) ? undefined : online(c.namespace, c.user_id).catch(() => false))));
    // Short transactions with the event loop turning between them: each candidate is several queries, and the
    // chat may share this event loop (and, on SQLite, the file's write lock).
    for (let start = 0; start < due.length; start += EVALUATE_SLICE) {
      if (start > 0) await nextTurn();
      await this.db.transaction().execute(async (trx) => {
        for (let i = start; i < Math.min(start + EVALUATE_SLICE, due.length); i++) {
          const seen = due[i]!;
          let again = this.candidates(trx, now).where('c.room_id', '=', seen.room_id).where('c.user_id', '=', seen.user_id);
          if (this.kind === 'postgres') again = again.forUpdate('c').skipLocked();
          const c = await again.executeTakeFirst();
          if (!c) continue; // evaluated meanwhile (another node, or a read)
          const isOnline = presence[i];
          if (readPast(c)) await this.moveOn(trx, c, c.last_read_id!, delayMs);
          else if (isOnline !== undefined) await this.notify(trx, c, c.last_read_id, isOnline);
        }
      });
    }
    return due.length;
  }

  /** Due candidates (and notified ones whose read mark moved), with the receiver's read mark. */
  private candidates(db: Kysely<Database>, now: string) {
    return db
      .selectFrom('unread_candidates as c')
      .leftJoin('room_reads as r', (join) => join.onRef('r.room_id', '=', 'c.room_id').onRef('r.user_id', '=', 'c.user_id'))
      .selectAll('c')
      .select('r.last_read_id')
      .where((eb) =>
        eb.or([
          eb.and([eb('c.notified', '=', 0), eb('c.due_at', '<=', now)]),
          eb.and([eb('c.notified', '=', 1), eb('r.last_read_id', '>=', eb.ref('c.first_unread_id'))]),
        ]),
      );
  }

  /** Read past the first unread message: wait for the next unread one, if any. */
  private async moveOn(trx: Kysely<Database>, c: UnreadCandidatesTable, lastReadId: string, delayMs: number): Promise<void> {
    const next = await trx
      .selectFrom('messages')
      .select(['id', 'dt'])
      .where('room_id', '=', c.room_id)
      .where('sender_id', '<>', c.user_id)
      .where('id', '>', lastReadId)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    const key = trx.updateTable('unread_candidates').where('room_id', '=', c.room_id).where('user_id', '=', c.user_id);
    if (!next) {
      // Idle, not deleted: a message committing meanwhile re-arms an idle row (its upsert waits for this
      // transaction's row lock on PostgreSQL), where a deleted row would lose it.
      await key.set({ notified: 2 }).execute();
      return;
    }
    const due = new Date(Date.parse(next.dt) + delayMs).toISOString();
    await key.set({ first_unread_id: next.id, due_at: due, notified: 0 }).execute();
  }

  private async notify(trx: Kysely<Database>, c: UnreadCandidatesTable, lastReadId: string | null, isOnline: boolean): Promise<void> {
    const room = await trx.selectFrom('rooms').select(['last_message_id']).where('id', '=', c.room_id).executeTakeFirst();
    const count = await trx
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('room_id', '=', c.room_id)
      .where('sender_id', '<>', c.user_id)
      .where('id', '>', lastReadId ?? '')
      .executeTakeFirstOrThrow();
    const last = room?.last_message_id
      ? await trx.selectFrom('messages').selectAll().where('id', '=', room.last_message_id).executeTakeFirst()
      : undefined;
    await trx
      .updateTable('unread_candidates')
      .set({ notified: 1 })
      .where('room_id', '=', c.room_id)
      .where('user_id', '=', c.user_id)
      .execute();
    const data = {
      namespace: c.namespace,
      roomToken: c.room_token,
      userId: c.user_id,
      online: isOnline,
      unread: Number(count.n),
      firstUnreadId: c.first_unread_id,
      // The platform's view (§10): a masked message carries `original`, as in message.created.
      lastMessage: last ? toPlatformMessage(last) : null,
    };
    await this.hooks.record(trx, [{ type: WebhookEventType.MessageUnread, namespace: c.namespace, orderKey: `room:${c.room_token}`, data }]);
  }
}

