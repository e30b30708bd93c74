import { sql, type Kysely } from 'kysely';
import { WebhookEventType, type Room } from '../protocol/index.js';
import { noWriteHooks, type OutboxEvent, type WriteHooks } from './write-hooks.js';
import type { RoomListing, RoomRepository } from './chat-store.js';
import type { Database } from './schema.js';
import { fromRoom, toMessage, toRoom } from './rows.js';

export class KyselyRooms implements RoomRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly hooks: WriteHooks = noWriteHooks,
  ) {}

  async findByToken(namespace: string, roomToken: string): Promise<Room | undefined> {
    const row = await this.db
      .selectFrom('rooms')
      .selectAll()
      .where('namespace', '=', namespace)
      .where('room_token', '=', roomToken)
      .executeTakeFirst();
    return row && toRoom(row);
  }

  async insert(namespace: string, room: Room): Promise<Room> {
    const inserted = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('rooms')
        .values(fromRoom(namespace, room))
        .onConflict((oc) => oc.columns(['namespace', 'room_token']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row) await this.hooks.record(trx, [roomEvent(WebhookEventType.RoomCreated, namespace, toRoom(row))]);
      return row;
    });
    if (inserted) return toRoom(inserted);
    const existing = await this.findByToken(namespace, room.roomToken);
    if (!existing) throw new Error('room insert conflicted but no room holds the token');
    return existing;
  }

  async activate(roomId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('rooms')
        .set({ status: 'active' })
        .where('id', '=', roomId)
        .where('status', '=', 'pending')
        .returningAll()
        .executeTakeFirst();
      if (row) await this.hooks.record(trx, [roomEvent(WebhookEventType.RoomAccepted, row.namespace, toRoom(row))]);
      return row !== undefined;
    });
  }

  /**
   * One statement for the whole list: unread counts of all the user's rooms come from one grouped pass over
   * their unread messages (not a COUNT per room), joined to the rooms with their last message and marks.
   */
  async listForUser(namespace: string, userId: string, limit: number): Promise<RoomListing[]> {
    const unread = this.db
      .selectFrom('messages as x')
      .innerJoin('rooms as ur', 'ur.id', 'x.room_id')
      .leftJoin('room_reads as ux', (join) => join.onRef('ux.room_id', '=', 'x.room_id').on('ux.user_id', '=', userId))
      .select('x.room_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('ur.namespace', '=', namespace)
      .where((eb) => eb.or([eb('ur.customer_id', '=', userId), eb('ur.vendor_id', '=', userId)]))
      .where('x.sender_id', '<>', userId)
      .where('x.id', '>', sql<string>`coalesce(ux.last_read_id, '')`)
      .groupBy('x.room_id')
      .as('u');
    const rows = await this.db
      .selectFrom('rooms as r')
      .leftJoin(unread, 'u.room_id', 'r.id')
      .leftJoin('messages as m', 'm.id', 'r.last_message_id')
      // room_reads holds rows for the two members only, so "not me" is the counterpart.
      .leftJoin('room_reads as cr', (join) => join.onRef('cr.room_id', '=', 'r.id').on('cr.user_id', '<>', userId))
      .selectAll('r')
      .select('cr.last_read_id as counterpart_last_read_id')
      .select([
        'm.id as m_id',
        'm.namespace as m_namespace',
        'm.room_id as m_room_id',
        'm.room_token as m_room_token',
        'm.sender_id as m_sender_id',
        'm.receiver_id as m_receiver_id',
        'm.body as m_body',
        'm.message_type as m_message_type',
        'm.client_msg_id as m_client_msg_id',
        'm.dt as m_dt',
        'm.data as m_data',
        'm.attachment as m_attachment',
        'm.reply_to as m_reply_to',
        'm.edited_at as m_edited_at',
        'm.deleted_at as m_deleted_at',
        'm.masked as m_masked',
        'm.reactions as m_reactions',
      ])
      .select('u.n as unread')
      .where('r.namespace', '=', namespace)
      .where((eb) => eb.or([eb('r.customer_id', '=', userId), eb('r.vendor_id', '=', userId)]))
      .orderBy('r.activity', 'desc')
      .orderBy('r.id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      ...toRoom(row),
      unread: Number(row.unread ?? 0),
      counterpartLastReadId: row.counterpart_last_read_id,
      lastMessage:
        row.m_id === null
          ? null
          : toMessage({
              id: row.m_id,
              namespace: row.m_namespace!,
              room_id: row.m_room_id!,
              room_token: row.m_room_token!,
              sender_id: row.m_sender_id!,
              receiver_id: row.m_receiver_id!,
              body: row.m_body!,
              message_type: row.m_message_type!,
              client_msg_id: row.m_client_msg_id,
              dt: row.m_dt!,
              data: row.m_data ?? null,
              attachment: row.m_attachment,
              reply_to: row.m_reply_to,
              edited_at: row.m_edited_at,
              deleted_at: row.m_deleted_at,
              masked: row.m_masked,
              reactions: row.m_reactions,
            }),
    }));
  }

  async countForUser(namespace: string, userId: string): Promise<number> {
    const row = await this.db
      .selectFrom('rooms')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('namespace', '=', namespace)
      .where((eb) => eb.or([eb('customer_id', '=', userId), eb('vendor_id', '=', userId)]))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async countOwned(namespace: string, userId: string): Promise<{ owned: number; pendingSent: number }> {
    const row = await this.db
      .selectFrom('rooms')
      .select([
        sql<number>`coalesce(sum(case when created_by = ${userId} or status = 'active' then 1 else 0 end), 0)`.as('owned'),
        sql<number>`coalesce(sum(case when created_by = ${userId} and status = 'pending' then 1 else 0 end), 0)`.as('pending_sent'),
      ])
      .where('namespace', '=', namespace)
      .where((eb) => eb.or([eb('customer_id', '=', userId), eb('vendor_id', '=', userId)]))
      .executeTakeFirstOrThrow();
    return { owned: Number(row.owned), pendingSent: Number(row.pending_sent) };
  }

  async deletePending(roomId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('rooms').where('id', '=', roomId).where('status', '=', 'pending').executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async activeForUser(namespace: string, userId: string, limit: number): Promise<Room[]> {
    const rows = await this.db
      .selectFrom('rooms')
      .selectAll()
      .where('namespace', '=', namespace)
      .where('status', '=', 'active')
      .where((eb) => eb.or([eb('customer_id', '=', userId), eb('vendor_id', '=', userId)]))
      .limit(limit)
      .execute();
    return rows.map(toRoom);
  }

  async counterpartsOf(namespace: string, userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('rooms')
      .select(['customer_id', 'vendor_id'])
      .where('namespace', '=', namespace)
      .where((eb) => eb.or([eb('customer_id', '=', userId), eb('vendor_id', '=', userId)]))
      .execute();
    const others = new Set(rows.map((r) => (r.customer_id === userId ? r.vendor_id : r.customer_id)));
    return [...others];
  }
}

export function roomEvent(
  type: typeof WebhookEventType.RoomCreated | typeof WebhookEventType.RoomAccepted | typeof WebhookEventType.RoomClosed,
  namespace: string,
  room: Room,
): OutboxEvent {
  return { type, namespace, orderKey: `room:${room.roomToken}`, data: { namespace, room } };
}
