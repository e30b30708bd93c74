import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { ChatStore } from './chat-store.js';
import { KyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

export interface StoreOptions {
  databaseUrl: string;
  sqliteSynchronous: 'NORMAL' | 'FULL';
}

/** Opens (and migrates) the store named by the URL: `sqlite:<path>`, `sqlite::memory:` or `postgres://…`. */
export async function openStore(options: StoreOptions): Promise<ChatStore> {
  const store = options.databaseUrl.startsWith('sqlite:') ? openSqlite(options) : openPostgres(options.databaseUrl);
  try {
    await migrateToLatest(store.db);
  } catch (err) {
    await store.store.close().catch(() => {});
    throw err;
  }
  return store.store;
}

function openSqlite({ databaseUrl, sqliteSynchronous }: StoreOptions) {
  const path = databaseUrl.slice('sqlite:'.length);
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const database = new SQLite(path);
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${sqliteSynchronous}`);
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return { db, store: new KyselyStore('sqlite', db) };
}

function openPostgres(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, store: new KyselyStore('postgres', db) };
}
