import { sql, type Kysely } from 'kysely';
import type { PlatformMessage } from '../protocol/platform-view.js';
import { messageColumns, messageRowInRoom } from './kysely-messages.js';
import { toPlatformMessage } from './rows.js';
import type { Database, MessagesTable } from './schema.js';
import { noWriteHooks, type OutboxEvent, type WriteHooks } from './write-hooks.js';
import { WebhookEventType } from '../protocol/index.js';

export interface EditChange {
  text: string;
  masked: boolean;
  /** The text as sent, when masked. */
  original: string | null;
  editedAt: string;
}

/** Edits, tombstones and reactions on stored messages (§13). Every read is the platform's view. */
export interface LifecycleRepository {
  find(roomId: string, messageId: string): Promise<PlatformMessage | undefined>;
  /** Undefined when the message is (by now) deleted. */
  edit(messageId: string, change: EditChange): Promise<PlatformMessage | undefined>;
  /** Makes the message a tombstone; `changed` is false when it already was one. */
  tombstone(messageId: string, deletedAt: string): Promise<{ message: PlatformMessage; changed: boolean }>;
  /** Adds (on) or removes a user's emoji; `changed` is false when nothing changed or the message is deleted. */
  react(messageId: string, emoji: string, userId: string, on: boolean, at: string): Promise<{ message: PlatformMessage; changed: boolean }>;
  /** The texts as sent of masked messages, by id. */
  originals(messageIds: readonly string[]): Promise<Map<string, string>>;
  /** Up to `limit` messages of the room up to `uptoId` (inclusive; the latest when undefined), oldest first. */
  snapshot(roomId: string, uptoId: string | undefined, limit: number): Promise<PlatformMessage[]>;
}

// SQLite has no row locks; the aggregate is rebuilt in one statement there, which SQLite runs atomically.
const SQLITE_REACTIONS = sql<string | null>`nullif((select json_group_object(emoji, json(users)) from (
  select emoji, json_group_array(user_id order by created_at, user_id) as users, min(created_at) as first
  from reactions where message_id = messages.id group by emoji order by first, emoji) as grouped), '{}')`;
const POSTGRES_REACTIONS = sql<string | null>`(select json_object_agg(emoji, users order by first, emoji)::text from (
  select emoji, json_agg(user_id order by created_at, user_id) as users, min(created_at) as first
  from reactions where message_id = messages.id group by emoji) as grouped)`;

/** The cached `reactions` JSON of the message being updated, rebuilt from the reactions table. */
export function reactionsAggregate(kind: 'sqlite' | 'postgres') {
  return kind === 'sqlite' ? SQLITE_REACTIONS : POSTGRES_REACTIONS;
}

/**
 * Erasure (§10): every reaction the user gave in the namespace goes, in the caller's transaction, and the
 * cached aggregates of the messages concerned are rebuilt. Returns those messages as they are now.
 */
export async function withdrawReactions(
  trx: Kysely<Database>,
  kind: 'sqlite' | 'postgres',
  namespace: string,
  userId: string,
): Promise<MessagesTable[]> {
  let reacted = trx
    .selectFrom('messages')
    .select('id')
    .where('namespace', '=', namespace)
    .where('id', 'in', trx.selectFrom('reactions').select('message_id').where('user_id', '=', userId))
    .orderBy('id');
  // PostgreSQL: locked (in id order) like `react` locks them, so a concurrent reaction rebuilds after this.
  if (kind === 'postgres') reacted = reacted.forUpdate();
  const ids = (await reacted.execute()).map((r) => r.id);
  const rows: MessagesTable[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await trx.deleteFrom('reactions').where('user_id', '=', userId).where('message_id', 'in', chunk).execute();
    const updated = trx.updateTable('messages').set({ reactions: reactionsAggregate(kind) }).where('id', 'in', chunk);
    rows.push(...(await updated.returning(messageColumns).execute()));
  }
  return rows;
}

