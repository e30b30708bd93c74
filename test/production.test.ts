import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from './support/client.js';
import { BUILD_TIMEOUT_MS, ensureBuilt, root, startBuilt } from './support/build.js';
import { tempDir } from './support/test-app.js';
import { SENDER_THREAD_NICE } from '../src/webhooks/threaded-sender.js';
import { niceByThread } from './support/thread-nice.js';
import { TEST_WEBHOOK_SECRET, WebhookReceiver } from './support/webhook-receiver.js';

const run = promisify(execFile);

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return jsFiles(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

/** A customer and a vendor in an accepted room of a built server, the customer having sent `message` (acked). */
async function sentInRoom(url: string, message: string): Promise<[TestClient, TestClient]> {
  const [c, v] = [TestClient.open(url, 'customer', { query: { userId: 'c1' } }), TestClient.open(url, 'customer', { query: { userId: 'v1' } })];
  await Promise.all([c.connected(), v.connected()]);
  expect((await c.request('join-room', { customerID: 'c1', vendorID: 'v1', roomToken: 'tok' })).success).toBe(true);
  expect((await v.request('accept-room', { roomToken: 'tok' })).success).toBe(true);
  expect((await c.request('message', { roomToken: 'tok', message })).success).toBe(true);
  return [c, v];
}

describe('production build (node dist/main.js)', () => {
  beforeAll(ensureBuilt, BUILD_TIMEOUT_MS);

  it('starts from dist/, prints "listening on", answers /healthz and serves the demo with its prebuilt SDK bundle', async () => {
    const server = await startBuilt({ DATABASE_URL: `sqlite:${join(tempDir(), 'parley.db')}` });
    console.log(`[production.test] node dist/main.js listening after ${Math.round(server.startupMs)} ms`);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(server.url)).headers.get('content-type')).toMatch(/text\/html/);
    const sdk = await fetch(`${server.url}/sdk/client/index.js`);
    expect(sdk.status).toBe(200);
    expect(sdk.headers.get('content-type')).toMatch(/javascript/);
    expect(await sdk.text()).toMatch(/createParleyClient/);
    expect(await server.stop()).toBe(0);
  });

  it('never loads a build tool at run time (no tsx, no esbuild, no TypeScript in dist/)', () => {
    const offenders = jsFiles(join(root, 'dist'))
      .filter((file) => !file.includes(`${join('dist', 'browser')}`))
      .filter((file) => /(?:from|import\()\s*['"](?:esbuild|tsx|typescript)(?:\/[^'"]*)?['"]/.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it(`delivers webhooks from its sender thread (the compiled module, nice ${SENDER_THREAD_NICE})`, async () => {
    const receiver = await WebhookReceiver.start();
    const server = await startBuilt({
      DATABASE_URL: `sqlite:${join(tempDir(), 'parley.db')}`,
      WEBHOOK_URLS: receiver.url,
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      WEBHOOK_POLL_MS: '50',
    });
    const [c, v] = await sentInRoom(server.url, 'to the backend');
    try {
      const hook = await receiver.waitFor('message.created', (d) => d.message.message === 'to the backend');
      expect(receiver.verify(hook)).toMatchObject({ type: 'message.created' });
      expect([...niceByThread(server.child.pid!).values()].filter((n) => n === SENDER_THREAD_NICE)).toHaveLength(1);
    } finally {
      c.close();
      v.close();
    }
    expect(await server.stop()).toBe(0);
  });

  it('migrates with `node dist/migrate.js` and backs SQLite up online with `node dist/backup.js <dest>`', async () => {
    const dir = tempDir();
    const env = { ...process.env, NODE_ENV: 'local', DATABASE_URL: `sqlite:${join(dir, 'parley.db')}`, LOG_LEVEL: 'warn' };
    const migrated = await run(process.execPath, ['dist/migrate.js'], { cwd: root, env });
    expect(migrated.stdout).toMatch(/sqlite schema is up to date/);
    const tables = new SQLite(join(dir, 'parley.db'), { readonly: true });
    expect(tables.prepare("select name from sqlite_master where type = 'table' and name = 'messages'").all()).toHaveLength(1);
    tables.close();

    // The backup runs while the server is up and has just written.
    const server = await startBuilt({ DATABASE_URL: env.DATABASE_URL });
    const [c, v] = await sentInRoom(server.url, 'kept in the backup');
    try {
      const dest = join(dir, 'backup.db');
      const backedUp = await run(process.execPath, ['dist/backup.js', dest], { cwd: root, env });
      expect(backedUp.stdout).toMatch(/backed up .* to .*backup\.db/);
      const copy = new SQLite(dest, { readonly: true });
      expect(copy.prepare('select body from messages').all()).toEqual([{ body: 'kept in the backup' }]);
      copy.close();
      // A backup never overwrites.
      await expect(run(process.execPath, ['dist/backup.js', dest], { cwd: root, env })).rejects.toMatchObject({
        stderr: expect.stringMatching(/exists/),
      });
    } finally {
      c.close();
      v.close();
    }
    expect(await server.stop()).toBe(0);
  });
});

describe('the SDK as a package', () => {
  beforeAll(ensureBuilt, BUILD_TIMEOUT_MS);

  it('is packed with its built entry and types, and resolves as parley/client', { timeout: 60_000 }, async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/client/index.js', 'dist/client/index.d.ts', 'dist/main.js', 'package.json']));
    expect(files.filter((f) => /^(src|test|bench)\//.test(f))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.peerDependencies['socket.io-client']).toBeDefined();

    const imported = await run(process.execPath, ['--input-type=module', '-e', "const m = await import('parley/client'); console.log(typeof m.createParleyClient, typeof m.ParleyError)"], { cwd: root });
    expect(imported.stdout.trim()).toBe('function function');
  });
});
