import { describe, expect, it } from 'vitest';
import { createTestApp } from './support/test-app.js';

describe('connecting (SPEC §2)', () => {
  it('accepts customerID, vendorID or userId, the first present and non-empty in that order', async () => {
    const t = await createTestApp();
    const a = await t.open('customer', { query: { customerID: 'c1', vendorID: 'v1' } }).connected();
    const list = await a.waitForPrivate('list-room');
    expect(list).toEqual({ event: 'list-room', success: true, data: { rooms: [] } });
    const b = await t.open('customer', { query: { customerID: '', vendorID: 'v1' } }).connected();
    await b.waitForPrivate('list-online-user');
    // c1 and v1 share no room: a's list of online users stays empty.
    expect((await a.waitForPrivate('list-online-user')).data.users).toEqual([]);
  });

  it('sends list-room then list-online-user right after connecting', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    await c.waitForPrivate('list-online-user');
    const order = c.all('private').map((p) => p.event);
    expect(order.slice(0, 2)).toEqual(['list-room', 'list-online-user']);
  });

  it('refuses a missing or malformed id with a clear connect_error', async () => {
    const t = await createTestApp();
    const missing = await t.open('customer', { query: {} }).connectError();
    expect(missing.message).toMatch(/customerID, query\.vendorID or query\.userId/);
    expect(missing.data).toMatchObject({ code: 'invalid_payload' });
    const bad = await t.open('customer', { query: { customerID: 'has space' } }).connectError();
    expect(bad.message).toMatch(/customerID must be 1–128 characters/);
    const long = await t.open('customer', { query: { userId: 'x'.repeat(129) } }).connectError();
    expect(long.message).toMatch(/userId/);
  });

  it('refuses an unknown namespace', async () => {
    const t = await createTestApp();
    const err = await t.open('nope', { query: { userId: 'u1' } }).connectError();
    expect(err.message).toMatch(/namespace/i);
  });

  it('serves namespaces from config', async () => {
    const t = await createTestApp({ namespaces: ['shop'] });
    await expect(t.connect('u1', 'shop')).resolves.toBeDefined();
    const err = await t.open('customer', { query: { userId: 'u1' } }).connectError();
    expect(err.message).toMatch(/namespace/i);
  });

  it('answers /healthz and /readyz', async () => {
    const t = await createTestApp();
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ success: true });
  });
});
