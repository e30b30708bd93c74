import { describe, expect, it } from 'vitest';
import { chat } from './support/test-app.js';

describe('replyTo on message (§13)', () => {
  it('stores and delivers replyTo, in history too', async () => {
    const { t, c, v } = await chat();
    const question = (await c.request('message', { roomToken: 'tok', message: 'Is it oak?' })).data.message;
    const answer = (await v.request('message', { roomToken: 'tok', message: 'Yes', replyTo: question._id })).data.message;
    expect(answer.replyTo).toBe(question._id);
    expect(await c.waitFor('message', (m) => m._id === answer._id)).toEqual(answer);
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.messages[0]).toEqual(answer);
    expect('replyTo' in question).toBe(false);
    // "" and null mean no reply.
    expect('replyTo' in (await c.request('message', { roomToken: 'tok', message: 'a', replyTo: '' })).data.message).toBe(false);
    expect('replyTo' in (await c.request('message', { roomToken: 'tok', message: 'b', replyTo: null })).data.message).toBe(false);
  });

  it('refuses a replyTo outside the room with not_found, and stores nothing', async () => {
    const { t, c, v } = await chat();
    await c.request('join-room', { customerID: 'c1', vendorID: 'v2', roomToken: 'other' });
    const v2 = await t.connect('v2');
    await v2.request('accept-room', { roomToken: 'other' });
    const elsewhere = (await v2.request('message', { roomToken: 'other', message: 'elsewhere' })).data.message;
    const res = await c.request('message', { roomToken: 'tok', message: 'reply', replyTo: elsewhere._id });
    expect(res.error.code).toBe('not_found');
    expect((await c.request('message', { roomToken: 'tok', message: 'reply', replyTo: '01ZZZZZZZZZZZZZZZZZZZZZZZZ' })).error.code).toBe('not_found');
    expect((await c.request('message', { roomToken: 'tok', message: 'reply', replyTo: 42 })).error.code).toBe('invalid_payload');
    await v.barrier();
    expect(v.all('message')).toEqual([]);
  });
});
