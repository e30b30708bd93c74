// `npm run backup -- <dest>`: a consistent copy of the SQLite database with SQLite's online backup API, safe
// while the server runs and writes (a plain file copy of a WAL database is not). PostgreSQL: use pg_dump.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { ConfigError, loadConfig } from './config/load-config.js';

async function backup(dest: string | undefined): Promise<void> {
  if (!dest) throw new Error('usage: npm run backup -- <destination file>');
  const { databaseUrl } = loadConfig();
  if (!databaseUrl.startsWith('sqlite:')) throw new Error('DATABASE_URL is not SQLite: back PostgreSQL up with pg_dump (docs/deploy.md)');
  const source = databaseUrl.slice('sqlite:'.length);
  if (source === ':memory:') throw new Error('an in-memory database has nothing to back up');
  if (!existsSync(source)) throw new Error(`no database at ${resolve(source)}`);
  const target = resolve(dest);
  if (existsSync(target)) throw new Error(`${target} exists: name a new file (a backup never overwrites)`);
  const db = new SQLite(source, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    const started = performance.now();
    const { totalPages } = await db.backup(target);
    console.log(`parley: backed up ${resolve(source)} to ${target} (${totalPages} pages, ${Math.round(performance.now() - started)} ms)`);
  } finally {
    db.close();
  }
}

backup(process.argv[2]).catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `parley: backup failed: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
