import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import type { ChatStore } from './chat-store.js';
import { KyselyStore } from './kysely-store.js';
import { SqliteDeliveries } from './sqlite-deliveries.js';
import { BUSY_TIMEOUT_MS, NonBlockingWriter } from './sqlite-lock.js';
import { SqliteMessageFeed } from './sqlite-message-feed.js';
import { SqliteMessages } from './sqlite-messages.js';
import { PgSendPolicy } from './pg-send-policy.js';
import { SqliteSendPolicy } from './sqlite-send-policy.js';
import { migrateToLatest } from './migrations.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startWalCheckpointer } from './wal-checkpointer.js';
import type { Database } from './schema.js';
import type { WriteHooks } from './write-hooks.js';

export interface StoreOptions {
  databaseUrl: string;
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** Where background failures go (idle PostgreSQL clients, the WAL checkpointer); silent without. */
  log?: Logger;
  /** The webhook outbox and friends, written in the transactions of the changes they report. */
  hooks?: WriteHooks;
  /** SQLite: seconds a write of this process waited for another connection's lock. */
  onLockWait?: (seconds: number) => void;
  /**
   * SQLite: this process writes the messages (the chat node), so at start it marks webhooks on or off for the
   * database (see SqliteMessageFeed). Dispatcher processes and tools leave that alone.
   */
  messageWriter?: boolean;
  /**
   * SQLite: this is the only process serving the chat on the file (no other node), so what decides a send
   * (blocks, a room's masking) may be remembered between messages (see SqliteSendPolicy).
   */
  soleChatNode?: boolean;
}

const silent = pino({ level: 'silent' });

/** Opens (and migrates) the store named by the URL: `sqlite:<path>`, `sqlite::memory:` or `postgres://…`. */
export async function openStore(options: StoreOptions): Promise<ChatStore> {
  const log = options.log ?? silent;
  const store = options.databaseUrl.startsWith('sqlite:') ? openSqlite(options, log) : openPostgres(options.databaseUrl, log, options.hooks);
  try {
    await store.migrate();
  } catch (err) {
    await store.store.close().catch(() => {});
    throw err;
  }
  return store.store;
}

function openSqlite({ databaseUrl, sqliteSynchronous, hooks, onLockWait, messageWriter, soleChatNode }: StoreOptions, log: Logger) {
  const path = databaseUrl.slice('sqlite:'.length);
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const database = new SQLite(path);
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${sqliteSynchronous}`);
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // Pages read through a memory map, not read() calls: whenever another connection (a dispatcher process, the
  // checkpointer) has written, SQLite drops its page cache, and re-reading it was most of a write batch's time.
  database.pragma(`mmap_size = ${MMAP_BYTES}`);
  const checkpointer = path === ':memory:' ? undefined : startWalCheckpointer(path, { log });
  if (checkpointer) database.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  const writer = new NonBlockingWriter(database, onLockWait);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database, writer) }) });
  // Kysely takes no migration lock on SQLite: a write transaction serialises processes opening one file.
  const feed = new SqliteMessageFeed(database, writer, { hooks, owner: messageWriter === true });
  const sendPolicy = new SqliteSendPolicy(db, database, soleChatNode === true);
  const migrate = async () => {
    await writer.run(() => database.exec('BEGIN IMMEDIATE'), LOCK_WAIT_MS);
    try {
      await migrateToLatest(db);
      database.exec('COMMIT');
    } catch (err) {
      if (database.inTransaction) database.exec('ROLLBACK');
      throw err;
    }
    await feed.open();
    sendPolicy.open();
  };
  const closeCheckpointer = async () => checkpointer?.close();
  const fast = {
    messages: new SqliteMessages(db, database, writer, hooks),
    sendPolicy,
    deliveries: new SqliteDeliveries(db, database, writer, feed),
  };
  return { migrate, store: new KyselyStore('sqlite', db, fast, closeCheckpointer, hooks) };
}

const LOCK_WAIT_MS = 15_000;
const MMAP_BYTES = 128 * 1024 * 1024;

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew; preparing is a large share of a small query's cost in
 * better-sqlite3, and Parley's hot queries repeat, so keep the most recent statements (LRU). Kysely runs
 * what it prepares at once, with the busy timeout on (its writes wait for another connection's lock).
 */
export function withStatementCache(database: SQLite.Database, writer: NonBlockingWriter): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      writer.strict();
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql);
      } else {
        stmt = database.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}

function openPostgres(url: string, log: Logger, hooks?: WriteHooks) {
  // Without a connection timeout, an unreachable (not refusing) server makes every event wait for the OS's
  // TCP timeout (minutes); with it, they fail as `internal` and the node keeps answering.
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection (server restart) must not crash the process; the pool replaces
  // it, but the operator should see that it happened.
  pool.on('error', (err) => log.warn({ err }, 'idle PostgreSQL connection failed; the pool replaces it'));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // Kysely holds a PostgreSQL advisory lock while migrating, so nodes may start together.
  return { migrate: () => migrateToLatest(db), store: new KyselyStore('postgres', db, { sendPolicy: new PgSendPolicy(pool) }, undefined, hooks) };
}
