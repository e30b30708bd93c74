import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ParleyError, type Message } from '../src/client/server.js';
import { loadConfig } from '../src/config/load-config.js';
import { API_KEY, OLD_API_KEY, platformApp } from './support/platform.js';
import { activeRoom, createTestApp } from './support/test-app.js';

describe('platform API: auth', () => {
  it('answers 401 without a key, with a wrong key, and when no key is configured; accepts every configured key', async () => {
    const t = await platformApp();
    expect((await t.raw('GET', 'rooms/customer/nope', undefined, null)).status).toBe(401);
    const wrong = await t.raw('GET', 'rooms/customer/nope', undefined, `${API_KEY}x`);
    expect(wrong).toEqual({ status: 401, body: { success: false, error: { code: 'unauthorized', message: expect.any(String) } } });
    // Checked before anything else: a bad body or an unknown route is still 401.
    expect((await t.raw('PUT', 'rooms/customer/r1', '{not json', 'bad')).status).toBe(401);
    expect((await t.raw('GET', 'rooms/customer/nope', undefined, OLD_API_KEY)).status).toBe(404);
    expect((await t.raw('GET', 'rooms/customer/nope')).body.error.code).toBe('not_found');

    const off = await createTestApp();
    const res = await fetch(`${off.url}/v1/platform/rooms/customer/x`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(401);
  });

  it('refuses to start with a key shorter than 24 characters', () => {
    expect(() => loadConfig({ env: { API_KEYS: `${API_KEY},short-key` } })).toThrow(/at least 24/);
    expect(loadConfig({ env: { API_KEYS: `${API_KEY}, ${OLD_API_KEY}` } }).apiKeys).toEqual([API_KEY, OLD_API_KEY]);
    expect(() => loadConfig({ env: { WEBHOOK_URLS: 'http://127.0.0.1:9/hooks' } })).toThrow(/WEBHOOK_SECRET/);
    expect(() => loadConfig({ env: { WEBHOOK_URLS: 'ftp://x', WEBHOOK_SECRET: 'whsec_aGVsbG8=' } })).toThrow(/http/);
    expect(() => loadConfig({ env: { WEBHOOK_SECRET: 'not-a-secret' } })).toThrow(/whsec_/);
    // Unpadded base64, which receivers' Standard Webhooks libraries refuse.
    for (const bad of ['whsec_a', 'whsec_abc', 'whsec_ab=', 'whsec_aGVsbG8']) expect(() => loadConfig({ env: { WEBHOOK_SECRET: bad } }), bad).toThrow(/padded base64/);
    const config = loadConfig({ env: { WEBHOOK_URLS: 'http://a/h, https://b/h', WEBHOOK_SECRET: 'whsec_aGVsbG8=', UNREAD_NOTIFY_DELAY_MS: '1000' } });
    expect(config).toMatchObject({ webhookUrls: ['http://a/h', 'https://b/h'], unreadNotifyDelayMs: 1000, webhookTimeoutMs: 5000, webhookRetryBaseMs: 5000 });
  });
});

describe('platform API: rooms', () => {
  it('creates an active room (201) and tells both members (joined); the same PUT again is 200 and silent', async () => {
    const t = await platformApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    const first = await t.api.putRoom('customer', 'order-42', { customerID: 'c1', vendorID: 'v1', roomID: 'order 42' });
    expect(first.created).toBe(true);
    expect(first.room).toMatchObject({ roomToken: 'order-42', roomID: 'order 42', customerID: 'c1', vendorID: 'v1', createdBy: 'c1', status: 'active' });
    for (const client of [c, v]) expect((await client.waitFor('joined')).data.room).toEqual(first.room);
    expect((await v.waitForPrivate('online')).userId).toBe('c1');

    const again = await t.api.putRoom('customer', 'order-42', { customerID: 'c1', vendorID: 'v1' });
    expect(again).toEqual({ room: first.room, created: false });
    await Promise.all([c.barrier(), v.barrier()]);
    expect(c.all('joined')).toHaveLength(1);

    const ack = await c.request('message', { roomToken: 'order-42', message: 'hi' });
    expect(ack.success).toBe(true);
    const listed = await t.api.userRooms('customer', 'c1');
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ roomToken: 'order-42', unread: 0, lastMessage: ack.data.message, counterpart: { userId: 'v1', online: true } });
  });

  it('creates a pending room (join-room to the non-creator), activates it later (joined to both); pending never deactivates', async () => {
    const t = await platformApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    const { room } = await t.api.putRoom('customer', 'r1', { customerID: 'c1', vendorID: 'v1', status: 'pending', createdBy: 'v1' });
    expect(room).toMatchObject({ status: 'pending', createdBy: 'v1' });
    expect((await c.waitFor('join-room')).data.room).toEqual(room);
    await v.barrier();
    expect(v.all('join-room')).toEqual([]);
    const active = await t.api.putRoom('customer', 'r1', { customerID: 'c1', vendorID: 'v1', status: 'active' });
    expect(active).toMatchObject({ created: false, room: { status: 'active' } });
    for (const client of [c, v]) expect((await client.waitFor('joined')).data.room.status).toBe('active');
    const still = await t.api.putRoom('customer', 'r1', { customerID: 'c1', vendorID: 'v1', status: 'pending' });
    expect(still.room.status).toBe('active');
  });

  it('answers 409 for another pair, 400 naming the bad field, 404 for an unknown namespace', async () => {
    const t = await platformApp();
    await t.api.putRoom('customer', 'r1', { customerID: 'c1', vendorID: 'v1' });
    const taken = await t.raw('PUT', 'rooms/customer/r1', { customerID: 'c2', vendorID: 'v1' });
    expect(taken).toMatchObject({ status: 409, body: { error: { code: 'room_token_taken' } } });
    const typo = await t.raw('PUT', 'rooms/customer/r2', { customerID: 'c1', vendorId: 'v1' });
    expect(typo.status).toBe(400);
    expect(typo.body.error).toMatchObject({ code: 'invalid_payload', message: expect.stringMatching(/vendorI[dD]/) });
    const same = await t.raw('PUT', 'rooms/customer/r2', { customerID: 'c1', vendorID: 'c1' });
    expect(same.body.error.message).toMatch(/vendorID/);
    expect((await t.raw('PUT', 'rooms/customer/r2', '{oops')).body.error.code).toBe('invalid_payload');
    expect((await t.raw('PUT', 'rooms/customer/r2', { customerID: 'c1', vendorID: 'v1', status: 'closed' })).status).toBe(400);
    expect((await t.raw('PUT', 'rooms/nowhere/r2', { customerID: 'c1', vendorID: 'v1' })).status).toBe(404);
    expect((await t.raw('GET', `users/customer/${'x'.repeat(129)}/rooms`)).status).toBe(400);
    await expect(t.api.getRoom('customer', 'missing')).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('GET room lists both members with presence, read marks and unread counts', async () => {
    const t = await platformApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const m1 = (await c.request('message', { roomToken: 'tok', message: 'one' })).data.message;
    await c.request('message', { roomToken: 'tok', message: 'two' });
    await v.request('read', { roomToken: 'tok', messageId: m1._id });
    v.close();
    await c.waitForPrivate('offline');
    const { room, members } = await t.api.getRoom('customer', 'tok');
    expect(room.status).toBe('active');
    expect(members).toEqual([
      { userId: 'c1', online: true, lastSeen: null, lastReadId: null, unread: 0 },
      { userId: 'v1', online: false, lastSeen: expect.any(String), lastReadId: m1._id, unread: 1 },
    ]);
  });
});

describe('platform API: messages', () => {
  it('posts a system message with data to both members, unread for both, idempotent by clientMsgId', async () => {
    const t = await platformApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await t.api.putRoom('customer', 'o42', { customerID: 'c1', vendorID: 'v1', status: 'pending' });
    const card = { order: 42, status: 'shipped', items: [{ sku: 'mug', qty: 2 }] };
    const posted = await t.api.postMessage('customer', 'o42', { message: 'Order #42 shipped', data: card, clientMsgId: 'ship-42' });
    expect(posted.created).toBe(true);
    expect(posted.message).toMatchObject({ message_type: 'system', senderId: 'system', receiverId: null, data: card, message: 'Order #42 shipped' });
    for (const client of [c, v]) expect(await client.waitFor('message')).toEqual(posted.message);
    const repeat = await t.raw('POST', 'rooms/customer/o42/messages', { message: 'again', clientMsgId: 'ship-42' });
    expect(repeat).toMatchObject({ status: 200, body: { data: { message: posted.message } } });
    const { members } = await t.api.getRoom('customer', 'o42');
    expect(members.map((m) => m.unread)).toEqual([1, 1]);
    const history = await t.api.history('customer', 'o42');
    expect(history.messages).toEqual([posted.message]);
  });

  it('refuses bad system messages and applies the chat rules to a member message', async () => {
    const t = await platformApp({ maxMessageLength: 100 });
    await t.api.putRoom('customer', 'p', { customerID: 'c1', vendorID: 'v1', status: 'pending' });
    const big = { blob: 'x'.repeat(9000) };
    const cases: Array<[unknown, number, string]> = [
      [{ message: 'hi', data: big }, 400, 'data'],
      [{ message: '   ' }, 400, 'message'],
      [{ message: 'x'.repeat(101) }, 400, 'message'],
      [{ message: 'hi', data: [1, 2] }, 400, 'data'],
      [{ message: 'hi', senderId: 'c1' }, 409, 'room_not_active'],
      [{ message: 'hi', senderId: 'someone' }, 403, 'forbidden'],
      [{ message: 'hi', senderId: 'c1', data: { a: 1 } }, 400, 'data'],
    ];
    for (const [body, status, hint] of cases) {
      const res = await t.raw('POST', 'rooms/customer/p/messages', body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(status);
      expect(JSON.stringify(res.body.error)).toContain(hint);
    }
    expect((await t.raw('POST', 'rooms/customer/none/messages', { message: 'hi' })).status).toBe(404);
  });

  it("posts as a member: that member's message, delivered to both; history pages with cursors", async () => {
    const t = await platformApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await t.api.putRoom('customer', 'r', { customerID: 'c1', vendorID: 'v1' });
    const sent: Message[] = [];
    for (let i = 0; i < 5; i++) {
      sent.push((await t.api.postMessage('customer', 'r', { message: `m${i}`, senderId: i % 2 ? 'v1' : 'c1' })).message);
    }
    expect(sent[1]).toMatchObject({ senderId: 'v1', receiverId: 'c1', message_type: 'text' });
    expect((await c.waitFor('message', (m) => m._id === sent[4]!._id)).message).toBe('m4');
    expect((await v.waitFor('message', (m) => m._id === sent[4]!._id)).message).toBe('m4');
    const page1 = await t.api.history('customer', 'r', { limit: 2 });
    expect(page1.messages.map((m) => m.message)).toEqual(['m4', 'm3']);
    const page2 = await t.api.history('customer', 'r', { limit: 2, before: page1.nextCursor! });
    expect(page2.messages.map((m) => m.message)).toEqual(['m2', 'm1']);
    const page3 = await t.api.history('customer', 'r', { limit: 2, before: page2.nextCursor! });
    expect(page3).toMatchObject({ nextCursor: null, messages: [{ message: 'm0' }] });
    const newer = await t.api.history('customer', 'r', { limit: 2, after: sent[0]!._id });
    expect(newer.messages.map((m) => m.message)).toEqual(['m2', 'm1']);
    expect((await t.raw('GET', 'rooms/customer/r/messages?limit=abc')).status).toBe(400);
    expect((await t.raw('GET', `rooms/customer/r/messages?before=${sent[1]!._id}&after=${sent[0]!._id}`)).status).toBe(400);
    expect((await t.api.history('customer', 'r', { limit: 1000 })).limit).toBe(100);
  });
});

describe('platform API: close', () => {
  it('closes a room: room-closed to both, message/typing/read refused, history readable, still listed; PUT active reopens', async () => {
    const t = await platformApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const m = (await c.request('message', { roomToken: 'tok', message: 'before' })).data.message;
    const closed = await t.api.closeRoom('customer', 'tok', 'order cancelled');
    expect(closed.status).toBe('closed');
    for (const client of [c, v]) expect((await client.waitFor('room-closed')).data.room).toEqual(closed);
    for (const [event, payload] of [
      ['message', { roomToken: 'tok', message: 'after' }],
      ['typing', { roomToken: 'tok' }],
      ['read', { roomToken: 'tok', messageId: m._id }],
      ['accept-room', { roomToken: 'tok' }],
      ['react', { roomToken: 'tok', messageId: m._id, emoji: '👍' }],
    ] as const) {
      const ack = await v.request(event, payload);
      expect(ack.error?.code, event).toBe('room_not_active');
    }
    // The sender's own edit, allowed in an active room, is refused in a closed one.
    expect((await c.request('edit-message', { roomToken: 'tok', messageId: m._id, message: 'edited' })).error.code).toBe('room_not_active');
    expect((await t.raw('POST', 'rooms/customer/tok/messages', { message: 'system note' })).body.error.code).toBe('room_not_active');
    const res = await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`);
    expect((await res.json()).data.messages).toHaveLength(1);
    const again = await t.connect('c1');
    const list = await again.waitForPrivate('list-room');
    expect(list.data.rooms[0]).toMatchObject({ roomToken: 'tok', status: 'closed' });
    expect((await t.api.closeRoom('customer', 'tok')).status).toBe('closed');

    const reopened = await t.api.putRoom('customer', 'tok', { customerID: 'c1', vendorID: 'v1' });
    expect(reopened.room.status).toBe('active');
    expect((await c.request('message', { roomToken: 'tok', message: 'again' })).success).toBe(true);
    expect((await t.raw('POST', 'rooms/customer/none/close', {})).status).toBe(404);
  });
});

describe('platform API: users', () => {
  it('bans: the banned notice, then the sockets are cut; connecting is refused (forbidden) until the ban is lifted', async () => {
    const t = await platformApp();
    const c1 = await t.connect('c1');
    const c2 = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c1, v, 'c1', 'v1', 'tok');
    const disconnected = [c1, c2].map((client) => new Promise<string>((resolve) => client.socket.once('disconnect', resolve)));
    const ban = await t.api.ban('customer', 'c1', { reason: 'spam' });
    expect(ban).toEqual({ namespace: 'customer', userId: 'c1', reason: 'spam', until: null });
    for (const client of [c1, c2]) {
      const notice = await client.waitForPrivate('banned');
      expect(notice).toEqual({ event: 'banned', success: false, error: { code: 'forbidden', message: expect.stringContaining('spam') } });
    }
    expect(await Promise.all(disconnected)).toEqual(['io server disconnect', 'io server disconnect']);
    expect(v.socket.connected).toBe(true);
    const refused = await t.open('customer', { query: { userId: 'c1' } }).connectError();
    expect(refused.data).toMatchObject({ code: 'forbidden' });
    expect(await t.api.unban('customer', 'c1')).toEqual({ lifted: true });
    expect(await t.api.unban('customer', 'c1')).toEqual({ lifted: false });
    await t.connect('c1');
  });

  it("refuses a banned user's history requests (403) and JWT connects", async () => {
    const secret = 'platform-test-jwt-secret-0123456789';
    const t = await platformApp({ authMode: 'jwt', jwtSecret: secret });
    const token = (sub: string) => new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    await t.api.putRoom('customer', 'tok', { customerID: 'c1', vendorID: 'v1' });
    const read = async (sub: string) =>
      (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`, { headers: { authorization: `Bearer ${await token(sub)}` } })).status;
    expect(await read('c1')).toBe(200);
    await t.api.ban('customer', 'c1');
    expect(await read('c1')).toBe(403);
    expect(await read('v1')).toBe(200);
    const refused = await t.open('customer', { auth: { token: await token('c1') } }).connectError();
    expect(refused.data.code).toBe('forbidden');
    await t.api.unban('customer', 'c1');
    expect(await read('c1')).toBe(200);
  });

  it('a ban with an until in the past does not refuse; a bad until is 400', async () => {
    const t = await platformApp();
    await t.api.ban('customer', 'c1', { until: new Date(Date.now() - 1000) });
    await t.connect('c1');
    expect((await t.raw('PUT', 'users/customer/c1/ban', { until: 'tomorrow' })).status).toBe(400);
    await t.api.ban('customer', 'c2', { until: new Date(Date.now() + 60_000) });
    expect((await t.open('customer', { query: { userId: 'c2' } }).connectError()).data.code).toBe('forbidden');
  });

  it('exports a user, then erases it: tombstones, read marks and last-seen forgotten, rooms kept; idempotent', async () => {
    const t = await platformApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const mine = (await c.request('message', { roomToken: 'tok', message: 'my address is 1 Main St' })).data.message;
    const theirs = (await v.request('message', { roomToken: 'tok', message: 'thanks' })).data.message;
    await c.request('read', { roomToken: 'tok', messageId: theirs._id });
    c.close();
    await v.waitForPrivate('offline');
    const exported = await t.api.exportUser('customer', 'c1');
    expect(exported.user).toEqual({ userId: 'c1', namespace: 'customer' });
    expect(exported.rooms.map((r) => r.roomToken)).toEqual(['tok']);
    expect(exported.messages).toEqual([mine]);

    expect(await t.api.eraseUser('customer', 'c1')).toEqual({ erased: { messages: 1, attachments: 0 } });
    expect(await t.api.eraseUser('customer', 'c1')).toEqual({ erased: { messages: 1, attachments: 0 } });
    const history = await t.api.history('customer', 'tok');
    expect(history.messages.map((m) => [m._id, m.message])).toEqual([[theirs._id, 'thanks'], [mine._id, '']]);
    const { members } = await t.api.getRoom('customer', 'tok');
    expect(members[0]).toMatchObject({ userId: 'c1', lastReadId: null, lastSeen: null });
    expect((await t.api.getRoom('customer', 'tok')).room.status).toBe('active');
  });
});

