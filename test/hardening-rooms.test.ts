import Database from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ParleyClient } from '../src/client/index.js';
import type { TestClient } from './support/client.js';
import { createTempPgDatabase, databaseUrl } from './support/services.js';
import { activeRoom, createTestApp, tempDir, type TestApp } from './support/test-app.js';

const onPostgres = process.env.PARLEY_TEST_DATABASE === 'postgres';

function join_(client: TestClient, customerID: string, vendorID: string, roomToken: string) {
  return client.request('join-room', { customerID, vendorID, roomToken });
}

describe('a stranger cannot lock a user out (item 4)', () => {
  it('does not count requests others sent toward the user’s maxRoomsPerUser', async () => {
    const t = await createTestApp({ maxRoomsPerUser: 3 });
    const v = await t.connect('v1');
    for (let i = 0; i < 5; i++) {
      const stranger = await t.connect(`s${i}`);
      expect((await join_(stranger, `s${i}`, 'v1', `spam-${i}`)).success).toBe(true);
    }
    // v1's own rooms: 3 allowed, the 4th is over its limit.
    for (let i = 0; i < 3; i++) expect((await join_(v, `c${i}`, 'v1', `own-${i}`)).success).toBe(true);
    expect(await join_(v, 'c9', 'v1', 'own-9')).toMatchObject({ success: false, error: { code: 'rate_limited' } });
  });

  it('counts rooms the user accepted', async () => {
    const t = await createTestApp({ maxRoomsPerUser: 2 });
    const v = await t.connect('v1');
    for (let i = 0; i < 2; i++) await activeRoom(await t.connect(`c${i}`), v, `c${i}`, 'v1', `room-${i}`);
    expect(await join_(v, 'c9', 'v1', 'own')).toMatchObject({ success: false, error: { code: 'rate_limited' } });
  });

  it('refuses an accept that would take the user past maxRoomsPerUser; the request stays pending', async () => {
    const t = await createTestApp({ maxRoomsPerUser: 2 });
    const v = await t.connect('v1');
    for (let i = 0; i < 2; i++) await activeRoom(await t.connect(`c${i}`), v, `c${i}`, 'v1', `room-${i}`);
    const c = await t.connect('c2');
    expect((await join_(c, 'c2', 'v1', 'room-2')).success).toBe(true);
    const refused = await v.request('accept-room', { roomToken: 'room-2' });
    expect(refused).toMatchObject({ success: false, error: { code: 'rate_limited' } });
    const listed = await (await t.connect('v1')).waitForPrivate('list-room');
    expect(listed.data.rooms.find((r: { roomToken: string }) => r.roomToken === 'room-2').status).toBe('pending');
  });

  it('caps the requests a user has pending (maxPendingPerUser); an accept frees a slot', async () => {
    const t = await createTestApp({ maxPendingPerUser: 2 });
    const c = await t.connect('c1');
    expect((await join_(c, 'c1', 'v1', 'p1')).success).toBe(true);
    expect((await join_(c, 'c1', 'v2', 'p2')).success).toBe(true);
    const over = await join_(c, 'c1', 'v3', 'p3');
    expect(over).toMatchObject({ success: false, error: { code: 'rate_limited' } });
    expect(over.error.message).toMatch(/waiting to be accepted/);
    // The same request again is idempotent, not a new one.
    expect((await join_(c, 'c1', 'v1', 'p1')).success).toBe(true);
    const v1 = await t.connect('v1');
    expect((await v1.request('accept-room', { roomToken: 'p1' })).success).toBe(true);
    expect((await join_(c, 'c1', 'v3', 'p3')).success).toBe(true);
  });
});

