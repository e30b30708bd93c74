import { platformMigration } from './platform-migration.js';
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

// Migrations live in code so the one binary carries its schema; names sort in apply order.
const migrations: Record<string, Migration> = {
  '0001_init': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('rooms')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('room_token', 'text', (c) => c.notNull())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('customer_id', 'text', (c) => c.notNull())
        .addColumn('vendor_id', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('activity', 'text', (c) => c.notNull())
        .addColumn('last_message_id', 'text')
        .addUniqueConstraint('rooms_namespace_token', ['namespace', 'room_token'])
        .execute();
      await db.schema.createIndex('rooms_customer').on('rooms').columns(['namespace', 'customer_id']).execute();
      await db.schema.createIndex('rooms_vendor').on('rooms').columns(['namespace', 'vendor_id']).execute();

      await db.schema
        .createTable('messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('room_token', 'text', (c) => c.notNull())
        .addColumn('sender_id', 'text', (c) => c.notNull())
        .addColumn('receiver_id', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('message_type', 'text', (c) => c.notNull())
        .addColumn('client_msg_id', 'text')
        .addColumn('dt', 'text', (c) => c.notNull())
        // NULLs are distinct in unique indexes (SQLite and PostgreSQL), so only given ids are unique.
        .addUniqueConstraint('messages_client_msg_id', ['namespace', 'sender_id', 'client_msg_id'])
        .execute();
      await db.schema.createIndex('messages_room_id').on('messages').columns(['room_id', 'id']).execute();

      await db.schema
        .createTable('room_reads')
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('last_read_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('room_reads_pk', ['room_id', 'user_id'])
        .execute();

      await db.schema
        .createTable('user_seen')
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('last_seen', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_seen_pk', ['namespace', 'user_id'])
        .execute();
    },
  },
  '0002_room_message_count': {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('rooms')
        .addColumn('message_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await sql`update rooms set message_count = (select count(*) from messages where messages.room_id = rooms.id)`.execute(db);
    },
  },
  // Per user, the greatest message id of its rooms: a write locks its users' rows and gives its messages
  // greater ids, so ids commit in order per user (sync from the greatest id held never skips a message).
  // Used on PostgreSQL; SQLite serialises writers anyway and takes the greatest stored id as the floor.
  '0003_message_clocks': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('message_clocks')
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('last_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('message_clocks_pk', ['namespace', 'user_id'])
        .execute();
      await sql`insert into message_clocks (namespace, user_id, last_id)
        select namespace, user_id, max(id) from (
          select namespace, sender_id as user_id, id from messages
          union all select namespace, receiver_id as user_id, id from messages
        ) m group by namespace, user_id`.execute(db);
    },
  },
  '0004_platform': platformMigration,
  '0005_lifecycle': {
    async up(db: Kysely<any>) {
      // Message lifecycle (§13): replies, edits, tombstones, masking; reactions cached as JSON on the row.
      for (const [name, type] of [
        ['reply_to', 'text'],
        ['edited_at', 'text'],
        ['deleted_at', 'text'],
        ['masked', 'integer'],
        ['original', 'text'],
        ['reactions', 'text'],
      ] as const) {
        await db.schema.alterTable('messages').addColumn(name, type).execute();
      }
      // null: follow CONTACT_MASKING; set by the platform API per room. The platform's migration (0004) may
      // have added it already: it is added here only where it is missing.
      const rooms = (await db.introspection.getTables()).find((table) => table.name === 'rooms');
      if (!rooms?.columns.some((column) => column.name === 'contact_masking')) {
        await db.schema.alterTable('rooms').addColumn('contact_masking', 'integer').execute();
      }
      await db.schema
        .createTable('reactions')
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('emoji', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('reactions_pk', ['message_id', 'emoji', 'user_id'])
        .execute();
      await db.schema
        .createTable('blocks')
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('blocker_id', 'text', (c) => c.notNull())
        .addColumn('blocked_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('blocks_pk', ['namespace', 'blocker_id', 'blocked_id'])
        .execute();
      await db.schema.createIndex('blocks_blocked').on('blocks').columns(['namespace', 'blocked_id']).execute();
      await db.schema
        .createTable('reports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('room_token', 'text', (c) => c.notNull())
        .addColumn('reporter_id', 'text', (c) => c.notNull())
        .addColumn('reported_id', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('snapshot', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('resolved_at', 'text')
        .addColumn('action', 'text')
        .addColumn('note', 'text')
        .execute();
      await db.schema.createIndex('reports_status').on('reports').columns(['status', 'id']).execute();
    },
  },
  '0006_attachments': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('attachments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('namespace', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('mime', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('width', 'integer')
        .addColumn('height', 'integer')
        .addColumn('storage_key', 'text', (c) => c.notNull())
        .addColumn('thumbnail_key', 'text')
        .addColumn('thumbnail_size', 'integer')
        .addColumn('base_url', 'text', (c) => c.notNull())
        // 'pending' while the bytes stream in (invisible), 'ready' once stored.
        .addColumn('status', 'text', (c) => c.notNull())
        // Set when a message claims it (so no second message can), then the message's id.
        .addColumn('message_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('attachments_owner').on('attachments').columns(['namespace', 'owner_id']).execute();
      await db.schema.createIndex('attachments_message').on('attachments').column('message_id').execute();
      await db.schema.createIndex('attachments_created').on('attachments').column('created_at').execute();
      await db.schema.alterTable('messages').addColumn('attachment_id', 'text').execute();
      // The attachment as sent (JSON): history and sync read it without a join.
      await db.schema.alterTable('messages').addColumn('attachment', 'text').execute();
      await db.schema.createIndex('messages_attachment').on('messages').column('attachment_id').execute();
    },
  },
  '0007_pending_deliveries': {
    async up(db: Kysely<any>) {
      // Every index of the outbox is one more page written with each chat message's transaction. The
      // dispatcher only searches pending rows, and delivered ones (kept for days for the log) need none:
      // the backlog in id order (a dispatcher walks it from the oldest and stops early), each room's backlog,
      // and the few failed rows for the delivery log.
      await db.schema.dropIndex('webhook_deliveries_due').execute();
      await db.schema.dropIndex('webhook_deliveries_order').execute();
      const pending = sql.lit('pending');
      await db.schema.createIndex('webhook_deliveries_pending').on('webhook_deliveries').column('id').where(sql.ref('status'), '=', pending).execute();
      await db.schema
        .createIndex('webhook_deliveries_order')
        .on('webhook_deliveries')
        .columns(['url', 'order_key', 'id'])
        .where(sql.ref('status'), '=', pending)
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_failed')
        .on('webhook_deliveries')
        .column('id')
        .where(sql.ref('status'), '=', sql.lit('failed'))
        .execute();
    },
  },
  '0008_message_feed': {
    async up(db: Kysely<any>) {
      // SQLite: how far message.created events and unread candidates have been derived from the messages
      // table (ids commit in order there), so a message's own transaction writes no outbox row. Unused on
      // PostgreSQL, where ids of concurrent writers commit out of order and the outbox is written with them.
      await db.schema
        .createTable('webhook_feed')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('last_id', 'text', (c) => c.notNull())
        .execute();
      await db
        .insertInto('webhook_feed')
        .values({ name: 'messages', last_id: sql`(select coalesce(max(id), '') from messages)` })
        .execute();
      // Messages written while webhooks were off (ids in (from_id, to_id]; to_id null: still off): no events.
      await db.schema.createTable('webhook_feed_gaps').addColumn('from_id', 'text', (c) => c.primaryKey()).addColumn('to_id', 'text').execute();
      // Off until a chat node of this version starts with webhooks on (an older one still writes its outbox rows).
      await db
        .insertInto('webhook_feed_gaps')
        .values({ from_id: sql`(select coalesce(max(id), '') from messages)`, to_id: null })
        .execute();
    },
  },
  '0009_lean_message_indexes': {
    async up(db: Kysely<any>) {
      // Each index of messages is one more page written (and later checkpointed) with every chat write: a
      // one-message commit wrote 8.4 pages, now 6.1, and took ~20 % less CPU (commit and checkpoint).
      // (namespace, sender_id) is the prefix of messages_client_msg_id, whose index holds every row (null
      // client ids too), so erasure and export find a sender's messages there.
      await db.schema.dropIndex('messages_sender').execute();
      // Only messages that name an attachment are looked up by it; the rest no longer rewrite its null run.
      await db.schema.dropIndex('messages_attachment').execute();
      await db.schema
        .createIndex('messages_attachment')
        .on('messages')
        .column('attachment_id')
        .where(sql.ref('attachment_id'), 'is not', null)
        .execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema up to date. On PostgreSQL Kysely holds an advisory lock, so nodes may start together. */
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${String(error)}`, { cause: error });
  }
}
