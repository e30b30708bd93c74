import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { TestClient } from './support/client.js';
import { createTestApp, type TestApp } from './support/test-app.js';

const SECRET = 'authorization-test-secret-0123456789';

function token(sub: string): Promise<string> {
  return new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
}

async function as(t: TestApp, userId: string): Promise<TestClient> {
  const client = await t.open('customer', { auth: { token: await token(userId) } }).connected();
  await client.waitForPrivate('list-online-user');
  return client;
}

/**
 * alice (customer) and bob (vendor) share the active room "ab" with one message; alice asked carol for the
 * pending room "ac". eve is authenticated but a member of nothing.
 */
async function world() {
  const t = await createTestApp({ authMode: 'jwt', jwtSecret: SECRET });
  const alice = await as(t, 'alice');
  const bob = await as(t, 'bob');
  const carol = await as(t, 'carol');
  expect((await alice.request('join-room', { customerID: 'alice', vendorID: 'bob', roomToken: 'ab' })).success).toBe(true);
  expect((await bob.request('accept-room', { roomToken: 'ab' })).success).toBe(true);
  expect((await alice.request('join-room', { customerID: 'alice', vendorID: 'carol', roomToken: 'ac' })).success).toBe(true);
  const sent = await alice.request('message', { roomToken: 'ab', message: 'for bob only' });
  const eve = await as(t, 'eve');
  const members = [alice, bob, carol];
  await Promise.all([...members, eve].map((c) => c.barrier()));
  const seen = new Map([...members, eve].map((c) => [c, c.received.length]));
  /** No member got anything since the world was built; eve got at most her own failure notices. */
  const nobodyHeardAnything = async () => {
    await Promise.all([...members, eve].map((c) => c.barrier()));
    for (const [client, count] of seen) {
      const since = client.received.slice(count);
      const allowed = client === eve ? since.filter((r) => !(r.event === 'private' && r.payload.success === false)) : since;
      expect(allowed).toEqual([]);
    }
  };
  return { t, alice, bob, carol, eve, messageId: sent.data.message._id as string, nobodyHeardAnything };
}

