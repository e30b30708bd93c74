import type SQLite from 'better-sqlite3';
import type { StoredMessage } from './chat-store.js';
import { toPlatformMessage } from './rows.js';
import type { MessagesTable } from './schema.js';
import type { NonBlockingWriter } from './sqlite-lock.js';
import type { WriteHooks } from './write-hooks.js';

const SELECTED = `id, namespace, room_id, room_token, sender_id, receiver_id, body, message_type, client_msg_id, dt, data,
  attachment_id, attachment, reply_to, edited_at, deleted_at, masked, original, reactions`;

interface Statements {
  cursor: SQLite.Statement<unknown[], { last_id: string; active: number }>;
  after: SQLite.Statement<unknown[], MessagesTable & { namespace: string }>;
  advance: SQLite.Statement;
  restart: SQLite.Statement;
  collect: SQLite.Transaction<(limit: number) => number>;
}

/**
 * SQLite's webhook rows for messages, derived after the fact: a message's own transaction writes nothing
 * for webhooks (each extra table and index it touched was another page in every commit, most of what the
 * outbox cost the chat), and the dispatcher, before it claims, turns the messages stored since its last look
 * into `message.created` events and unread candidates, in one transaction that also moves the cursor.
 *
 * Exact because message ids commit in order on SQLite (every write takes the file's lock and stores ids above
 * the greatest one): a message is either at most the cursor (derived) or above it (to derive), and a crash
 * loses nothing a commit acknowledged. The derived event carries the message as it is when derived (an edit
 * or deletion just before has its own `message.updated`, which sorts after it).
 */
export class SqliteMessageFeed {
  private prepared: Statements | undefined;

  constructor(
    private readonly database: SQLite.Database,
    private readonly writer: NonBlockingWriter,
    /** None: this process records nothing and leaves the feed as it is (the migrate command, tools). */
    private readonly hooks: WriteHooks | undefined,
  ) {}

  /** Prepared on first use: the tables exist only once migrations have run. */
  private get statements(): Statements {
    this.prepared ??= this.prepare();
    return this.prepared;
  }

  private prepare(): Statements {
    const db = this.database;
    const statements: Omit<Statements, 'collect'> = {
      cursor: db.prepare(`select last_id, active from webhook_feed where name = 'messages'`),
      after: db.prepare(`select ${SELECTED} from messages where id > ? order by id limit ?`),
      advance: db.prepare(`update webhook_feed set last_id = ? where name = 'messages'`),
      restart: db.prepare(
        `update webhook_feed set last_id = (select coalesce(max(id), '') from messages), active = ? where name = 'messages'`,
      ),
    };
    return {
      ...statements,
      collect: db.transaction((limit: number) => {
        const cursor = statements.cursor.get();
        if (!cursor || cursor.active !== 1) return 0;
        const rows = statements.after.all(cursor.last_id, limit);
        if (rows.length === 0) return 0;
        this.hooks?.derivedSync(db, rows.map(toStored));
        statements.advance.run(rows[rows.length - 1]!.id);
        return rows.length;
      }),
    };
  }

  /**
   * At start: with webhooks on, carries on from where the last process stopped; turned on after being off,
   * starts at the newest message (messages sent while webhooks were off produce no events, as before).
   */
  async open(): Promise<void> {
    if (!this.hooks) return;
    const enabled = this.hooks.enabled;
    const cursor = this.statements.cursor.get();
    if (enabled && cursor?.active === 1) return;
    await this.writer.run(() => this.statements.restart.run(enabled ? 1 : 0));
  }

  /** Derives the rows of up to `limit` messages stored since the last call (one transaction); how many it derived. */
  async collect(limit: number): Promise<number> {
    if (!this.hooks?.enabled) return 0;
    return this.writer.run(() => this.statements.collect.immediate(limit));
  }
}

function toStored(row: MessagesTable & { namespace: string }): StoredMessage {
  return { ...toPlatformMessage(row), namespace: row.namespace };
}
