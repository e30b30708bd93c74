import { describe, expect, it } from 'vitest';
import { activeRoom, chat, createTestApp } from './support/test-app.js';

describe('message (SPEC §5)', () => {
  it('stores, acks and delivers the exact Message shape to every socket of both members', async () => {
    const { t, c, v, room } = await chat();
    const c2 = await t.connect('c1');
    const v2 = await t.connect('v1');
    const ack = await c.request('message', { roomToken: 'tok', message: '  hi <b>there</b>  ', type: 'text', clientMsgId: 'm-1' });
    expect(ack.success).toBe(true);
    const message = ack.data.message;
    expect(Object.keys(message).sort()).toEqual(
      ['_id', 'clientMsgId', 'dt', 'message', 'message_type', 'receiverId', 'roomToken', 'room_id', 'senderId'].sort(),
    );
    expect(message).toMatchObject({
      message: '  hi <b>there</b>  ',
      message_type: 'text',
      senderId: 'c1',
      receiverId: 'v1',
      room_id: room._id,
      roomToken: 'tok',
      clientMsgId: 'm-1',
    });
    expect(new Date(message.dt).toISOString()).toBe(message.dt);
    for (const socket of [c, c2, v, v2]) expect(await socket.waitFor('message')).toEqual(message);
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.messages).toEqual([message]);
  });

  it('omits clientMsgId when none was sent and defaults type to text', async () => {
    const { c } = await chat();
    const ack = await c.request('message', { roomToken: 'tok', message: 'x' });
    expect(ack.data.message.message_type).toBe('text');
    expect('clientMsgId' in ack.data.message).toBe(false);
  });

  it('accepts media URLs and refuses other schemes or non-URLs', async () => {
    const { c } = await chat();
    for (const type of ['image', 'vdo', 'audio']) {
      const ok = await c.request('message', { roomToken: 'tok', type, message: `https://cdn.example.com/a.${type}` });
      expect(ok.data.message.message_type).toBe(type);
    }
    for (const bad of ['javascript:alert(1)', 'data:image/png;base64,AAAA', 'not a url', 'ftp://x/y', `https://x.com/${'a'.repeat(2048)}`]) {
      const res = await c.request('message', { roomToken: 'tok', type: 'image', message: bad });
      expect(res).toMatchObject({ success: false, error: { code: 'invalid_payload' } });
    }
  });

  it('checks text length after trimming, against maxMessageLength', async () => {
    const t = await createTestApp({ maxMessageLength: 10 });
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    expect((await c.request('message', { roomToken: 'tok', message: '   ' })).error.code).toBe('invalid_payload');
    expect((await c.request('message', { roomToken: 'tok', message: 'x'.repeat(11) })).error.message).toMatch(/1–10 characters/);
    expect((await c.request('message', { roomToken: 'tok', message: `  ${'x'.repeat(10)}  ` })).success).toBe(true);
    expect((await c.request('message', { roomToken: 'tok', message: 'hi', type: 'gif' })).error.code).toBe('invalid_payload');
  });

  it('returns the original for a repeated clientMsgId and stores or broadcasts nothing twice', async () => {
    const { t, c, v } = await chat();
    const first = await c.request('message', { roomToken: 'tok', message: 'one', clientMsgId: 'dup' });
    const again = await c.request('message', { roomToken: 'tok', message: 'two', clientMsgId: 'dup' });
    expect(again).toEqual(first);
    // Concurrent retries land in one batch: still one message.
    const burst = await Promise.all([1, 2, 3].map((n) => c.request('message', { roomToken: 'tok', message: `b${n}`, clientMsgId: 'burst' })));
    expect(new Set(burst.map((b) => b.data.message._id)).size).toBe(1);
    // Another sender may use the same clientMsgId.
    const theirs = await v.request('message', { roomToken: 'tok', message: 'v', clientMsgId: 'dup' });
    expect(theirs.data.message._id).not.toBe(first.data.message._id);
    await v.barrier();
    expect(v.all('message').filter((m) => m.clientMsgId === 'dup' && m.senderId === 'c1')).toHaveLength(1);
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer&limit=20`)).json();
    expect(history.data.total).toBe(3);
  });

  it('uses the only active room when roomToken is omitted, else room_required', async () => {
    const { t, c, v } = await chat();
    const ack = await c.request('message', { message: 'implicit' });
    expect(ack.data.message.roomToken).toBe('tok');
    await c.request('join-room', { customerID: 'c1', vendorID: 'v2', roomToken: 'pending' });
    expect((await c.request('message', { message: 'still one active' })).success).toBe(true);
    const v2 = await t.connect('v2');
    await v2.request('accept-room', { roomToken: 'pending' });
    expect((await c.request('message', { message: 'two active' })).error.code).toBe('room_required');
    const lonely = await t.connect('nobody');
    expect((await lonely.request('message', { message: 'no rooms' })).error.code).toBe('room_required');
    expect(v).toBeDefined();
  });

  it('refuses unknown rooms, strangers and pending rooms', async () => {
    const { t, c } = await chat();
    const s = await t.connect('stranger');
    expect((await s.request('message', { roomToken: 'nope', message: 'x' })).error.code).toBe('not_found');
    expect((await s.request('message', { roomToken: 'tok', message: 'x' })).error.code).toBe('forbidden');
    await c.request('join-room', { customerID: 'c1', vendorID: 'v2', roomToken: 'pend' });
    expect((await c.request('message', { roomToken: 'pend', message: 'x' })).error.code).toBe('room_not_active');
  });

  it('keeps _id, dt, history and delivery order in agreement', async () => {
    const { t, c, v } = await chat();
    const sent = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? v : c).request('message', { roomToken: 'tok', message: `m${i}` })),
    );
    const ids = sent.map((s) => s.data.message._id);
    await c.barrier();
    const delivered = c.all('message').map((m) => m._id);
    expect(delivered).toHaveLength(30);
    expect([...delivered].sort()).toEqual(delivered);
    const dts = c.all('message').map((m) => m.dt);
    expect([...dts].sort()).toEqual(dts);
    const res = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer&limit=20&page=1`)).json();
    const page2 = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer&limit=20&page=2`)).json();
    const historyIds = [...res.data.messages, ...page2.data.messages].map((m: any) => m._id).reverse();
    expect(historyIds).toEqual(delivered);
    expect(new Set(ids)).toEqual(new Set(delivered));
  });
});

describe('typing (SPEC §5)', () => {
  it('reaches every socket of the other member and none of the sender', async () => {
    const { t, c, v } = await chat();
    const c2 = await t.connect('c1');
    const v2 = await t.connect('v1');
    expect(await c.request('typing', { roomToken: 'tok' })).toEqual({ success: true });
    const notice = { success: true, typing: true, roomToken: 'tok', userId: 'c1' };
    expect(await v.waitFor('typing')).toEqual(notice);
    expect(await v2.waitFor('typing')).toEqual(notice);
    await c.barrier();
    await c2.barrier();
    expect([...c.all('typing'), ...c2.all('typing')]).toEqual([]);
  });

  it('follows the room rules of message', async () => {
    const { t, c, v } = await chat();
    expect(await c.request('typing', {})).toEqual({ success: true });
    await v.waitFor('typing');
    const s = await t.connect('stranger');
    expect((await s.request('typing', { roomToken: 'tok' })).error.code).toBe('forbidden');
    expect((await s.request('typing', { roomToken: 'nope' })).error.code).toBe('not_found');
    expect((await s.request('typing', {})).error.code).toBe('room_required');
    await c.request('join-room', { customerID: 'c1', vendorID: 'v2', roomToken: 'pend' });
    expect((await c.request('typing', { roomToken: 'pend' })).error.code).toBe('room_not_active');
    await v.barrier();
    expect(v.all('typing')).toHaveLength(1);
  });
});