describe('decline-room (item 4)', () => {
  async function requested(t: TestApp) {
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    const room = (await join_(c, 'c1', 'v1', 'req')).data.room;
    await v.waitFor('join-room');
    return { c, v, room };
  }

  it('lets the requested member decline: both are told, the room is gone for both, a slot is freed', async () => {
    const t = await createTestApp({ maxPendingPerUser: 1 });
    const { c, v, room } = await requested(t);
    expect((await join_(c, 'c1', 'v2', 'other')).error.code).toBe('rate_limited');
    const ack = await v.request('decline-room', { roomToken: 'req' });
    expect(ack).toEqual({ success: true, data: { room } });
    expect(await c.waitFor('decline-room')).toEqual({ success: true, data: { room } });
    expect(await v.waitFor('decline-room')).toEqual({ success: true, data: { room } });
    for (const user of ['c1', 'v1']) {
      const fresh = await t.connect(user);
      expect((await fresh.waitForPrivate('list-room')).data.rooms).toEqual([]);
    }
    expect(await v.request('accept-room', { roomToken: 'req' })).toMatchObject({ error: { code: 'not_found' } });
    expect(await v.request('decline-room', { roomToken: 'req' })).toMatchObject({ error: { code: 'not_found' } });
    expect((await join_(c, 'c1', 'v2', 'other')).success).toBe(true);
  });

  it('refuses the creator, strangers, active rooms and bad payloads', async () => {
    const t = await createTestApp();
    const { c, v } = await requested(t);
    const eve = await t.connect('eve');
    expect(await c.request('decline-room', { roomToken: 'req' })).toMatchObject({ error: { code: 'forbidden' } });
    expect(await eve.request('decline-room', { roomToken: 'req' })).toMatchObject({ error: { code: 'forbidden' } });
    expect(await v.request('decline-room', { roomToken: 'nope' })).toMatchObject({ error: { code: 'not_found' } });
    for (const bad of [{}, { roomToken: '' }, 'req', { roomToken: 'x'.repeat(129) }]) {
      expect(await v.request('decline-room', bad)).toMatchObject({ error: { code: 'invalid_payload' } });
    }
    expect((await v.request('accept-room', { roomToken: 'req' })).success).toBe(true);
    const active = await v.request('decline-room', { roomToken: 'req' });
    expect(active).toMatchObject({ error: { code: 'forbidden' } });
    expect(active.error.message).toMatch(/accepted/);
    await c.barrier();
    expect(c.all('decline-room')).toEqual([]);
  });

  it('is a method of the SDK', async () => {
    const t = await createTestApp();
    const customer = new ParleyClient({ url: t.url, namespace: 'customer', userId: 'c1' });
    const vendor = new ParleyClient({ url: t.url, namespace: 'customer', userId: 'v1' });
    onTestFinished(() => {
      customer.close();
      vendor.close();
    });
    await Promise.all([customer.ready(), vendor.ready()]);
    const { room } = await customer.joinRoom({ customerID: 'c1', vendorID: 'v1', roomToken: 'sdk' });
    expect(await vendor.declineRoom({ roomToken: 'sdk' })).toEqual({ room });
  });
});

/** Inserts `count` active rooms of `userId` straight into storage (one statement), as a big account would have. */
async function bulkRooms(url: string, userId: string, count: number): Promise<void> {
  const select = (series: string) =>
    `insert into rooms (id, namespace, room_token, room_id, customer_id, vendor_id, created_by, status, created_at, activity, last_message_id, message_count)
     select '00BULK' || lpad_i, 'customer', 'bulk-' || lpad_i, 'bulk-' || lpad_i, $user, 'bulkv-' || lpad_i, $user, 'active',
            '2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z', null, 0 from ${series}`;
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length));
    try {
      db.prepare(
        select(`(with recursive n(i) as (select 1 union all select i + 1 from n where i < ${count})
                 select printf('%020d', i) as lpad_i from n)`).replaceAll('$user', '@user'),
      ).run({ user: userId });
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(select(`(select lpad(i::text, 20, '0') as lpad_i from generate_series(1, ${count}) as i) s`).replaceAll('$user', '$1'), [userId]);
  } finally {
    await client.end();
  }
}

async function storageFor(): Promise<string> {
  if (!onPostgres) return `sqlite:${join(tempDir(), 'big.db')}`;
  const database = await createTempPgDatabase(databaseUrl()!);
  onTestFinished(() => database.drop());
  return database.url;
}

