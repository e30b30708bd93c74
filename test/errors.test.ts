import { describe, expect, it } from 'vitest';
import { activeRoom, createTestApp } from './support/test-app.js';

describe('errors (SPEC §6)', () => {
  it('sends a failure without ack to private, naming the event, and keeps the socket', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    c.send('message', { roomToken: 'nope', message: 'x' });
    const notice = await c.waitForPrivate('message');
    expect(notice).toEqual({ event: 'message', success: false, error: { code: 'not_found', message: expect.any(String) } });
    c.send('join-room', 'not an object');
    expect((await c.waitForPrivate('join-room')).error.code).toBe('invalid_payload');
    expect(c.socket.connected).toBe(true);
    expect((await c.request('join-room', { customerID: 'c1', vendorID: 'v1', roomToken: 't' })).success).toBe(true);
  });

  it('names the bad field in invalid_payload', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const res = await c.request('join-room', { customerID: 'c1', roomToken: 't' });
    expect(res.error.code).toBe('invalid_payload');
    expect(res.error.message).toMatch(/vendorID/);
    for (const payload of [null, undefined, 42, [], 'x', { customerID: {}, vendorID: [], roomToken: null }]) {
      expect((await c.request('join-room', payload)).error.code).toBe('invalid_payload');
    }
    expect((await c.request('join-room', { customerID: 'c1', vendorID: 'v1', roomToken: 'a\u0000b' })).error.code).toBe('invalid_payload');
    expect((await c.request('join-room', { customerID: 'c1', vendorID: 'v1', roomToken: 'x'.repeat(129) })).error.code).toBe('invalid_payload');
  });

  it('answers an unknown event with an ack, and ignores it without one', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const res = await c.request('delete-everything', {});
    expect(res).toEqual({ success: false, error: { code: 'invalid_payload', message: expect.stringContaining('delete-everything') } });
    c.send('delete-everything', {});
    await c.barrier();
    expect(c.all('private', (p) => p.success === false)).toEqual([]);
  });

  it('applies the precedence order: invalid_payload, forbidden, not_found, room_token_taken, room_not_active', async () => {
    const t = await createTestApp();
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    // invalid shape beats everything else
    expect((await c.request('join-room', { customerID: 'x', vendorID: 'x', roomToken: 'tok' })).error.code).toBe('invalid_payload');
    // forbidden (caller not in the named pair) beats room_token_taken
    expect((await c.request('join-room', { customerID: 'c9', vendorID: 'v1', roomToken: 'tok' })).error.code).toBe('forbidden');
    // forbidden (named pair) beats not_found on accept
    expect((await c.request('accept-room', { customerID: 'c9', vendorID: 'v9', roomToken: 'nope' })).error.code).toBe('forbidden');
  });

  it('answers rate_limited when a bucket is empty, and the socket stays up', async () => {
    const t = await createTestApp({ rateLimits: { message: { points: 3, durationSeconds: 60 } } });
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await c.request('message', { roomToken: 'tok', message: `m${i}` }));
    expect(results.map((r) => r.success)).toEqual([true, true, true, false, false]);
    expect(results[3].error.code).toBe('rate_limited');
    expect(c.socket.connected).toBe(true);
    // A stranger still gets forbidden, not rate_limited: rate limits come last.
    expect((await c.request('message', { roomToken: 'nope', message: 'x' })).error.code).toBe('not_found');
  });

  it('closes a socket that sends a frame over maxHttpBufferSize, and answers smaller ones', async () => {
    const t = await createTestApp({ maxHttpBufferSize: 8 * 1024 });
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const res = await c.request('message', { roomToken: 'tok', message: 'x'.repeat(7 * 1024) });
    expect(res.success).toBe(false);
    const closed = new Promise((resolve) => c.socket.once('disconnect', resolve));
    c.send('message', { roomToken: 'tok', message: 'x'.repeat(9 * 1024) });
    await closed;
    expect((await v.request('message', { roomToken: 'tok', message: 'still fine' })).success).toBe(true);
  });
});
