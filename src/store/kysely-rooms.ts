import { sql, type Kysely } from 'kysely';
import type { Room } from '../protocol/index.js';
import type { RoomListing, RoomRepository } from './chat-store.js';
import type { Database } from './schema.js';
import { fromRoom, toMessage, toRoom } from './rows.js';

export class KyselyRooms implements RoomRepository {
  constructor(private readonly db: Kysely<Database>) {}

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
    const inserted = await this.db
      .insertInto('rooms')
      .values(fromRoom(namespace, room))
      .onConflict((oc) => oc.columns(['namespace', 'room_token']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return toRoom(inserted);
    const existing = await this.findByToken(namespace, room.roomToken);
    if (!existing) throw new Error('room insert conflicted but no room holds the token');
    return existing;
  }

  async activate(roomId: string): Promise<boolean> {
    const result = await this.db
      .updateTable('rooms')
      .set({ status: 'active' })
      .where('id', '=', roomId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async listForUser(namespace: string, userId: string, limit: number): Promise<RoomListing[]> {
    const rows = await this.db
      .selectFrom('rooms as r')
      .leftJoin('messages as m', 'm.id', 'r.last_message_id')
      .leftJoin('room_reads as rr', (join) => join.onRef('rr.room_id', '=', 'r.id').on('rr.user_id', '=', userId))
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
        'm.attachment as m_attachment',
      ])
      .select((eb) =>
        eb
          .selectFrom('messages as x')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('x.room_id', '=', 'r.id')
          .where('x.sender_id', '<>', userId)
          .where('x.id', '>', sql<string>`coalesce(rr.last_read_id, '')`)
          .as('unread'),
      )
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
              attachment: row.m_attachment,
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
