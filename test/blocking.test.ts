import { describe, expect, it } from 'vitest';
import { platformApp } from './support/platform.js';
import { activeRoom, chat, createTestApp } from './support/test-app.js';

describe('block-user / unblock-user (§13)', () => {
  it('refuses the blocked user’s message, typing and react (nothing stored) while the blocker still writes', async () => {
    const { t, c, v } = await chat();
    const before = (await c.request('message', { roomToken: 'tok', message: 'hi' })).data.message;
    expect(await v.request('block-user', { userId: 'c1' })).toEqual({ success: true });
    expect((await c.request('message', { roomToken: 'tok', message: 'harass' })).error.code).toBe('forbidden');
    expect((await c.request('typing', { roomToken: 'tok' })).error.code).toBe('forbidden');
    expect((await c.request('react', { roomToken: 'tok', messageId: before._id, emoji: '😡' })).error.code).toBe('forbidden');
    // The blocker can still write and read history.
    expect((await v.request('message', { roomToken: 'tok', message: 'still here' })).success).toBe(true);
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.messages.map((m: any) => m.message)).toEqual(['still here', 'hi']);
    await v.barrier();
    expect(v.all('message').filter((m) => m.senderId === 'c1')).toHaveLength(1);
    expect(v.all('typing')).toEqual([]);
    // Unblocked: writing works again.
    expect(await v.request('unblock-user', { userId: 'c1' })).toEqual({ success: true });
    expect((await c.request('message', { roomToken: 'tok', message: 'sorry' })).success).toBe(true);
  });

  it('answers a blocked sender forbidden even when its message budget is spent (forbidden wins over rate_limited)', async () => {
    const t = await createTestApp({ rateLimits: { message: { points: 1, durationSeconds: 60 } } });
    const [c, v] = await Promise.all([t.connect('c1'), t.connect('v1')]);
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    expect((await c.request('message', { roomToken: 'tok', message: 'one' })).success).toBe(true);
    expect((await c.request('message', { roomToken: 'tok', message: 'two' })).error.code).toBe('rate_limited');
    await v.request('block-user', { userId: 'c1' });
    expect((await c.request('message', { roomToken: 'tok', message: 'three' })).error.code).toBe('forbidden');
    expect((await c.request('message', { roomToken: 'tok', message: 'four', replyTo: '01ZZZZZZZZZZZZZZZZZZZZZZZZ' })).error.code).toBe('forbidden');
  });

  it('hides the blocker’s presence from the blocked user: offline at once, then no online/offline, list-room blocked: true', async () => {
    const { t, c, v } = await chat();
    await c.waitForPrivate('online', (p) => p.userId === 'v1').catch(() => undefined);
    await v.request('block-user', { userId: 'c1' });
    expect(await c.waitForPrivate('offline', (p) => p.userId === 'v1')).toEqual({ event: 'offline', success: true, userId: 'v1' });
    // The blocker comes and goes: the blocked user hears nothing.
    const v2 = await t.connect('v1');
    v2.close();
    const vAgain = await t.connect('v1');
    const blockerRooms = await vAgain.waitForPrivate('list-room');
    expect(blockerRooms.data.rooms[0]).toMatchObject({ roomToken: 'tok', blocked: true });
    const c2 = await t.connect('c1');
    const blockedRooms = await c2.waitForPrivate('list-room');
    expect('blocked' in blockedRooms.data.rooms[0]).toBe(false);
    expect(blockedRooms.data.rooms[0].counterpart).toMatchObject({ userId: 'v1', online: false, lastSeen: null });
    expect((await c2.waitForPrivate('list-online-user')).data.users).toEqual([]);
    await c.barrier();
    // One `online` from before the block (consumed or not), one `offline` from the block, nothing since.
    expect(c.all('private', (p) => p.event === 'online' && p.userId === 'v1')).toHaveLength(1);
    expect(c.all('private', (p) => p.event === 'offline' && p.userId === 'v1')).toHaveLength(1);
    // The blocked user's own presence still reaches the blocker.
    c2.close();
    await v.request('unblock-user', { userId: 'c1' });
    expect(await c.waitForPrivate('online', (p) => p.userId === 'v1')).toMatchObject({ userId: 'v1' });
  });

  it('refuses a blocked user creating a room with the blocker; blocking is idempotent and never oneself', async () => {
    const { t, c, v } = await chat();
    expect((await v.request('block-user', { userId: 'c1' })).success).toBe(true);
    expect((await v.request('block-user', { userId: 'c1' })).success).toBe(true);
    expect((await v.request('block-user', { userId: 'v1' })).error.code).toBe('invalid_payload');
    expect((await v.request('block-user', {})).error.code).toBe('invalid_payload');
    expect((await v.request('block-user', { userId: 'bad id' })).error.code).toBe('invalid_payload');
    const res = await c.request('join-room', { customerID: 'c1', vendorID: 'v1', roomToken: 'new-room' });
    expect(res.error.code).toBe('forbidden');
    await v.barrier();
    expect(v.all('join-room', (p) => p.data.room.roomToken === 'new-room')).toEqual([]);
    expect((await v.request('unblock-user', { userId: 'c1' })).success).toBe(true);
    expect((await v.request('unblock-user', { userId: 'c1' })).success).toBe(true);
    expect((await c.request('join-room', { customerID: 'c1', vendorID: 'v1', roomToken: 'new-room' })).success).toBe(true);
    expect(t).toBeDefined();
  });

  it('keeps blocks across a restart', async () => {
    const t1 = await createTestApp();
    const c = await t1.connect('c1');
    const v = await t1.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    await v.request('block-user', { userId: 'c1' });
    await t1.close();
    const t2 = await createTestApp({}, { dbPath: t1.dbPath });
    const c2 = await t2.connect('c1');
    expect((await c2.request('message', { roomToken: 'tok', message: 'again' })).error.code).toBe('forbidden');
    const v2 = await t2.connect('v1');
    expect((await v2.waitForPrivate('list-room')).data.rooms[0].blocked).toBe(true);
  });

  it('a blocker who opens a new room with the blocked user stays hidden from it', async () => {
    const { t, c, v } = await chat();
    await v.request('block-user', { userId: 'c1' });
    await c.waitForPrivate('offline', (p) => p.userId === 'v1');
    // The vendor (blocker) creates a second room: the customer gets the request but no `online` for v1.
    expect((await v.request('join-room', { customerID: 'c1', vendorID: 'v1', roomToken: 'second' })).success).toBe(true);
    await c.waitFor('join-room', (p) => p.data.room.roomToken === 'second');
    await c.barrier();
    expect(c.all('private', (p) => p.event === 'online' && p.userId === 'v1')).toHaveLength(1); // from before the block
    expect(t).toBeDefined();
  });

  it('a room the platform opens between a blocker and the blocked hides the blocker; the platform’s room list says blocked', async () => {
    const t = await platformApp();
    const [c, v] = await Promise.all([t.connect('c1'), t.connect('v1')]);
    await c.request('block-user', { userId: 'v1' });
    await t.api.putRoom('customer', 'order-9', { customerID: 'c1', vendorID: 'v1' });
    await v.waitFor('joined', (p) => p.data.room.roomToken === 'order-9');
    // The blocker learns the blocked user is online; the blocked user hears nothing of the blocker.
    await c.waitForPrivate('online', (p) => p.userId === 'v1');
    await v.barrier();
    expect(v.all('private', (p) => p.event === 'online' && p.userId === 'c1')).toEqual([]);

    const [mine] = await t.api.userRooms('customer', 'c1');
    expect(mine).toMatchObject({ roomToken: 'order-9', blocked: true, counterpart: { userId: 'v1', online: true } });
    const [theirs] = await t.api.userRooms('customer', 'v1');
    expect(theirs!.counterpart).toMatchObject({ userId: 'c1', online: false, lastSeen: null });
    expect(theirs).not.toHaveProperty('blocked');
  });
});
