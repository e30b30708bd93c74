import { sql, type Kysely, type Transaction } from 'kysely';
import type { Message } from '../protocol/index.js';
import type { MessageRepository, StoredMessage } from './chat-store.js';
import type { Database, MessagesTable } from './schema.js';
import { greatest, orderAbove } from './ordered-ids.js';
import { noWriteHooks, type WriteHooks } from './write-hooks.js';
import { fromMessage, insertValues, MESSAGE_INSERT_COLUMNS, toMessage } from './rows.js';

export const messageColumns = [
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
  'reply_to',
  'edited_at',
  'deleted_at',
  'masked',
  'original',
  'reactions',
  'data',
  'attachment',
] as const;

/** One message's row, if it is in that room (members' and the platform's views are made from it). */
export function messageRowInRoom(db: Kysely<Database>, roomId: string, messageId: string) {
  return db.selectFrom('messages').select(messageColumns).where('room_id', '=', roomId).where('id', '=', messageId).executeTakeFirst();
}

// Both SQLite and PostgreSQL cap bound parameters per statement; stay far below either cap.
const INSERT_CHUNK = 500;
const CLOCK_CHUNK = 1000;

type Trx = Transaction<Database>;

/** Per room of a batch: its greatest new id (and that message's dt) and how many messages it got. */
export interface RoomTouch {
  roomId: string;
  lastId: string;
  dt: string;
  count: number;
}

/** The rooms the batch's stored messages went to (sorted by room id), with each room's greatest new id and count. */
export function roomTouches(messages: readonly StoredMessage[], stored: (m: StoredMessage) => boolean): RoomTouch[] {
  const perRoom = new Map<string, RoomTouch>();
  for (const m of messages) {
    if (!stored(m)) continue;
    const touch = perRoom.get(m.room_id);
    if (!touch) perRoom.set(m.room_id, { roomId: m.room_id, lastId: m._id, dt: m.dt, count: 1 });
    else {
      touch.count += 1;
      if (m._id > touch.lastId) Object.assign(touch, { lastId: m._id, dt: m.dt });
    }
  }
  return [...perRoom.values()].sort((a, b) => (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0));
}

export class KyselyMessages implements MessageRepository {
  constructor(
    private readonly db: Kysely<Database>,
    protected readonly hooks: WriteHooks = noWriteHooks,
  ) {}

