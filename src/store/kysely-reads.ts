import type { Kysely } from 'kysely';
import type { LastSeenRepository, ReadRepository } from './chat-store.js';
import type { Database } from './schema.js';

export class KyselyReads implements ReadRepository {
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

export class KyselyLastSeen implements LastSeenRepository {
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