export class KyselyLifecycle implements LifecycleRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: 'sqlite' | 'postgres',
    /** The webhook outbox: `message.updated` is recorded in the transaction of the change. */
    private readonly hooks: WriteHooks = noWriteHooks,
  ) {}

  private updated(trx: Kysely<Database>, row: MessagesTable): Promise<void> {
    const message = toPlatformMessage(row);
    const event: OutboxEvent = {
      type: WebhookEventType.MessageUpdated,
      namespace: row.namespace,
      orderKey: `room:${row.room_token}`,
      data: { namespace: row.namespace, message },
    };
    return this.hooks.record(trx, [event]);
  }

  async find(roomId: string, messageId: string): Promise<PlatformMessage | undefined> {
    const row = await messageRowInRoom(this.db, roomId, messageId);
    return row && toPlatformMessage(row);
  }

  private async byId(messageId: string): Promise<PlatformMessage> {
    const row = await this.db.selectFrom('messages').select(messageColumns).where('id', '=', messageId).executeTakeFirstOrThrow();
    return toPlatformMessage(row);
  }

  async edit(messageId: string, change: EditChange): Promise<PlatformMessage | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('messages')
        .set({ body: change.text, edited_at: change.editedAt, masked: change.masked ? 1 : null, original: change.original })
        .where('id', '=', messageId)
        .where('deleted_at', 'is', null)
        .returning(messageColumns)
        .executeTakeFirst();
      if (row) await this.updated(trx, row);
      return row && toPlatformMessage(row);
    });
  }

  async tombstone(messageId: string, deletedAt: string) {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('messages')
        .set({ body: '', attachment: null, deleted_at: deletedAt, masked: null, original: null, reactions: null })
        .where('id', '=', messageId)
        .where('deleted_at', 'is', null)
        .returning(messageColumns)
        .executeTakeFirst();
      // In the same transaction: a reaction racing with the delete finds it deleted and changes nothing.
      await trx.deleteFrom('reactions').where('message_id', '=', messageId).execute();
      if (row) await this.updated(trx, row);
      const current = row ?? (await trx.selectFrom('messages').select(messageColumns).where('id', '=', messageId).executeTakeFirstOrThrow());
      return { message: toPlatformMessage(current), changed: row !== undefined };
    });
  }

  async react(messageId: string, emoji: string, userId: string, on: boolean, at: string) {
    return this.db.transaction().execute(async (trx) => {
      // PostgreSQL: the message row is locked so that concurrent reactions rebuild the aggregate in turn
      // (SQLite runs one write transaction at a time).
      if (this.kind === 'postgres') await trx.selectFrom('messages').select('id').where('id', '=', messageId).forUpdate().execute();
      return this.reactWith(trx, messageId, emoji, userId, on, at);
    });
  }

  private async reactWith(db: Kysely<Database>, messageId: string, emoji: string, userId: string, on: boolean, at: string) {
    const live = await db.selectFrom('messages').select('id').where('id', '=', messageId).where('deleted_at', 'is', null).executeTakeFirst();
    let changed = false;
    if (live && on) {
      const result = await db
        .insertInto('reactions')
        .values({ message_id: messageId, emoji, user_id: userId, created_at: at })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      changed = Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    } else if (live) {
      const result = await db
        .deleteFrom('reactions')
        .where('message_id', '=', messageId)
        .where('emoji', '=', emoji)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      changed = Number(result.numDeletedRows) > 0;
    }
    if (changed) await db.updateTable('messages').set({ reactions: reactionsAggregate(this.kind) }).where('id', '=', messageId).execute();
    const row = await db.selectFrom('messages').select(messageColumns).where('id', '=', messageId).executeTakeFirstOrThrow();
    if (changed) await this.updated(db, row);
    return { message: toPlatformMessage(row), changed };
  }

  async originals(messageIds: readonly string[]): Promise<Map<string, string>> {
    if (messageIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('messages').select(['id', 'original']).where('id', 'in', messageIds).execute();
    return new Map(rows.flatMap((r) => (r.original ? [[r.id, r.original] as [string, string]] : [])));
  }

  async snapshot(roomId: string, uptoId: string | undefined, limit: number): Promise<PlatformMessage[]> {
    let query = this.db.selectFrom('messages').select(messageColumns).where('room_id', '=', roomId);
    if (uptoId !== undefined) query = query.where('id', '<=', uptoId);
    const rows = await query.orderBy('id', 'desc').limit(limit).execute();
    return rows.reverse().map(toPlatformMessage);
  }
}