describe('sync, history and list-room input and scale (items 9, 11)', () => {
  it('syncs a user with more rooms than a statement can bind parameters', async () => {
    const url = await storageFor();
    // Over SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
    const t = await createTestApp({ databaseUrl: url, maxRoomsPerUser: 100_000 });
    await bulkRooms(url, 'c1', 70_000);
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'real');
    const sent = (await v.request('message', { roomToken: 'real', message: 'hello' })).data.message;
    const res = await c.socket.timeout(20_000).emitWithAck('sync', {});
    expect(res).toEqual({ success: true, data: { messages: [sent], hasMore: false } });
  }, 60_000);

  it('refuses message ids that are not ULIDs with invalid_payload', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const sent = (await c.request('message', { roomToken: 'tok', message: 'hi' })).data.message;
    for (const since of ['garbage', '01234567890123456789012345678', sent._id.toLowerCase(), 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ']) {
      expect(await c.request('sync', { since })).toMatchObject({ success: false, error: { code: 'invalid_payload' } });
    }
    expect(await c.request('read', { roomToken: 'tok', messageId: 'garbage' })).toMatchObject({ error: { code: 'invalid_payload' } });
    for (const cursor of ['before=garbage', 'after=garbage', 'before=']) {
      const res = await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer&${cursor}`);
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe('invalid_payload');
    }
    // "0" and omission both mean from the beginning; a real id works.
    expect((await c.request('sync', { since: '0' })).data.messages).toEqual([sent]);
    expect((await c.request('sync', { since: sent._id })).data.messages).toEqual([]);
  });

  it('answers a 300-digit page as a page past the end, with a number as page', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    await c.request('message', { roomToken: 'tok', message: 'hi' });
    const res = await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer&page=${'9'.repeat(300)}&limit=${'9'.repeat(300)}`);
    expect(res.status).toBe(200);
    const { data } = await res.json();
    expect(data).toMatchObject({ messages: [], limit: 20, total: 1, totalPages: 1 });
    expect(Number.isSafeInteger(data.page)).toBe(true);
    expect(data.page).toBeGreaterThan(1);
  });

  it('names a query key given more than once', async () => {
    const t = await createTestApp();
    for (const [query, key] of [
      ['roomToken=a&roomToken=b&namespace=customer', 'roomToken'],
      ['roomToken=a&namespace=customer&namespace=artisans', 'namespace'],
      ['roomToken=a&namespace=customer&page=1&page=2', 'page'],
      ['roomToken=a&namespace=customer&limit=5&limit=6', 'limit'],
    ] as const) {
      const res = await fetch(`${t.url}/v1/chat/?${query}`);
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.error.code).toBe('invalid_payload');
      expect(body.error.message).toBe(`Invalid history query: "${key}" is given more than once; give it once.`);
    }
  });

  it('lists every room with its own unread count, from one query', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const vendors = await Promise.all(['v1', 'v2', 'v3'].map((id) => t.connect(id)));
    for (const [i, v] of vendors.entries()) await activeRoom(c, v, 'c1', `v${i + 1}`, `r${i + 1}`);
    const sent: string[][] = [[], [], []];
    for (const [i, v] of vendors.entries()) {
      for (let n = 0; n <= i * 2; n++) sent[i]!.push((await v.request('message', { roomToken: `r${i + 1}`, message: `m${n}` })).data.message._id);
    }
    await c.request('message', { roomToken: 'r3', message: 'mine does not count' });
    await c.request('read', { roomToken: 'r3', messageId: sent[2]![1] });
    const fresh = await t.connect('c1');
    const rooms = (await fresh.waitForPrivate('list-room')).data.rooms as Array<{ roomToken: string; unread: number }>;
    expect(Object.fromEntries(rooms.map((r) => [r.roomToken, r.unread]))).toEqual({ r1: 1, r2: 3, r3: 3 });
    const vendorView = (await (await t.connect('v3')).waitForPrivate('list-room')).data.rooms;
    expect(vendorView).toMatchObject([{ roomToken: 'r3', unread: 1 }]);
  });
});
