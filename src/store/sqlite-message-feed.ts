import type SQLite from 'better-sqlite3';
import type { StoredMessage } from './chat-store.js';
import type { Collected } from './platform-repository.js';
import { toPlatformMessage } from './rows.js';
import type { MessagesTable } from './schema.js';
import type { NonBlockingWriter } from './sqlite-lock.js';
import { SELECTED } from './sqlite-messages.js';
import type { DerivedRows, WriteHooks } from './write-hooks.js';

interface Gap {
  from_id: string;
  to_id: string | null;
}

interface Statements {
  cursor: SQLite.Statement<unknown[], { last_id: string }>;
  gaps: SQLite.Statement<unknown[], Gap>;
  after: SQLite.Statement<unknown[], MessagesTable>;
  upTo: SQLite.Statement<unknown[], MessagesTable>;
  next: SQLite.Statement<unknown[], { id: string | null }>;
  maxId: SQLite.Statement<unknown[], { id: string | null }>;
  advance: SQLite.Statement;
  openGap: SQLite.Statement;
  closeGap: SQLite.Statement;
  dropGaps: SQLite.Statement;
  plan: SQLite.Transaction<(limit: number) => Plan | undefined>;
  apply: SQLite.Transaction<(plan: Plan, leaseUntil?: string) => Collected>;
  open: SQLite.Transaction<(enabled: boolean) => void>;
}

/** A slice to derive, read and built in a read snapshot, written if the feed has not moved since. */
interface Plan {
  /** The cursor and gaps it was read at. */
  cursor: string;
  gaps: string;
  /** Where the cursor goes once the slice is written. */
  last: string;
  count: number;
  derived: DerivedRows;
}

export interface MessageFeedOptions {
  /** None: this process derives nothing (the migrate command, tools). */
  hooks?: WriteHooks;
  /** The process that writes messages: it marks webhooks on or off for the database when it starts. */
  owner: boolean;
}

/**
 * SQLite's webhook rows for messages, derived after the fact: a message's own transaction writes nothing
 * for webhooks (each extra table and index it touched was another page in every commit, most of what the
 * outbox cost the chat), and the dispatcher, before it claims, turns the messages stored since its last look
 * into `message.created` events and unread candidates, in one transaction that also moves the cursor.
 *
 * Exact because message ids commit in order on SQLite (every write takes the file's lock and stores ids above
 * the greatest one): a message is either at most the cursor (derived) or above it (to derive), and a crash
 * loses nothing a commit acknowledged. Messages written while the chat node ran with webhooks off are gaps,
 * skipped; those written before it was turned off are still derived. The derived event carries the message
 * as it is when derived (an edit or deletion just before has its own `message.updated`, which sorts after it).
 */
export class SqliteMessageFeed {
  private prepared: Statements | undefined;

  constructor(
    private readonly database: SQLite.Database,
    private readonly writer: NonBlockingWriter,
    private readonly options: MessageFeedOptions,
  ) {}

  /** Prepared on first use: the tables exist only once migrations have run. */
  private get statements(): Statements {
    this.prepared ??= this.prepare();
    return this.prepared;
  }

  private prepare(): Statements {
    const db = this.database;
    const s: Omit<Statements, 'plan' | 'apply' | 'open'> = {
      cursor: db.prepare(`select last_id from webhook_feed where name = 'messages'`),
      gaps: db.prepare('select from_id, to_id from webhook_feed_gaps order by from_id'),
      after: db.prepare(`select ${SELECTED} from messages where id > ? order by id limit ?`),
      upTo: db.prepare(`select ${SELECTED} from messages where id > ? and id <= ? order by id limit ?`),
      next: db.prepare('select min(id) as id from messages where id > ?'),
      maxId: db.prepare(`select coalesce(max(id), '') as id from messages`),
      advance: db.prepare(`update webhook_feed set last_id = ? where name = 'messages'`),
      openGap: db.prepare('insert into webhook_feed_gaps (from_id, to_id) values (?, null) on conflict (from_id) do update set to_id = null'),
      closeGap: db.prepare('update webhook_feed_gaps set to_id = ? where to_id is null'),
      dropGaps: db.prepare('delete from webhook_feed_gaps where to_id is not null and to_id <= ?'),
    };
    return {
      ...s,
      plan: db.transaction((limit: number) => this.plan(s, limit)),
      apply: db.transaction((plan: Plan, leaseUntil?: string) => this.apply(s, plan, leaseUntil)),
      // Off = an open gap (the migration opens the first one): turning on closes it at the newest message.
      open: db.transaction((enabled: boolean) => {
        const off = s.gaps.all().some((g) => g.to_id === null);
        if (off === !enabled) return;
        const newest = s.maxId.get()!.id!;
        if (enabled) s.closeGap.run(newest);
        else s.openGap.run(newest);
      }),
    };
  }

