import { describe, expect, it } from 'vitest';
import { activeRoom, createTestApp } from './support/test-app.js';

const pair = { customerID: 'c1', vendorID: 'v1' };

describe('join-room (SPEC §4)', () => {
  it('creates a pending room, acks the creator and asks the counterpart on every socket', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const v1 = await t.connect('v1');
    const v2 = await t.connect('v1');
    const ack = await c.request('join-room', { ...pair, roomToken: 'tok-1', roomId: 'order-9' });
    expect(ack.success).toBe(true);
    const room = ack.data.room;
    expect(room).toMatchObject({ roomID: 'order-9', roomToken: 'tok-1', customerID: 'c1', vendorID: 'v1', createdBy: 'c1', status: 'pending' });
    expect(typeof room._id).toBe('string');
    expect(new Date(room.createdAt).toISOString()).toBe(room.createdAt);
    for (const v of [v1, v2]) expect(await v.waitFor('join-room')).toEqual({ success: true, data: { room } });
    // The creator's other sockets are not asked; the creator is not sent its own request.
    await c.barrier();
    expect(c.all('join-room')).toEqual([]);
  });

  it('defaults roomID to roomToken, accepts roomID spelling and numeric ids', async () => {
    const t = await createTestApp();
    const c = await t.connect('42');
    const a = await c.request('join-room', { customerID: 42, vendorID: 7, roomToken: 'r1' });
    expect(a.data.room).toMatchObject({ customerID: '42', vendorID: '7', roomID: 'r1' });
    const b = await c.request('join-room', { customerID: '42', vendorID: '8', roomToken: 'r2', roomID: 'R2' });
    expect(b.data.room.roomID).toBe('R2');
    const blank = await c.request('join-room', { customerID: '42', vendorID: '9', roomToken: 'r3', roomId: '', roomID: null });
    expect(blank.data.room.roomID).toBe('r3');
  });

  it('is idempotent for the same token and pair, and sends no new notice', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    const first = await c.request('join-room', { ...pair, roomToken: 'tok' });
    await v.waitFor('join-room');
    const again = await c.request('join-room', { ...pair, roomToken: 'tok', roomId: 'other' });
    expect(again).toEqual(first);
    const byVendor = await v.request('join-room', { ...pair, roomToken: 'tok' });
    expect(byVendor.data.room).toEqual(first.data.room);
    expect(byVendor.data.room.status).toBe('pending');
    await v.barrier();
    await c.barrier();
    expect(v.all('join-room')).toHaveLength(1);
    expect(c.all('join-room')).toHaveLength(0);
  });

  it('refuses a token held by another pair with room_token_taken', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    await c.request('join-room', { ...pair, roomToken: 'tok' });
    const other = await c.request('join-room', { customerID: 'c1', vendorID: 'v2', roomToken: 'tok' });
    expect(other).toMatchObject({ success: false, error: { code: 'room_token_taken' } });
  });

  it('refuses a caller who is not in the pair, and a pair of one', async () => {
    const t = await createTestApp();
    const s = await t.connect('stranger');
    expect(await s.request('join-room', { ...pair, roomToken: 'tok' })).toMatchObject({ success: false, error: { code: 'forbidden' } });
    const c = await t.connect('c1');
    expect(await c.request('join-room', { customerID: 'c1', vendorID: 'c1', roomToken: 'x' })).toMatchObject({
      success: false,
      error: { code: 'invalid_payload' },
    });
  });

  it('shows a pending room in the next list-room of a counterpart who was offline', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const created = await c.request('join-room', { ...pair, roomToken: 'tok' });
    const v = await t.connect('v1');
    const list = await v.waitForPrivate('list-room');
    expect(list.data.rooms).toHaveLength(1);
    expect(list.data.rooms[0]).toMatchObject({ ...created.data.room, status: 'pending', unread: 0, lastMessage: null });
  });

  it('keeps namespaces apart', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1', 'customer');
    await c.request('join-room', { ...pair, roomToken: 'tok' });
    const other = await t.connect('c1', 'artisans');
    expect((await other.waitForPrivate('list-room')).data.rooms).toEqual([]);
    const same = await other.request('join-room', { customerID: 'c1', vendorID: 'v9', roomToken: 'tok' });
    expect(same.success).toBe(true);
  });
});

describe('accept-room (SPEC §4)', () => {
  it('activates the room: ack and accept-room to the acceptor, joined to the creator on every socket', async () => {
    const t = await createTestApp();
    const c1 = await t.connect('c1');
    const c2 = await t.connect('c1');
    const v = await t.connect('v1');
    await c1.request('join-room', { ...pair, roomToken: 'tok' });
    const ack = await v.request('accept-room', { ...pair, roomToken: 'tok', roomId: 'ignored' });
    expect(ack.success).toBe(true);
    expect(ack.data.room.status).toBe('active');
    expect(await v.waitFor('accept-room')).toEqual(ack);
    for (const c of [c1, c2]) expect(await c.waitFor('joined')).toEqual({ success: true, data: { room: ack.data.room } });
  });

  it('accepting again returns the same ack and sends nothing new', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await c.request('join-room', { ...pair, roomToken: 'tok' });
    const first = await v.request('accept-room', { roomToken: 'tok' });
    const second = await v.request('accept-room', { roomToken: 'tok' });
    expect(second).toEqual(first);
    await c.barrier();
    await v.barrier();
    expect(c.all('joined')).toHaveLength(1);
    expect(v.all('accept-room')).toHaveLength(1);
  });

  it('refuses unknown tokens, strangers, the creator and mismatched ids', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    const s = await t.connect('s1');
    await c.request('join-room', { ...pair, roomToken: 'tok' });
    const code = async (client: typeof c, payload: object) => (await client.request('accept-room', payload)).error?.code;
    expect(await code(v, { roomToken: 'nope' })).toBe('not_found');
    expect(await code(s, { roomToken: 'tok' })).toBe('forbidden');
    expect(await code(s, { ...pair, roomToken: 'tok' })).toBe('forbidden');
    expect(await code(c, { ...pair, roomToken: 'tok' })).toBe('forbidden');
    expect(await code(v, { customerID: 'c9', vendorID: 'v1', roomToken: 'tok' })).toBe('forbidden');
    expect(await code(v, {})).toBe('invalid_payload');
    // Nothing was accepted by all that.
    const list = await (await t.connect('c1')).waitForPrivate('list-room');
    expect(list.data.rooms[0].status).toBe('pending');
  });

  it('lets the vendor create and the customer accept', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await v.request('join-room', { ...pair, roomToken: 'tok' });
    expect(await c.waitFor('join-room')).toMatchObject({ data: { room: { createdBy: 'v1' } } });
    expect((await c.request('accept-room', { roomToken: 'tok' })).data.room.status).toBe('active');
    await v.waitFor('joined');
  });

  it('lists rooms most recently active first', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'old');
    await c.request('join-room', { customerID: 'c1', vendorID: 'v2', roomToken: 'newer' });
    await c.request('message', { roomToken: 'old', message: 'bump' });
    const list = await (await t.connect('c1')).waitForPrivate('list-room');
    expect(list.data.rooms.map((r: any) => r.roomToken)).toEqual(['old', 'newer']);
    expect(list.data.rooms[0].lastMessage.message).toBe('bump');
  });
});
