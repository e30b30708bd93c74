import { sql, type Kysely } from 'kysely';
import type { Message, Room } from '../protocol/index.js';
import type {
  ChatStore,
  LastSeenRepository,
  MessageRepository,
  ReadRepository,
  RoomListing,
  RoomRepository,
  StoredMessage,
} from './chat-store.js';
import type { Database, MessagesTable } from './schema.js';
import { fromMessage, fromRoom, toMessage, toRoom } from './rows.js';

const messageColumns = [
  'id',
  'namespace',
  'room_id',
  'room_token',
  'sender_id',
  'receiver_id',
  'body',
  'message_type',
  'client_msg_id',
  'dt',
] as const;

// Both SQLite and PostgreSQL cap bound parameters per statement; stay far below either cap.
const INSERT_CHUNK = 500;

class KyselyRooms implements RoomRepository {
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

class KyselyMessages implements MessageRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertBatch(messages: StoredMessage[]): Promise<Message[]> {
    if (messages.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const insertedIds = new Set<string>();
      for (let i = 0; i < messages.length; i += INSERT_CHUNK) {
        const chunk = messages.slice(i, i + INSERT_CHUNK);
        const rows = await trx
          .insertInto('messages')
          .values(chunk.map((m) => fromMessage(m.namespace, m)))
          .onConflict((oc) => oc.columns(['namespace', 'sender_id', 'client_msg_id']).doNothing())
          .returning('id')
          .execute();
        for (const row of rows) insertedIds.add(row.id);
      }
      const latestPerRoom = new Map<string, StoredMessage>();
      for (const m of messages) if (insertedIds.has(m._id)) latestPerRoom.set(m.room_id, m);
      for (const m of latestPerRoom.values()) {
        await trx
          .updateTable('rooms')
          .set({ activity: m.dt, last_message_id: m._id })
          .where('id', '=', m.room_id)
          .execute();
      }
      const result: Message[] = [];
      for (const m of messages) {
        if (insertedIds.has(m._id)) {
          const { namespace: _ns, ...message } = m;
          result.push(message);
          continue;
        }
        const original = await trx
          .selectFrom('messages')
          .select(messageColumns)
          .where('namespace', '=', m.namespace)
          .where('sender_id', '=', m.senderId)
          .where('client_msg_id', '=', m.clientMsgId ?? null)
          .executeTakeFirstOrThrow();
        result.push(toMessage(original));
      }
      return result;
    });
  }

  async findByClientMsgId(namespace: string, senderId: string, clientMsgId: string) {
    const row = await this.db
      .selectFrom('messages')
      .select(messageColumns)
      .where('namespace', '=', namespace)
      .where('sender_id', '=', senderId)
      .where('client_msg_id', '=', clientMsgId)
      .executeTakeFirst();
    return row && toMessage(row);
  }

  async findInRoom(roomId: string, messageId: string) {
    const row = await this.db
      .selectFrom('messages')
      .select(messageColumns)
      .where('room_id', '=', roomId)
      .where('id', '=', messageId)
      .executeTakeFirst();
    return row && toMessage(row);
  }

  async countInRoom(roomId: string): Promise<number> {
    const row = await this.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('room_id', '=', roomId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async pageInRoom(roomId: string, offset: number, limit: number) {
    return this.select(
      this.db.selectFrom('messages').select(messageColumns).where('room_id', '=', roomId).orderBy('id', 'desc').limit(limit).offset(offset),
    );
  }

  async beforeInRoom(roomId: string, before: string, limit: number) {
    return this.select(
      this.db
        .selectFrom('messages')
        .select(messageColumns)
        .where('room_id', '=', roomId)
        .where('id', '<', before)
        .orderBy('id', 'desc')
        .limit(limit),
    );
  }

  async afterInRoom(roomId: string, after: string, limit: number) {
    return this.select(
      this.db
        .selectFrom('messages')
        .select(messageColumns)
        .where('room_id', '=', roomId)
        .where('id', '>', after)
        .orderBy('id', 'asc')
        .limit(limit),
    );
  }

  async afterInRooms(roomIds: readonly string[], since: string, limit: number) {
    if (roomIds.length === 0) return [];
    return this.select(
      this.db
        .selectFrom('messages')
        .select(messageColumns)
        .where('room_id', 'in', roomIds)
        .where('id', '>', since)
        .orderBy('id', 'asc')
        .limit(limit),
    );
  }

  async roomIdsOf(namespace: string, userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('rooms')
      .select('id')
      .where('namespace', '=', namespace)
      .where((eb) => eb.or([eb('customer_id', '=', userId), eb('vendor_id', '=', userId)]))
      .execute();
    return rows.map((r) => r.id);
  }

  private async select(query: { execute(): Promise<MessagesTable[]> }): Promise<Message[]> {
    return (await query.execute()).map(toMessage);
  }
}

class KyselyReads implements ReadRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async markRead(roomId: string, userId: string, messageId: string): Promise<boolean> {
    const result = await this.db
      .insertInto('room_reads')
      .values({ room_id: roomId, user_id: userId, last_read_id: messageId })
      .onConflict((oc) =>
        oc
          .columns(['room_id', 'user_id'])
          .doUpdateSet({ last_read_id: messageId })
          .where('room_reads.last_read_id', '<', messageId),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }
}

class KyselyLastSeen implements LastSeenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async setLastSeen(namespace: string, userId: string, at: string): Promise<void> {
    await this.db
      .insertInto('user_seen')
      .values({ namespace, user_id: userId, last_seen: at })
      .onConflict((oc) => oc.columns(['namespace', 'user_id']).doUpdateSet({ last_seen: at }))
      .execute();
  }

  async lastSeen(namespace: string, userIds: readonly string[]): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('user_seen')
      .select(['user_id', 'last_seen'])
      .where('namespace', '=', namespace)
      .where('user_id', 'in', userIds)
      .execute();
    return new Map(rows.map((r) => [r.user_id, r.last_seen]));
  }
}

/** The repositories over any Kysely dialect: the SQL is the same for SQLite and PostgreSQL. */
export class KyselyStore implements ChatStore {
  readonly rooms: RoomRepository;
  readonly messages: MessageRepository;
  readonly reads: ReadRepository;
  readonly lastSeen: LastSeenRepository;

  constructor(
    readonly kind: 'sqlite' | 'postgres',
    private readonly db: Kysely<Database>,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    this.rooms = new KyselyRooms(db);
    this.messages = new KyselyMessages(db);
    this.reads = new KyselyReads(db);
    this.lastSeen = new KyselyLastSeen(db);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.onClose();
  }
}
