import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { KyselySendPolicy, type SendPolicy } from './kysely-moderation.js';
import type { Database } from './schema.js';

type PolicyRow = { contact_masking: number | null; blocked: number | null };

/** Policies remembered at most; the oldest are forgotten first. */
const CACHE_SIZE = 50_000;

/** What the lookup answered for an unknown room (the room rules have refused it before this matters). */
const NO_ROOM: SendPolicy = Object.freeze({ contactMasking: null, blocked: false });

/** Called by this connection's triggers whenever a block or a room's masking changes. */
const CHANGED_FUNCTION = 'parley_send_policy_changed';

/**
 * The send policy on SQLite as one prepared statement: it is read for every `message` and `typing`, and
 * Kysely's query building cost more than the lookup itself (7 % of the server's CPU under load).
 *
 * With `remember`, policies are also kept in memory: the lookup was still a fifteenth of the message path's
 * CPU. They are forgotten whenever this connection changes `blocks` or a room's `contact_masking`, whatever
 * the code path (a block, the platform's masking setting, an erasure): TEMP triggers on this connection call
 * back into this process. Changes by other connections are not seen, so only the one process that serves
 * the chat on a SQLite file (no Redis) remembers.
 */
export class SqliteSendPolicy extends KyselySendPolicy {
  private statement: SQLite.Statement<unknown[], PolicyRow> | undefined;
  private readonly remembered = new Map<string, SendPolicy>();
  /** The triggers are in place (see `open`): only then is anything remembered. */
  private watching = false;

  constructor(
    db: Kysely<Database>,
    private readonly database: SQLite.Database,
    private readonly remember = false,
  ) {
    super(db);
  }

  override async policy(namespace: string, roomId: string, receiverId: string, senderId: string): Promise<SendPolicy> {
    if (!this.watching) return this.lookup(namespace, roomId, receiverId, senderId) ?? NO_ROOM;
    const key = `${namespace}\u0000${roomId}\u0000${receiverId}\u0000${senderId}`;
    const known = this.remembered.get(key);
    if (known) return known;
    const policy = this.lookup(namespace, roomId, receiverId, senderId);
    if (!policy) return NO_ROOM;
    if (this.remembered.size >= CACHE_SIZE) this.remembered.delete(this.remembered.keys().next().value!);
    this.remembered.set(key, policy);
    return policy;
  }

  /** Undefined when there is no such room. */
  private lookup(namespace: string, roomId: string, receiverId: string, senderId: string): SendPolicy | undefined {
    const row = this.prepared().get(namespace, receiverId, senderId, roomId);
    return row && { contactMasking: row.contact_masking == null ? null : Boolean(row.contact_masking), blocked: row.blocked != null };
  }

  /**
   * After migrations, before any traffic: the triggers are created outside any transaction (created inside one
   * that rolled back, they would be gone while the remembered policies stayed).
   */
  open(): void {
    if (this.remember) this.watchChanges();
  }

  /** Prepared on first use: the tables exist only once migrations have run. */
  private prepared(): SQLite.Statement<unknown[], PolicyRow> {
    if (this.statement) return this.statement;
    this.statement = this.database.prepare(
      `select r.contact_masking,
         (select 1 from blocks b where b.namespace = ? and b.blocker_id = ? and b.blocked_id = ?) as blocked
       from rooms r where r.id = ?`,
    );
    return this.statement;
  }

  private watchChanges(): void {
    this.database.function(CHANGED_FUNCTION, { deterministic: false, varargs: false }, () => {
      this.remembered.clear();
      return null;
    });
    const call = `begin select ${CHANGED_FUNCTION}(); end`;
    this.database.exec(`
      create temp trigger if not exists parley_blocks_inserted after insert on main.blocks ${call};
      create temp trigger if not exists parley_blocks_deleted after delete on main.blocks ${call};
      create temp trigger if not exists parley_blocks_updated after update on main.blocks ${call};
      create temp trigger if not exists parley_rooms_masking after update of contact_masking on main.rooms ${call};
    `);
    this.watching = true;
  }
}
