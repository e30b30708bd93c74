import { describe, expect, it } from 'vitest';
import { watchDisconnects } from './support/presence-probe.js';
import { chat, createTestApp } from './support/test-app.js';

const online = (id: string) => (p: any) => p.userId === id;

describe('presence (SPEC §3)', () => {
  it('counts devices: online once on the first socket, offline once after the last', async () => {
    const disconnects = watchDisconnects();
    const { t, c, v } = await chat();
    v.close();
    await c.waitForPrivate('offline', online('v1'));
    const isV1 = (event: string) => (p: any) => p.event === event && p.userId === 'v1';
    const onlineBefore = c.all('private', isV1('online')).length;

    const tab1 = await t.connect('v1');
    expect(await c.waitForPrivate('online', online('v1'))).toEqual({ event: 'online', success: true, userId: 'v1' });
    const tab2 = await t.connect('v1');
    await tab2.waitForPrivate('list-online-user');
    tab1.close();
    await disconnects.handled(2); // v's, then tab1's: handled, and whatever notice it made is sent
    await c.barrier();
    expect(c.all('private', isV1('online'))).toHaveLength(onlineBefore + 1);
    expect(c.all('private', isV1('offline'))).toHaveLength(1);
    tab2.close();
    expect(await c.waitForPrivate('offline', online('v1'))).toEqual({ event: 'offline', success: true, userId: 'v1' });
  });

  it('tells only users who share a room, and never the subject itself', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    const outsider = await t.connect('o1');
    await c.request('join-room', { customerID: 'c1', vendorID: 'v1', roomToken: 'pending-is-enough' });
    const c2 = await t.connect('c1');
    await c2.waitForPrivate('list-online-user');
    const v2 = await t.connect('v1');
    expect((await v2.waitForPrivate('list-online-user')).data.users).toEqual(['c1']);
    await outsider.barrier();
    await v.barrier();
    expect(outsider.all('private', (p) => p.event === 'online' || p.event === 'offline')).toEqual([]);
    expect(v.all('private', (p) => p.event === 'online' && p.userId === 'v1')).toEqual([]);
  });

  it('lists online counterparts after connecting', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    await c.request('join-room', { customerID: 'c1', vendorID: 'v1', roomToken: 'a' });
    await c.request('join-room', { customerID: 'c1', vendorID: 'v2', roomToken: 'b' });
    await t.connect('v1');
    const again = await t.connect('c1');
    expect(await again.waitForPrivate('list-online-user')).toEqual({ event: 'list-online-user', success: true, data: { users: ['v1'] } });
  });

  it('on room creation tells the creator the counterpart is online, and the counterpart the creator', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await c.request('join-room', { customerID: 'c1', vendorID: 'v1', roomToken: 'tok' });
    expect(await c.waitForPrivate('online', online('v1'))).toMatchObject({ userId: 'v1' });
    expect(await v.waitForPrivate('online', online('c1'))).toMatchObject({ userId: 'c1' });
  });

  it('carries counterpart presence and lastSeen in list-room', async () => {
    const { t, c, v } = await chat();
    let rooms = (await (await t.connect('c1')).waitForPrivate('list-room')).data.rooms;
    expect(rooms[0].counterpart).toEqual({ userId: 'v1', online: true, lastSeen: null, lastReadId: null });
    v.close();
    await c.waitForPrivate('offline', online('v1'));
    rooms = (await (await t.connect('c1')).waitForPrivate('list-room')).data.rooms;
    expect(rooms[0].counterpart.online).toBe(false);
    expect(Date.parse(rooms[0].counterpart.lastSeen)).toBeGreaterThan(Date.now() - 60_000);
  });
});