  /**
   * One transaction: (1) lock the clocks of the batch's users, in sorted order, and give the messages ids
   * above them; (2) in one statement, insert the messages, move their rooms forward and move the clocks.
   * Two nodes writing to the same users wait for each other at (1) instead of deadlocking, and commit their
   * ids in order.
   */
  async insertBatch(messages: StoredMessage[]): Promise<Message[]> {
    if (messages.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const users = await this.usersOf(trx, messages);
      orderAbove(messages, await this.lockClocks(trx, users));
      const insertedIds = await this.writeRows(trx, messages, users);
      const inserted = (m: StoredMessage) => insertedIds.has(m._id);
      // Rows that must commit or roll back together with these messages (the webhook outbox) are written here.
      await this.hooks.messagesStored(trx, messages.filter(inserted));
      return this.results(trx, messages, inserted);
    });
  }

  /**
   * Every (namespace, user) the batch writes for, sorted: the clocks' lock order. Senders and receivers; a
   * system message has no receiver, so both members of its room count.
   */
  private async usersOf(trx: Trx, messages: readonly StoredMessage[]): Promise<Array<[string, string]>> {
    const keys = new Set<string>();
    const roomsWithoutReceiver = new Set<string>();
    for (const m of messages) {
      keys.add(JSON.stringify([m.namespace, m.senderId]));
      if (m.receiverId !== null) keys.add(JSON.stringify([m.namespace, m.receiverId]));
      else roomsWithoutReceiver.add(m.room_id);
    }
    if (roomsWithoutReceiver.size > 0) {
      const rooms = await trx
        .selectFrom('rooms')
        .select(['namespace', 'customer_id', 'vendor_id'])
        .where('id', 'in', [...roomsWithoutReceiver])
        .execute();
      for (const r of rooms) for (const user of [r.customer_id, r.vendor_id]) keys.add(JSON.stringify([r.namespace, user]));
    }
    return [...keys].sort().map((key) => JSON.parse(key) as [string, string]);
  }

  /** Locks (creating where missing) the users' clock rows in the given order; returns their greatest id. */
  private async lockClocks(trx: Trx, users: Array<[string, string]>): Promise<string> {
    let floor = '';
    for (let i = 0; i < users.length; i += CLOCK_CHUNK) {
      const rows = await trx
        .insertInto('message_clocks')
        .values(users.slice(i, i + CLOCK_CHUNK).map(([namespace, user_id]) => ({ namespace, user_id, last_id: '' })))
        // A no-op update: it takes the row lock and returns the row as it is.
        .onConflict((oc) => oc.columns(['namespace', 'user_id']).doUpdateSet((eb) => ({ last_id: eb.ref('message_clocks.last_id') })))
        .returning('last_id')
        .execute();
      floor = greatest([floor, ...rows.map((r) => r.last_id)]);
    }
    return floor;
  }

  /**
   * Steps (2)–(4) as one statement per chunk (a round trip each was most of a batch's time on PostgreSQL):
   * the messages are inserted (a repeated clientMsgId is skipped), and from what was inserted each room's
   * last_message_id, activity and count and the users' clocks move forward — only forward, whatever order
   * writers commit in. Returns the ids inserted. The order in which it locks room rows does not matter: the
   * batch already holds the clocks of both members of every room it writes to (step 1), so two batches never
   * hold rows of the same room at once, and no other transaction locks more than one room.
   */
  private async writeRows(trx: Trx, messages: StoredMessage[], users: Array<[string, string]>): Promise<Set<string>> {
    const insertedIds = new Set<string>();
    const clocks = sql.join(users.map(([namespace, user]) => sql`(${namespace}, ${user})`));
    for (let i = 0; i < messages.length; i += INSERT_CHUNK) {
      const rows = messages.slice(i, i + INSERT_CHUNK).map((m) => fromMessage(m.namespace, m));
      const values = sql.join(rows.map((row) => sql`(${sql.join(insertValues(row))})`));
      const { rows: stored } = await sql<{ id: string }>`
        with ins as (
          insert into messages (${sql.join(MESSAGE_INSERT_COLUMNS.map((c) => sql.ref(c)))}) values ${values}
          on conflict (namespace, sender_id, client_msg_id) do nothing
          returning id, room_id, dt
        ), touched as (
          update rooms set
            activity = case when rooms.activity < t.dt then t.dt else rooms.activity end,
            last_message_id = case when rooms.last_message_id is null or rooms.last_message_id < t.last_id then t.last_id else rooms.last_message_id end,
            message_count = rooms.message_count + t.count
          from (select room_id, max(id) as last_id, max(dt) as dt, count(*)::integer as count from ins group by room_id) t
          where rooms.id = t.room_id
        ), clocks as (
          update message_clocks set last_id = t.last_id
          from (select max(id) as last_id from ins) t
          where (message_clocks.namespace, message_clocks.user_id) in (values ${clocks}) and message_clocks.last_id < t.last_id
        )
        select id from ins`.execute(trx);
      for (const row of stored) insertedIds.add(row.id);
    }
    return insertedIds;
  }

  private async results(trx: Trx, messages: StoredMessage[], inserted: (m: StoredMessage) => boolean): Promise<Message[]> {
    const result: Message[] = [];
    for (const m of messages) {
      if (inserted(m)) {
        const { namespace: _ns, original: _original, ...message } = m;
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
    const row = await messageRowInRoom(this.db, roomId, messageId);
    return row && toMessage(row);
  }

  async countInRoom(roomId: string): Promise<number> {
    // Kept with every write, so a total costs one row however long the room's history is.
    const row = await this.db.selectFrom('rooms').select('message_count').where('id', '=', roomId).executeTakeFirst();
    return Number(row?.message_count ?? 0);
  }

  async pageInRoom(roomId: string, offset: number, limit: number) {
    return this.select(this.inRooms([roomId]).orderBy('id', 'desc').limit(limit).offset(offset));
  }

  async beforeInRoom(roomId: string, before: string, limit: number) {
    return this.select(this.inRooms([roomId]).where('id', '<', before).orderBy('id', 'desc').limit(limit));
  }

  async afterInRoom(roomId: string, after: string, limit: number) {
    return this.afterInRooms([roomId], after, limit);
  }

  async afterInRooms(roomIds: readonly string[], since: string, limit: number) {
    if (roomIds.length === 0) return [];
    return this.select(this.inRooms(roomIds).where('id', '>', since).orderBy('id', 'asc').limit(limit));
  }

  async afterForUser(namespace: string, userId: string, since: string, limit: number) {
    // A subquery, not a list of ids: a user may have more rooms than a statement may bind parameters.
    const rooms = this.db
      .selectFrom('rooms')
      .select('id')
      .where('namespace', '=', namespace)
      .where((eb) => eb.or([eb('customer_id', '=', userId), eb('vendor_id', '=', userId)]));
    return this.select(
      this.db
        .selectFrom('messages')
        .select(messageColumns)
        .where('room_id', 'in', rooms)
        .where('id', '>', since)
        .orderBy('id', 'asc')
        .limit(limit),
    );
  }

  private inRooms(roomIds: readonly string[]) {
    return this.db.selectFrom('messages').select(messageColumns).where('room_id', 'in', roomIds);
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
