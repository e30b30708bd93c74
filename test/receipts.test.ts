import { describe, expect, it } from 'vitest';
import type { RoomSummary } from '../src/protocol/index.js';
import { activeRoom, chat, createTestApp, type TestApp } from './support/test-app.js';

/** The rooms a fresh socket of `userId` is told about in its `list-room` notice. */
async function listRooms(t: TestApp, userId: string): Promise<RoomSummary[]> {
  const socket = await t.connect(userId);
  const notice = await socket.waitForPrivate('list-room');
  socket.close();
  return notice.data.rooms;
}

describe('read receipts (SPEC §9)', () => {
  it('acks the reader and sends the receipt to every socket of the other member only', async () => {
    const { t, c, v } = await chat();
    const c2 = await t.connect('c1');
    const v2 = await t.connect('v1');
    const sent = await v.request('message', { roomToken: 'tok', message: 'hello' });
    const messageId = sent.data.message._id;

    const ack = await c.request('read', { roomToken: 'tok', messageId });
    expect(ack).toEqual({ success: true });
    for (const socket of [v, v2]) {
      const receipt = await socket.waitFor('read');
      expect(receipt).toEqual({ success: true, roomToken: 'tok', userId: 'c1', messageId, dt: expect.any(String) });
      expect(new Date(receipt.dt).toISOString()).toBe(receipt.dt);
    }
    await Promise.all([c.barrier(), c2.barrier()]);
    expect([...c.all('read'), ...c2.all('read')]).toEqual([]);
  });

  it('refuses a non-member with forbidden and sends nobody a receipt', async () => {
    const { t, c, v } = await chat();
    const sent = await c.request('message', { roomToken: 'tok', message: 'hi' });
    const stranger = await t.connect('x9');
    const res = await stranger.request('read', { roomToken: 'tok', messageId: sent.data.message._id });
    expect(res).toMatchObject({ success: false, error: { code: 'forbidden' } });
    await Promise.all([c.barrier(), v.barrier(), stranger.barrier()]);
    expect([...c.all('read'), ...v.all('read'), ...stranger.all('read')]).toEqual([]);
  });

  it('answers not_found for an unknown messageId or room, invalid_payload for a bad shape', async () => {
    const { c, v } = await chat();
    const unknown = await c.request('read', { roomToken: 'tok', messageId: '01ZZZZZZZZZZZZZZZZZZZZZZZZ' });
    expect(unknown).toMatchObject({ success: false, error: { code: 'not_found' } });
    const noRoom = await c.request('read', { roomToken: 'nope', messageId: '01ZZZZZZZZZZZZZZZZZZZZZZZZ' });
    expect(noRoom).toMatchObject({ success: false, error: { code: 'not_found' } });
    const bad = await c.request('read', { roomToken: 'tok' });
    expect(bad).toMatchObject({ success: false, error: { code: 'invalid_payload' } });
    await v.barrier();
    expect(v.all('read')).toEqual([]);
  });

  it('rejects a message of another room as not_found', async () => {
    const { t, c, v } = await chat();
    const v2 = await t.connect('v2');
    await activeRoom(c, v2, 'c1', 'v2', 'other');
    const elsewhere = await v2.request('message', { roomToken: 'other', message: 'x' });
    const res = await c.request('read', { roomToken: 'tok', messageId: elsewhere.data.message._id });
    expect(res).toMatchObject({ success: false, error: { code: 'not_found' } });
    await v.barrier();
    expect(v.all('read')).toEqual([]);
  });
});

describe('list-room summaries (SPEC §9)', () => {
  it('counts only the other member’s messages after the caller’s last read', async () => {
    const { t, c, v } = await chat();
    const ids: string[] = [];
    for (const text of ['v-1', 'v-2', 'v-3']) ids.push((await v.request('message', { roomToken: 'tok', message: text })).data.message._id);
    await c.request('message', { roomToken: 'tok', message: 'c-own' });

    expect((await listRooms(t, 'c1'))[0]).toMatchObject({ roomToken: 'tok', unread: 3 });
    expect((await listRooms(t, 'v1'))[0]).toMatchObject({ roomToken: 'tok', unread: 1 });

    expect(await c.request('read', { roomToken: 'tok', messageId: ids[1] })).toEqual({ success: true });
    expect((await listRooms(t, 'c1'))[0]!.unread).toBe(1);
    await c.request('read', { roomToken: 'tok', messageId: ids[2] });
    expect((await listRooms(t, 'c1'))[0]!.unread).toBe(0);
    // Reading an older message never moves the mark back.
    await c.request('read', { roomToken: 'tok', messageId: ids[0] });
    expect((await listRooms(t, 'c1'))[0]!.unread).toBe(0);
    expect((await listRooms(t, 'v1'))[0]!.unread).toBe(1);
    // The sender sees how far the counterpart has read (read ticks survive a reload).
    expect((await listRooms(t, 'v1'))[0]!.counterpart.lastReadId).toBe(ids[2]);
    expect((await listRooms(t, 'c1'))[0]!.counterpart.lastReadId).toBeNull();
  });

  it('carries lastMessage (null before the first one) and the counterpart', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const [empty] = await listRooms(t, 'c1');
    expect(empty?.lastMessage ?? null).toBeNull();
    expect(empty).toMatchObject({ unread: 0, counterpart: { userId: 'v1', online: true, lastSeen: null } });

    await c.request('message', { roomToken: 'tok', message: 'first' });
    const last = (await v.request('message', { roomToken: 'tok', message: 'second' })).data.message;
    expect((await listRooms(t, 'c1'))[0]!.lastMessage).toEqual(last);

    v.close();
    await c.waitForPrivate('offline', (p) => p.userId === 'v1');
    const [after] = await listRooms(t, 'c1');
    expect(after!.counterpart).toMatchObject({ userId: 'v1', online: false });
    expect(new Date(after!.counterpart.lastSeen!).toISOString()).toBe(after!.counterpart.lastSeen);
  });

  it('orders rooms by latest activity: last message dt, else createdAt, newest first', async () => {
    // Every reading of this clock is a second later, so no two rooms or messages share a millisecond.
    let now = Date.UTC(2024, 0, 1);
    const t = await createTestApp({}, { clock: { now: () => (now += 1000) } });
    const c = await t.connect('c1');
    const vendors = await Promise.all(['va', 'vb', 'vc'].map((id) => t.connect(id)));
    for (const [i, id] of ['va', 'vb', 'vc'].entries()) await activeRoom(c, vendors[i]!, 'c1', id, `room-${id}`);
    expect((await listRooms(t, 'c1')).map((r) => r.roomToken)).toEqual(['room-vc', 'room-vb', 'room-va']);

    await vendors[0]!.request('message', { roomToken: 'room-va', message: 'bump a' });
    expect((await listRooms(t, 'c1')).map((r) => r.roomToken)).toEqual(['room-va', 'room-vc', 'room-vb']);
    await c.request('message', { roomToken: 'room-vb', message: 'bump b' });
    expect((await listRooms(t, 'c1')).map((r) => r.roomToken)).toEqual(['room-vb', 'room-va', 'room-vc']);
  });
});
