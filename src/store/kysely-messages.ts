import type { Kysely } from 'kysely';
import type { Message } from '../protocol/index.js';
import type { MessageRepository, StoredMessage } from './chat-store.js';
import type { Database, MessagesTable } from './schema.js';
import { fromMessage, toMessage } from './rows.js';

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
  'attachment',
] as const;

// Both SQLite and PostgreSQL cap bound parameters per statement; stay far below either cap.
const INSERT_CHUNK = 500;

export class KyselyMessages implements MessageRepository {
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
      const perRoom = new Map<string, { latest: StoredMessage; count: number }>();
      for (const m of messages) {
        if (insertedIds.has(m._id)) perRoom.set(m.room_id, { latest: m, count: (perRoom.get(m.room_id)?.count ?? 0) + 1 });
      }
      for (const { latest, count } of perRoom.values()) {
        await trx
          .updateTable('rooms')
          .set((eb) => ({ activity: latest.dt, last_message_id: latest._id, message_count: eb('message_count', '+', count) }))
          .where('id', '=', latest.room_id)
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
