import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { startWalCheckpointer } from '../src/store/wal-checkpointer.js';
import { captureLogs } from './support/log-capture.js';
import { createTempPgDatabase, databaseUrl, explainSkip } from './support/services.js';
import { tempDir } from './support/test-app.js';

const pgUrl = databaseUrl();
if (!pgUrl) explainSkip('hardening-logging (PostgreSQL pool)', 'TEST_DATABASE_URL');

describe('background storage failures are logged (item 12)', () => {
  it('logs a WAL checkpoint that fails, once, instead of swallowing it', async () => {
    const logs = captureLogs();
    const path = join(tempDir(), 'not-a-database.db');
    writeFileSync(path, 'this file is not an SQLite database '.repeat(200));
    const checkpointer = startWalCheckpointer(path, { intervalMs: 20, log: logs.logger });
    onTestFinished(() => checkpointer.close());
    const line = await logs.waitFor((l) => l.msg === 'WAL checkpoint failed');
    expect(line).toMatchObject({ level: 40, path, mode: 'PASSIVE', error: expect.stringMatching(/not a database/) });
    await checkpointer.close();
    // Reported on the first failure, not on every attempt.
    expect(logs.lines.filter((l) => l.msg === 'WAL checkpoint failed').length).toBeLessThanOrEqual(2);
  });

  it('logs a checkpointer that cannot start at all', async () => {
    const logs = captureLogs();
    const checkpointer = startWalCheckpointer(join(tempDir(), 'missing', 'dir', 'x.db'), { log: logs.logger });
    const line = await logs.waitFor((l) => l.msg?.startsWith('WAL checkpointer stopped'));
    expect(line.level).toBe(50);
    await checkpointer.close();
  });

  it.skipIf(!pgUrl)('logs an idle PostgreSQL connection that dies, and keeps working', async () => {
    const logs = captureLogs();
    const database = await createTempPgDatabase(pgUrl!);
    onTestFinished(() => database.drop());
    const store = await openStore({ databaseUrl: database.url, sqliteSynchronous: 'NORMAL', log: logs.logger });
    onTestFinished(() => store.close());
    await store.ping();
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    try {
      const name = new URL(database.url).pathname.slice(1);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    } finally {
      await admin.end();
    }
    const line = await logs.waitFor((l) => l.msg?.startsWith('idle PostgreSQL connection failed'));
    expect(line.level).toBe(40);
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
