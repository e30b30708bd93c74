import type { Kysely, Migration } from 'kysely';

/**
 * 0004: the platform API and webhooks. Messages gain `data` (system messages); a system message's
 * receiver is stored as '' (SQLite cannot drop NOT NULL without rebuilding the table) and read as null.
 * Rooms gain `contact_masking` (the platform's per-room choice; null: the server default).
 */
export const platformMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('messages').addColumn('data', 'text').execute();
    await db.schema.alterTable('rooms').addColumn('contact_masking', 'integer').execute();
    await db.schema.createIndex('messages_sender').on('messages').columns(['namespace', 'sender_id']).execute();

    await db.schema
      .createTable('webhook_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('namespace', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('order_key', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .addColumn('lease_until', 'text')
      .addColumn('first_attempt_at', 'text')
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
    await db.schema
      .createIndex('webhook_deliveries_order')
      .on('webhook_deliveries')
      .columns(['url', 'order_key', 'status', 'id'])
      .execute();

    await db.schema
      .createTable('unread_candidates')
      .addColumn('namespace', 'text', (c) => c.notNull())
      .addColumn('room_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('room_token', 'text', (c) => c.notNull())
      .addColumn('first_unread_id', 'text', (c) => c.notNull())
      .addColumn('due_at', 'text', (c) => c.notNull())
      .addColumn('notified', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('unread_candidates_pk', ['room_id', 'user_id'])
      .execute();
    await db.schema.createIndex('unread_candidates_due').on('unread_candidates').columns(['notified', 'due_at']).execute();

    await db.schema
      .createTable('bans')
      .addColumn('namespace', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('until', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('bans_pk', ['namespace', 'user_id'])
      .execute();
  },
};
