import SQLite from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { activeRoom, createTestApp, type TestApp } from './support/test-app.js';

async function scrape(t: TestApp): Promise<string> {
  const res = await fetch(`${t.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
}

/** The value of one sample, e.g. sample(text, 'parley_events_total', { event: 'message' }); 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = match[2]?.split(',') ?? [];
    if (wanted.every((label) => have.includes(label)) && have.length === wanted.length) return Number(match[3]);
  }
  return 0;
}

describe('GET /metrics (SPEC §8, §9)', () => {
  it('serves Prometheus text with a # TYPE line for every Parley metric', async () => {
    const t = await createTestApp();
    const text = await scrape(t);
    for (const [name, type] of [
      ['parley_sockets', 'gauge'],
      ['parley_events_total', 'counter'],
      ['parley_messages_stored_total', 'counter'],
      ['parley_errors_total', 'counter'],
      ['parley_ack_seconds', 'histogram'],
      ['parley_store_seconds', 'histogram'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
    }
  });

  it('moves with traffic: sockets per namespace, events per name, stored messages, errors per code, latencies', async () => {
    const t = await createTestApp();
    const before = await scrape(t);
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    const artisan = await t.connect('a1', 'artisans');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    for (const message of ['one', 'two', 'three']) await c.request('message', { roomToken: 'tok', message });
    await c.request('typing', { roomToken: 'tok' });
    expect((await c.request('message', { roomToken: 'missing', message: 'x' })).error.code).toBe('not_found');
    expect((await artisan.request('typing', { roomToken: 'tok' })).error.code).toBe('not_found');
    expect((await c.request('message', { roomToken: 'tok', message: '' })).error.code).toBe('invalid_payload');

    const after = await scrape(t);
    expect(sample(after, 'parley_sockets', { namespace: 'customer' })).toBe(2);
    expect(sample(after, 'parley_sockets', { namespace: 'artisans' })).toBe(1);
    expect(sample(after, 'parley_events_total', { event: 'message' })).toBe(5);
    expect(sample(after, 'parley_events_total', { event: 'typing' })).toBe(2);
    expect(sample(after, 'parley_events_total', { event: 'join-room' })).toBe(1);
    expect(sample(after, 'parley_events_total', { event: 'accept-room' })).toBe(1);
    expect(sample(after, 'parley_messages_stored_total') - sample(before, 'parley_messages_stored_total')).toBe(3);
    expect(sample(after, 'parley_errors_total', { code: 'not_found' })).toBe(2);
    expect(sample(after, 'parley_errors_total', { code: 'invalid_payload' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'parley_ack_seconds_count', { event: 'message' })).toBe(5);
    expect(sample(after, 'parley_ack_seconds_bucket', { event: 'message', le: '+Inf' })).toBe(5);
    expect(sample(after, 'parley_ack_seconds_sum', { event: 'message' })).toBeGreaterThan(0);
    expect(sample(after, 'parley_store_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'parley_store_seconds_sum')).toBeGreaterThan(0);
  });

  it('counts a socket down when it disconnects', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    expect(sample(await scrape(t), 'parley_sockets', { namespace: 'customer' })).toBe(2);
    v.close();
    // The gauge drops before the server announces `offline`, so seeing the notice is enough to scrape.
    await c.waitForPrivate('offline', (p) => p.userId === 'v1');
    expect(sample(await scrape(t), 'parley_sockets', { namespace: 'customer' })).toBe(1);
  });

  it('counts failed connections and HTTP errors by code', async () => {
    const t = await createTestApp();
    const err = await t.open('customer', { query: {} }).connectError();
    expect(err.data).toMatchObject({ code: 'invalid_payload' });
    const res = await fetch(`${t.url}/v1/chat/?roomToken=none&namespace=customer`);
    expect(res.status).toBe(404);
    const text = await scrape(t);
    expect(sample(text, 'parley_errors_total', { code: 'invalid_payload' })).toBe(1);
    expect(sample(text, 'parley_errors_total', { code: 'not_found' })).toBe(1);
  });
  it('counts the broadcasts kept for connection state recovery, and lets them go after the window', async () => {
    const windowMs = 300;
    const t = await createTestApp({ recoveryWindowMs: windowMs });
    const [c, v] = await Promise.all([t.connect('cu'), t.connect('ve')]);
    await activeRoom(c, v, 'cu', 've', 'kept');
    const baseline = sample(await scrape(t), 'parley_recovery_packets', { namespace: 'customer' });
    for (let i = 0; i < 3; i++) await c.request('message', { roomToken: 'kept', message: `m${i}` });
    expect(sample(await scrape(t), 'parley_recovery_packets', { namespace: 'customer' })).toBe(baseline + 3);
    // Pruned every min(window, 10 s): poll the gauge with a deadline instead of sleeping a guess.
    const deadline = Date.now() + 10 * windowMs;
    let kept = Infinity;
    while (kept > 0 && Date.now() < deadline) {
      kept = sample(await scrape(t), 'parley_recovery_packets', { namespace: 'customer' });
      if (kept > 0) await new Promise((resolve) => setTimeout(resolve, windowMs / 3));
    }
    expect(kept).toBe(0);
  });

  it.skipIf(process.env.PARLEY_TEST_DATABASE === 'postgres')(
    "SQLite: a message write that found another connection's lock taken waits (without blocking the process) and is counted",
    async () => {
      const t = await createTestApp();
      const c = await t.connect('c1');
      const v = await t.connect('v1');
      await activeRoom(c, v, 'c1', 'v1', 'tok');
      // Another connection (a dispatcher process, say) holds the write lock while the message arrives.
      const other = new SQLite(t.dbPath);
      other.exec('BEGIN IMMEDIATE');
      let acked = false;
      const sending = c.request('message', { roomToken: 'tok', message: 'waits for the lock' }).finally(() => (acked = true));
      // Received (and so handed to the writer, which flushes at once); the process keeps serving meanwhile.
      await vi.waitFor(async () => expect(sample(await scrape(t), 'parley_events_total', { event: 'message' })).toBe(1));
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
      expect(acked).toBe(false);
      other.exec('COMMIT');
      other.close();
      expect((await sending).success).toBe(true);
      const text = await scrape(t);
      expect(sample(text, 'parley_store_lock_wait_seconds_count')).toBe(1);
      expect(sample(text, 'parley_store_lock_wait_seconds_sum')).toBeGreaterThan(0);
    },
  );
});