describe('platform API: OpenAPI', () => {
  it('documents every platform route with its request and response schemas', async () => {
    const t = await platformApp();
    const doc = await (await fetch(`${t.url}/docs/json`)).json();
    const expected: Array<[string, string]> = [
      ['/v1/platform/rooms/{namespace}/{roomToken}', 'put'],
      ['/v1/platform/rooms/{namespace}/{roomToken}', 'get'],
      ['/v1/platform/users/{namespace}/{userId}/rooms', 'get'],
      ['/v1/platform/rooms/{namespace}/{roomToken}/messages', 'post'],
      ['/v1/platform/rooms/{namespace}/{roomToken}/messages', 'get'],
      ['/v1/platform/rooms/{namespace}/{roomToken}/close', 'post'],
      ['/v1/platform/users/{namespace}/{userId}/ban', 'put'],
      ['/v1/platform/users/{namespace}/{userId}/ban', 'delete'],
      ['/v1/platform/users/{namespace}/{userId}/export', 'get'],
      ['/v1/platform/users/{namespace}/{userId}', 'delete'],
      ['/v1/platform/webhooks/deliveries', 'get'],
      ['/v1/platform/webhooks/deliveries/{id}/retry', 'post'],
    ];
    for (const [path, method] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op.responses['200'] ?? op.responses['201']).toBeDefined();
      expect(op.responses['401']).toBeDefined();
      expect(op.security).toEqual([{ platformKey: [] }]);
    }
    expect(doc.paths['/v1/platform/rooms/{namespace}/{roomToken}'].put.requestBody.content['application/json'].schema.properties).toHaveProperty('customerID');
    expect(new ParleyError('forbidden').status).toBe(403);
  });
});