describe('a stranger (valid token, not a member)', () => {
  it('cannot create a room for others, new or existing', async () => {
    const { alice, bob, eve, nobodyHeardAnything } = await world();
    for (const roomToken of ['fresh', 'ab', 'ac']) {
      const res = await eve.request('join-room', { customerID: 'alice', vendorID: 'bob', roomToken });
      expect(res).toEqual({ success: false, error: { code: 'forbidden', message: expect.any(String) } });
    }
    await nobodyHeardAnything();
    // "fresh" was not created by eve's attempt: alice creating it now is a creation, and bob is asked.
    expect((await alice.request('join-room', { customerID: 'alice', vendorID: 'bob', roomToken: 'fresh' })).success).toBe(true);
    expect((await bob.waitFor('join-room', (p) => p.data.room.roomToken === 'fresh')).data.room).toMatchObject({ roomToken: 'fresh', createdBy: 'alice', status: 'pending' });
  });

  it('cannot accept a pending room, with or without naming its members', async () => {
    const { alice, carol, eve, nobodyHeardAnything } = await world();
    for (const payload of [{ roomToken: 'ac' }, { roomToken: 'ac', customerID: 'alice', vendorID: 'carol' }, { roomToken: 'ac', vendorID: 'eve' }]) {
      expect((await eve.request('accept-room', payload)).error.code).toBe('forbidden');
    }
    await nobodyHeardAnything();
    // Still pending: carol's accept is the one that activates it, and alice hears "joined" only now.
    expect((await carol.request('accept-room', { roomToken: 'ac' })).data.room.status).toBe('active');
    expect((await alice.waitFor('joined', (p) => p.data.room.roomToken === 'ac')).data.room.status).toBe('active');
  });

  it('cannot message, type, mark read or sync a room it is not in', async () => {
    const { eve, messageId, nobodyHeardAnything } = await world();
    const attempts: Array<[string, unknown]> = [
      ['message', { roomToken: 'ab', message: 'hi' }],
      ['message', { roomToken: 'ab', message: 'hi', clientMsgId: 'e1' }],
      ['message', { roomToken: 'ac', message: 'hi' }],
      ['typing', { roomToken: 'ab' }],
      ['typing', { roomToken: 'ac' }],
      ['read', { roomToken: 'ab', messageId }],
      ['sync', { roomToken: 'ab' }],
      ['sync', { roomToken: 'ab', since: '0' }],
    ];
    for (const [event, payload] of attempts) {
      const res = await eve.request(event, payload);
      expect(res, `${event} ${JSON.stringify(payload)}`).toEqual({ success: false, error: { code: 'forbidden', message: expect.any(String) } });
    }
    // Without a roomToken eve has no room to fall back on, and a sync over "all its rooms" is empty.
    expect((await eve.request('message', { message: 'hi' })).error.code).toBe('room_required');
    expect((await eve.request('typing', {})).error.code).toBe('room_required');
    expect(await eve.request('sync', {})).toEqual({ success: true, data: { messages: [], hasMore: false } });
    // Failures without an ack go to eve's own private channel, never to the room.
    eve.send('message', { roomToken: 'ab', message: 'no ack' });
    expect((await eve.waitForPrivate('message')).error.code).toBe('forbidden');
    await nobodyHeardAnything();
  });

  it('cannot read history over HTTP, while a member can', async () => {
    const { t } = await world();
    const read = async (userId: string) =>
      fetch(`${t.url}/v1/chat/?roomToken=ab&namespace=customer`, { headers: { authorization: `Bearer ${await token(userId)}` } });
    const denied = await read('eve');
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ success: false, error: { code: 'forbidden' } });
    const cursor = await fetch(`${t.url}/v1/chat/?roomToken=ab&namespace=customer&before=7ZZZZZZZZZZZZZZZZZZZZZZZZZ`, {
      headers: { authorization: `Bearer ${await token('eve')}` },
    });
    expect(cursor.status).toBe(403);
    expect((await (await read('bob')).json()).data.messages).toHaveLength(1);
  });
});

describe('ids in payloads', () => {
  it('refuses a join-room or accept-room that names someone other than the caller', async () => {
    const { alice, bob, carol, nobodyHeardAnything } = await world();
    expect((await alice.request('join-room', { customerID: 'mallory', vendorID: 'bob', roomToken: 'x1' })).error.code).toBe('forbidden');
    expect((await alice.request('join-room', { customerID: 'bob', vendorID: 'carol', roomToken: 'x2' })).error.code).toBe('forbidden');
    expect((await carol.request('accept-room', { roomToken: 'ac', customerID: 'mallory' })).error.code).toBe('forbidden');
    expect((await carol.request('accept-room', { roomToken: 'ac', customerID: 'alice', vendorID: 'bob' })).error.code).toBe('forbidden');
    expect((await bob.request('accept-room', { roomToken: 'ac', customerID: 'alice', vendorID: 'bob' })).error.code).toBe('forbidden');
    await nobodyHeardAnything();
  });

  it('ignores sender, receiver, room and user ids a client puts in a message or read', async () => {
    const { alice, bob, messageId } = await world();
    const forged = { roomToken: 'ab', message: 'forged?', senderId: 'bob', receiverId: 'alice', room_id: 'other', _id: '0', dt: 'then', userId: 'bob' };
    const ack = await alice.request('message', forged);
    expect(ack.data.message).toMatchObject({ senderId: 'alice', receiverId: 'bob', roomToken: 'ab', message: 'forged?' });
    expect(ack.data.message._id).not.toBe('0');
    expect(ack.data.message.room_id).not.toBe('other');
    expect(await bob.waitFor('message', (m) => m.message === 'forged?')).toMatchObject({ senderId: 'alice' });
    expect(await bob.request('read', { roomToken: 'ab', messageId, userId: 'alice' })).toEqual({ success: true });
    expect(await alice.waitFor('read')).toMatchObject({ userId: 'bob', messageId });
  });
});
