import type { Kysely } from 'kysely';
import { WebhookEventType, type Message, type Room } from '../protocol/index.js';
import { roomEvent } from './kysely-rooms.js';
import { KyselyDeliveries } from './kysely-deliveries.js';
import { eraseUser, type Erased } from './kysely-erasure.js';
import { KyselyUnread } from './kysely-unread.js';
import type { Ban, DeliveryRepository, MemberState, PlatformRepository, UnreadRepository } from './platform-repository.js';
import { messageColumns } from './kysely-messages.js';
import { toMessage, toRoom } from './rows.js';
import type { Database } from './schema.js';
import type { WriteHooks } from './write-hooks.js';

/** The platform API's reads and writes (SQLite and PostgreSQL alike). */
export class KyselyPlatform implements PlatformRepository {
  readonly deliveries: DeliveryRepository;
  readonly unread: UnreadRepository;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly hooks: WriteHooks,
    private readonly kind: 'sqlite' | 'postgres',
    deliveries?: DeliveryRepository,
  ) {
    this.deliveries = deliveries ?? new KyselyDeliveries(db, kind);
    this.unread = new KyselyUnread(db, hooks, kind);
  }

  async setStatus(namespace: string, roomToken: string, status: 'active' | 'closed') {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('rooms')
        .set({ status })
        .where('namespace', '=', namespace)
        .where('room_token', '=', roomToken)
        .where('status', '<>', status)
        .returningAll()
        .executeTakeFirst();
      if (row) {
        const type = status === 'active' ? WebhookEventType.RoomAccepted : WebhookEventType.RoomClosed;
        await this.hooks.record(trx, [roomEvent(type, namespace, toRoom(row))]);
        return { room: toRoom(row), changed: true };
      }
      const same = await trx
        .selectFrom('rooms')
        .selectAll()
        .where('namespace', '=', namespace)
        .where('room_token', '=', roomToken)
        .executeTakeFirst();
      return same && { room: toRoom(same), changed: false };
    });
  }

  async setContactMasking(roomId: string, on: boolean | null): Promise<void> {
    // 1/0: SQLite cannot bind booleans, and PostgreSQL reads '1'/'0' as boolean.
    await this.db
      .updateTable('rooms')
      .set({ contact_masking: on === null ? null : on ? 1 : 0 })
      .where('id', '=', roomId)
      .execute();
  }

  async members(room: Room): Promise<MemberState[]> {
    const reads = await this.db.selectFrom('room_reads').select(['user_id', 'last_read_id']).where('room_id', '=', room._id).execute();
    const marks = new Map(reads.map((r) => [r.user_id, r.last_read_id]));
    return Promise.all(
      [room.customerID, room.vendorID].map(async (userId) => {
        const lastReadId = marks.get(userId) ?? null;
        const row = await this.db
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('room_id', '=', room._id)
          .where('sender_id', '<>', userId)
          .where('id', '>', lastReadId ?? '')
          .executeTakeFirstOrThrow();
        return { userId, lastReadId, unread: Number(row.n) };
      }),
    );
  }

  async roomsOf(namespace: string, userId: string): Promise<Room[]> {
    const rows = await this.db
      .selectFrom('rooms')
      .selectAll()
      .where('namespace', '=', namespace)
      .where((eb) => eb.or([eb('customer_id', '=', userId), eb('vendor_id', '=', userId)]))
      .orderBy('id')
      .execute();
    return rows.map(toRoom);
  }

  async sentBy(namespace: string, userId: string): Promise<Message[]> {
    const rows = await this.db
      .selectFrom('messages')
      .select(messageColumns)
      .where('namespace', '=', namespace)
      .where('sender_id', '=', userId)
      .orderBy('id')
      .execute();
    return rows.map(toMessage);
  }

  async setBan(ban: Ban, now: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = { namespace: ban.namespace, user_id: ban.userId, reason: ban.reason, until: ban.until, created_at: now };
      await trx
        .insertInto('bans')
        .values(row)
        .onConflict((oc) => oc.columns(['namespace', 'user_id']).doUpdateSet({ reason: ban.reason, until: ban.until, created_at: now }))
        .execute();
      const data = { namespace: ban.namespace, userId: ban.userId, reason: ban.reason, until: ban.until };
      await this.hooks.record(trx, [{ type: WebhookEventType.UserBanned, namespace: ban.namespace, orderKey: `user:${ban.userId}`, data }]);
    });
  }

  async liftBan(namespace: string, userId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('bans').where('namespace', '=', namespace).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async activeBan(namespace: string, userId: string, now: string): Promise<Ban | undefined> {
    const row = await this.db
      .selectFrom('bans')
      .selectAll()
      .where('namespace', '=', namespace)
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', now)]))
      .executeTakeFirst();
    return row && { namespace: row.namespace, userId: row.user_id, reason: row.reason, until: row.until };
  }

  async erase(namespace: string, userId: string, now: string): Promise<Erased> {
    return this.db.transaction().execute((trx) => eraseUser(trx, this.kind, this.hooks, namespace, userId, now));
  }
}
