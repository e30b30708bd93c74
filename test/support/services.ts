/**
 * External services for integration tests. `eval "$(bash scripts/ci-services.sh)"` starts Redis and
 * PostgreSQL on loopback and exports the two URLs below; without them the suites that need them skip.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

function env(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

/** `TEST_REDIS_URL`, e.g. `redis://127.0.0.1:6379`, or undefined when Redis tests should skip. */
export function redisUrl(): string | undefined {
  return env('TEST_REDIS_URL');
}

/** `TEST_DATABASE_URL`, e.g. `postgres://parley:parley@127.0.0.1:5432/parley` (a role with CREATEDB). */
export function databaseUrl(): string | undefined {
  return env('TEST_DATABASE_URL');
}

/** Prints once why a suite is skipped, so a green run that tested nothing is visible. */
export function explainSkip(suite: string, variable: string): void {
  console.warn(
    `[${suite}] skipped: ${variable} is not set. Start the services with ` +
      '`eval "$(bash scripts/ci-services.sh)"` to run it.',
  );
}

export interface TempDatabase {
  /** Connection URL of the new, empty database. */
  url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty PostgreSQL database `parley_test_<random>` next to the one `adminUrl` names (its
 * role needs CREATEDB) and returns its URL; `drop()` removes it, closing any connection left open.
 */
export async function createTempPgDatabase(adminUrl: string): Promise<TempDatabase> {
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}

/** A fresh SQLite file in a temp directory; `drop()` deletes the directory (WAL files included). */
export function createTempSqliteDatabase(): TempDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  return {
    url: `sqlite:${join(dir, 'parley.db')}`,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Deletes every key under `prefix` (SCAN, so a shared Redis is not blocked). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
