import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Message } from '../protocol/index.js';
import type { StoredMessage } from './chat-store.js';
import { KyselyMessages, roomTouches } from './kysely-messages.js';
import { orderAbove } from './ordered-ids.js';
import type { NonBlockingWriter } from './sqlite-lock.js';
import { fromMessage, insertValues, MESSAGE_INSERT_COLUMNS, toMessage } from './rows.js';
import type { Database, MessagesTable } from './schema.js';
import { noWriteHooks, type WriteHooks } from './write-hooks.js';

const INSERTED = MESSAGE_INSERT_COLUMNS.join(', ');
/** Every column of a message row, as history and the webhook feed read it. */
export const SELECTED = `${INSERTED}, edited_at, deleted_at, reactions`;

/**
 * The message hot path on SQLite, on prepared statements of better-sqlite3 directly: a batch is one
 * synchronous transaction, so Kysely's per-query building and its connection lock stay off the path
 * every message takes. Everything else is inherited from the Kysely repository.
 */
interface Statements {
  maxId: SQLite.Statement<unknown[], { id: string | null }>;
  insertOne: SQLite.Statement;
  touchRoom: SQLite.Statement;
  byClientMsgId: SQLite.Statement<unknown[], MessagesTable>;
  writeBatch: SQLite.Transaction<(messages: StoredMessage[]) => Message[]>;
}

export class SqliteMessages extends KyselyMessages {
  private prepared: Statements | undefined;

  constructor(
    db: Kysely<Database>,
    private readonly database: SQLite.Database,
    private readonly writer: NonBlockingWriter,
    hooks: WriteHooks = noWriteHooks,
  ) {
    super(db, hooks);
  }

  /** Prepared on first use: the tables exist only once migrations have run. */
  private get statements(): Statements {
    this.prepared ??= {
      insertOne: this.database.prepare(
        `insert into messages (${INSERTED}) values (${MESSAGE_INSERT_COLUMNS.map(() => '?').join(', ')})
         on conflict (namespace, sender_id, client_msg_id) do nothing`,
      ),
      // Writers on SQLite are serialised by the database lock, so the floor for new ids is simply the
      // greatest stored id (an index lookup): ids commit in order, even across processes or clock steps.
      maxId: this.database.prepare('select max(id) as id from messages'),
      // last_message_id and activity only move forward.
      touchRoom: this.database.prepare(
        `update rooms set activity = max(activity, @dt),
           last_message_id = case when last_message_id is null or last_message_id < @id then @id else last_message_id end,
           message_count = message_count + @count
         where id = @room`,
      ),
      byClientMsgId: this.database.prepare(
        `select ${SELECTED} from messages where namespace = ? and sender_id = ? and client_msg_id = ?`,
      ),
      writeBatch: this.database.transaction((messages: StoredMessage[]) => this.write(messages)),
    };
    return this.prepared;
  }

  override async insertBatch(messages: StoredMessage[]): Promise<Message[]> {
    if (messages.length === 0) return [];
    // IMMEDIATE: the write lock is taken before the floor is read.
    return this.writer.run(() => this.statements.writeBatch.immediate(messages));
  }

  override async findByClientMsgId(namespace: string, senderId: string, clientMsgId: string) {
    const row = this.statements.byClientMsgId.get(namespace, senderId, clientMsgId);
    return row && toMessage(row);
  }

  /** Same steps as the PostgreSQL write (see KyselyMessages.insertBatch), on prepared statements. */
  private write(messages: StoredMessage[]): Message[] {
    const { maxId, insertOne, touchRoom, byClientMsgId } = this.statements;
    orderAbove(messages, maxId.get()?.id ?? '');
    const inserted = new Set<StoredMessage>();
    const result = messages.map((m): Message => {
      const row = fromMessage(m.namespace, m);
      const { changes } = insertOne.run(insertValues(row));
      if (changes === 0) return toMessage(byClientMsgId.get(m.namespace, m.senderId, m.clientMsgId)!);
      inserted.add(m);
      const { namespace: _ns, original: _original, ...message } = m;
      return message;
    });
    for (const t of roomTouches(messages, (m) => inserted.has(m))) touchRoom.run({ dt: t.dt, id: t.lastId, count: t.count, room: t.roomId });
    // Rows that must commit or roll back together with these messages (the webhook outbox) are written here.
    this.hooks.messagesStoredSync(this.database, messages.filter((m) => inserted.has(m)));
    return result;
  }
}
