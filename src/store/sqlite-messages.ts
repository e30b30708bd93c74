import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Message } from '../protocol/index.js';
import type { StoredMessage } from './chat-store.js';
import { KyselyMessages } from './kysely-messages.js';
import { fromMessage, toMessage } from './rows.js';
import type { Database, MessagesTable } from './schema.js';

const COLUMNS = 'id, namespace, room_id, room_token, sender_id, receiver_id, body, message_type, client_msg_id, dt, attachment_id, attachment';

/**
 * The message hot path on SQLite, on prepared statements of better-sqlite3 directly: a batch is one
 * synchronous transaction, so Kysely's per-query building and its connection lock stay off the path
 * every message takes. Everything else is inherited from the Kysely repository.
 */
interface Statements {
  insertOne: SQLite.Statement;
  touchRoom: SQLite.Statement;
  byClientMsgId: SQLite.Statement<unknown[], MessagesTable>;
  writeBatch: (messages: StoredMessage[]) => Message[];
}

export class SqliteMessages extends KyselyMessages {
  private prepared: Statements | undefined;

  constructor(
    db: Kysely<Database>,
    private readonly database: SQLite.Database,
  ) {
    super(db);
  }

  /** Prepared on first use: the tables exist only once migrations have run. */
  private get statements(): Statements {
    this.prepared ??= {
      insertOne: this.database.prepare(
        `insert into messages (${COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         on conflict (namespace, sender_id, client_msg_id) do nothing`,
      ),
      touchRoom: this.database.prepare(
        'update rooms set activity = ?, last_message_id = ?, message_count = message_count + ? where id = ?',
      ),
      byClientMsgId: this.database.prepare(
        `select ${COLUMNS} from messages where namespace = ? and sender_id = ? and client_msg_id = ?`,
      ),
      writeBatch: this.database.transaction((messages: StoredMessage[]) => this.write(messages)),
    };
    return this.prepared;
  }

  override async insertBatch(messages: StoredMessage[]): Promise<Message[]> {
    return messages.length === 0 ? [] : this.statements.writeBatch(messages);
  }

  override async findByClientMsgId(namespace: string, senderId: string, clientMsgId: string) {
    const row = this.statements.byClientMsgId.get(namespace, senderId, clientMsgId);
    return row && toMessage(row);
  }

  private write(messages: StoredMessage[]): Message[] {
    const { insertOne, touchRoom, byClientMsgId } = this.statements;
    const perRoom = new Map<string, { latest: StoredMessage; count: number }>();
    const result = messages.map((m): Message => {
      const row = fromMessage(m.namespace, m);
      const { changes } = insertOne.run(
        row.id, row.namespace, row.room_id, row.room_token, row.sender_id,
        row.receiver_id, row.body, row.message_type, row.client_msg_id, row.dt,
        row.attachment_id ?? null, row.attachment ?? null,
      );
      if (changes === 0) return toMessage(byClientMsgId.get(m.namespace, m.senderId, m.clientMsgId)!);
      perRoom.set(m.room_id, { latest: m, count: (perRoom.get(m.room_id)?.count ?? 0) + 1 });
      const { namespace: _ns, ...message } = m;
      return message;
    });
    for (const { latest, count } of perRoom.values()) touchRoom.run(latest.dt, latest._id, count, latest.room_id);
    return result;
  }
}
