import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';
import { createApp, type AppOptions, type ParleyApp } from '../../src/app.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { TestClient } from './client.js';
import { generousRateLimits } from './rate-limits.js';
import { createTempPgDatabase, databaseUrl, type TempDatabase } from './services.js';

export interface TestApp {
  app: ParleyApp;
  url: string;
  port: number;
  dbPath: string;
  /** The app's storage URL, for tests that inspect what was stored (e.g. what only the platform may see). */
  databaseUrl: string;
  /** Connects (trusted mode) as `userId` and waits for the connection. */
  connect(userId: string, namespace?: string, key?: 'customerID' | 'vendorID' | 'userId'): Promise<TestClient>;
  open(namespace: string, opts: { query?: Record<string, string>; auth?: Record<string, unknown> }): TestClient;
  close(): Promise<void>;
}


export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-test-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `PARLEY_TEST_DATABASE=postgres`: the test apps store in PostgreSQL (TEST_DATABASE_URL) instead of SQLite. */
const onPostgres = process.env.PARLEY_TEST_DATABASE === 'postgres';
/** dbPath → the temp PostgreSQL database standing for it, so reopening the same path reopens the same data. */
const pgDatabases = new Map<string, Promise<TempDatabase>>();

async function storageUrl(dbPath: string): Promise<string> {
  if (!onPostgres) return `sqlite:${dbPath}`;
  let database = pgDatabases.get(dbPath);
  if (!database) {
    const adminUrl = databaseUrl();
    if (!adminUrl) throw new Error('PARLEY_TEST_DATABASE=postgres needs TEST_DATABASE_URL');
    const created = (database = createTempPgDatabase(adminUrl));
    pgDatabases.set(dbPath, created);
    // Registered before the app's own close: finish hooks run last-in first-out, so this drop runs after it.
    onTestFinished(async () => {
      pgDatabases.delete(dbPath);
      await (await created).drop();
    });
  }
  return (await database).url;
}

/**
 * A real app on 127.0.0.1 port 0 with a fresh SQLite file (or, with PARLEY_TEST_DATABASE=postgres, a fresh
 * PostgreSQL database; unless databaseUrl is given), closed with its clients when the test finishes.
 * Rate limits are generous unless the test sets them.
 */
export async function createTestApp(
  overrides: Partial<ConfigInput> = {},
  options: Omit<AppOptions, 'config' | 'overrides'> & { dbPath?: string } = {},
): Promise<TestApp> {
  const dbPath = options.dbPath ?? join(tempDir(), 'parley.db');
  const databaseUrl = overrides.databaseUrl ?? (await storageUrl(dbPath));
  const app = await createApp({
    env: {},
    ...options,
    overrides: {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      databaseUrl,
      uploadDir: join(dirname(dbPath), 'uploads'),
      rateLimits: generousRateLimits(),
      ...overrides,
    },
  });
  const { port, url } = await app.start();
  const clients: TestClient[] = [];
  let closed = false;
  const testApp: TestApp = {
    app,
    url,
    port,
    dbPath,
    databaseUrl,
    open(namespace, opts) {
      const client = TestClient.open(url, namespace, opts);
      clients.push(client);
      return client;
    },
    connect(userId, namespace = 'customer', key = 'userId') {
      return testApp.open(namespace, { query: { [key]: userId } }).connected();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const c of clients) c.close();
      await app.close();
    },
  };
  onTestFinished(() => testApp.close());
  return testApp;
}

/** customer `c` opens a room with vendor `v` and `v` accepts it; returns the active room. */
export async function activeRoom(customer: TestClient, vendor: TestClient, c: string, v: string, roomToken: string) {
  const joined = await customer.request('join-room', { customerID: c, vendorID: v, roomToken });
  if (!joined.success) throw new Error(`join-room failed: ${JSON.stringify(joined)}`);
  const accepted = await vendor.request('accept-room', { customerID: c, vendorID: v, roomToken });
  if (!accepted.success) throw new Error(`accept-room failed: ${JSON.stringify(accepted)}`);
  return accepted.data.room;
}

/** An app with a customer and a vendor connected and their room accepted (c1, v1, `tok` by default). */
export async function chat(customer = 'c1', vendor = 'v1', roomToken = 'tok') {
  const t = await createTestApp();
  const c = await t.connect(customer);
  const v = await t.connect(vendor);
  const room = await activeRoom(c, v, customer, vendor, roomToken);
  return { t, c, v, room };
}
