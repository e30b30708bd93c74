/**
 * External services for integration tests. `eval "$(bash scripts/ci-services.sh)"` starts Redis and
 * PostgreSQL on loopback and exports the two URLs below; without them the suites that need them skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
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
export function explainSkip(suite: string, variables: string | string[]): void {
  const names = typeof variables === 'string' ? [variables] : variables;
  console.warn(
    `[${suite}] skipped: ${names.join(' and ')} ${names.length > 1 ? 'are' : 'is'} not set. Start the services with ` +
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
 * role needs CREATEDB) and returns its URL; `drop()` removes it, ending the role's connections left open.
 */
export async function createTempPgDatabase(adminUrl: string): Promise<TempDatabase> {
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdmin(adminUrl, (client) => dropDatabase(client, name)),
  };
}

/**
 * Not `DROP DATABASE … WITH (FORCE)`: for a role that is not superuser it fails when an autovacuum worker is
 * in the database. Ending our own leftover connections and then a plain DROP works: it waits (up to 5 s,
 * retried) for autovacuum to leave.
 */
async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  await client.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()',
    [name],
  );
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name}"`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '55006' || attempt >= 4) throw err; // 55006: object_in_use
    }
  }
}

/** A fresh SQLite file in a temp directory; `drop()` deletes the directory (WAL files included). */
export function createTempSqliteDatabase(): TempDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  return {
    url: `sqlite:${join(dir, 'parley.db')}`,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Every key matching `pattern` (SCAN, so a shared Redis is not blocked). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** Deletes every key under `prefix`. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const keys = await scanKeys(redis, `${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  } finally {
    redis.disconnect();
  }
}

/** A free TCP port on loopback (the OS picks it; released before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether `redis-server` can be run here (the resilience test starts its own). */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface RedisServer {
  readonly url: string;
  /** Starts it (again) on the same port, empty; resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGKILL, as a crash would: everything it held is gone. */
  kill(): Promise<void>;
}

/** A private `redis-server` on a free loopback port, without persistence, owned by the caller. */
export async function createRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  return {
    url: `redis://127.0.0.1:${port}`,
    start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
      const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      exited = new Promise((resolve) => proc.once('exit', resolve));
      return new Promise((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${out}`)), 10_000);
        proc.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (!out.includes('Ready to accept connections')) return;
          clearTimeout(timer);
          resolve();
        });
        void exited.then(() => reject(new Error(`redis-server exited:\n${out}`)));
      });
    },
    async kill() {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