  /**
   * Up to `limit` messages after the cursor, stopping at a gap's start and jumping over it, with their rows
   * built (payloads, unread candidates): all of it reads, done before the write lock is taken, which another
   * process's chat writes wait for.
   */
  private plan(s: Omit<Statements, 'plan' | 'apply' | 'open'>, limit: number): Plan | undefined {
    const cursor = s.cursor.get();
    if (!cursor || !this.options.hooks) return undefined;
    const gaps = s.gaps.all();
    const { after, upper } = position(cursor.last_id, gaps);
    if (after === undefined) return undefined;
    const rows = upper === undefined ? s.after.all(after, limit) : s.upTo.all(after, upper, limit);
    let last = rows.length > 0 ? rows[rows.length - 1]!.id : after;
    // Everything up to the gap is derived: stand at its start, so the next call jumps over it.
    if (upper !== undefined && rows.length < limit) last = upper;
    if (last === cursor.last_id) return undefined;
    const derived = this.options.hooks.deriveSync(this.database, rows.map(toStored));
    return { cursor: cursor.last_id, gaps: JSON.stringify(gaps), last, count: rows.length, derived };
  }

  /** Writes a plan's rows and moves the cursor; nothing if another process derived meanwhile (the cursor moved). */
  private apply(s: Omit<Statements, 'plan' | 'apply' | 'open'>, plan: Plan, leaseUntil?: string): Collected {
    if (s.cursor.get()?.last_id !== plan.cursor || JSON.stringify(s.gaps.all()) !== plan.gaps) return { derived: 0, claimed: [] };
    const claimed = this.options.hooks!.insertDerivedSync(this.database, plan.derived, leaseUntil);
    s.advance.run(plan.last);
    s.dropGaps.run(plan.last);
    return { derived: plan.count, claimed };
  }

  /**
   * At start, by the process that writes messages: webhooks turned off open a gap at the newest message;
   * turned on close it there (messages written meanwhile produce no events, as on PostgreSQL). The migration
   * opens the first gap, so a dispatcher process derives nothing until a chat node has turned webhooks on.
   */
  async open(): Promise<void> {
    if (!this.options.owner || !this.options.hooks) return;
    const enabled = this.options.hooks.enabled;
    await this.writer.run(() => this.statements.open.immediate(enabled));
  }

  /**
   * Derives the rows of up to `limit` messages stored since the last call (one transaction); with `leaseUntil`,
   * the deliveries free to go at once come back leased to the caller.
   */
  async collect(limit: number, leaseUntil?: string): Promise<Collected> {
    if (!this.options.hooks?.enabled) return { derived: 0, claimed: [] };
    const plan = await this.writer.run(() => this.statements.plan.deferred(limit));
    if (!plan) return { derived: 0, claimed: [] };
    return this.writer.run(() => this.statements.apply.immediate(plan, leaseUntil));
  }

  /**
   * The first message still to be derived, in the caller's read transaction (undefined: none). A claim takes
   * no delivery at or after it: an event of its room recorded later must not overtake its `message.created`.
   */
  firstUnderived(): string | undefined {
    const s = this.statements;
    const cursor = s.cursor.get();
    if (!cursor) return undefined;
    const gaps = s.gaps.all();
    let { after } = position(cursor.last_id, gaps);
    while (after !== undefined) {
      const next = s.next.get(after)?.id;
      if (!next) return undefined;
      const gap = gaps.find((g) => next > g.from_id && (g.to_id === null || next <= g.to_id));
      if (!gap) return next;
      after = gap.to_id ?? undefined;
    }
    return undefined;
  }
}

/**
 * Where deriving resumes after `lastId`: past any gap it stands in (undefined: in the open gap, nothing more
 * to derive), and the start of the next gap as an upper bound.
 */
function position(lastId: string, gaps: readonly Gap[]): { after?: string; upper?: string } {
  let after = lastId;
  for (const gap of gaps) {
    if (after < gap.from_id) return { after, upper: gap.from_id };
    if (gap.to_id === null) return {};
    if (after < gap.to_id) after = gap.to_id;
  }
  return { after };
}

function toStored(row: MessagesTable): StoredMessage {
  return { ...toPlatformMessage(row), namespace: row.namespace };
}
