import type { Kysely } from 'kysely';
import { WebhookEventType } from '../protocol/index.js';
import type { UnreadRepository } from './platform-repository.js';
import type { UnreadCandidatesTable } from './platform-schema.js';
import { toMessage } from './rows.js';
import type { Database } from './schema.js';
import type { WriteHooks } from './write-hooks.js';

type Online = (namespace: string, userId: string) => Promise<boolean>;

/**
 * `message.unread`: candidates are written with each message (one per room and receiver at a time);
 * this evaluates them when due, in one transaction per run (PostgreSQL: rows locked with SKIP LOCKED, so
 * each candidate is evaluated by one node).
 */
export class KyselyUnread implements UnreadRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly hooks: WriteHooks,
    private readonly kind: 'sqlite' | 'postgres',
  ) {}

  async evaluate(now: string, delayMs: number, limit: number, online: Online): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      let query = trx
        .selectFrom('unread_candidates as c')
        .leftJoin('room_reads as r', (join) => join.onRef('r.room_id', '=', 'c.room_id').onRef('r.user_id', '=', 'c.user_id'))
        .selectAll('c')
        .select('r.last_read_id')
        .where((eb) =>
          eb.or([
            eb.and([eb('c.notified', '=', 0), eb('c.due_at', '<=', now)]),
            eb.and([eb('c.notified', '=', 1), eb('r.last_read_id', '>=', eb.ref('c.first_unread_id'))]),
          ]),
        )
        .orderBy('c.due_at')
        .limit(limit);
      if (this.kind === 'postgres') query = query.forUpdate('c').skipLocked();
      const due = await query.execute();
      let sent = 0;
      for (const c of due) {
        if (c.last_read_id !== null && c.last_read_id >= c.first_unread_id) await this.moveOn(trx, c, c.last_read_id, delayMs);
        else if (await this.notify(trx, c, c.last_read_id, online)) sent++;
      }
      return sent;
    });
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

  private async notify(trx: Kysely<Database>, c: UnreadCandidatesTable, lastReadId: string | null, online: Online): Promise<boolean> {
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
    const isOnline = await online(c.namespace, c.user_id).catch(() => false);
    const data = {
      namespace: c.namespace,
      roomToken: c.room_token,
      userId: c.user_id,
      online: isOnline,
      unread: Number(count.n),
      firstUnreadId: c.first_unread_id,
      lastMessage: last ? toMessage(last) : null,
    };
    await this.hooks.record(trx, [{ type: WebhookEventType.MessageUnread, namespace: c.namespace, orderKey: `room:${c.room_token}`, data }]);
    return true;
  }
}

