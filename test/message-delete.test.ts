import { describe, expect, it } from 'vitest';
import { chat } from './support/test-app.js';

describe('delete-message (§13)', () => {
  it('leaves a tombstone in place in history and sync, sent as message-updated to both members', async () => {
    const { t, c, v } = await chat();
    const first = (await c.request('message', { roomToken: 'tok', message: 'first' })).data.message;
    const doomed = (await c.request('message', { roomToken: 'tok', message: 'oops', clientMsgId: 'd1' })).data.message;
    const last = (await v.request('message', { roomToken: 'tok', message: 'last' })).data.message;
    await v.request('react', { roomToken: 'tok', messageId: doomed._id, emoji: '👍' });
    const ack = await c.request('delete-message', { roomToken: 'tok', messageId: doomed._id });
    const tombstone = ack.data.message;
    expect(tombstone).toMatchObject({ _id: doomed._id, dt: doomed.dt, message: '', senderId: 'c1', clientMsgId: 'd1' });
    expect(new Date(tombstone.deletedAt).toISOString()).toBe(tombstone.deletedAt);
    expect('reactions' in tombstone).toBe(false);
    expect(await v.waitFor('message-updated', (m) => m.deletedAt !== undefined)).toEqual(tombstone);
    expect(await c.waitFor('message-updated', (m) => m.deletedAt !== undefined)).toEqual(tombstone);
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.messages.map((m: any) => m._id)).toEqual([last._id, doomed._id, first._id]);
    expect(history.data.messages[1]).toEqual(tombstone);
    expect(history.data.total).toBe(3);
    const sync = await v.request('sync', { since: first._id });
    expect(sync.data.messages).toEqual([tombstone, last]);
    // The same clientMsgId still answers with the message as it is now, and stores nothing new.
    const retry = await c.request('message', { roomToken: 'tok', message: 'oops', clientMsgId: 'd1' });
    expect(retry.data.message).toEqual(tombstone);
  });

  it('list-room shows the last message as it is now: replied to, edited, reacted, then deleted', async () => {
    const { t, c, v } = await chat();
    const first = (await c.request('message', { roomToken: 'tok', message: 'first' })).data.message;
    const last = (await v.request('message', { roomToken: 'tok', message: 'hi', replyTo: first._id })).data.message;
    const lastMessage = async () => (await (await t.connect('c1')).waitForPrivate('list-room')).data.rooms[0].lastMessage;
    await v.request('edit-message', { roomToken: 'tok', messageId: last._id, message: 'hello' });
    const reacted = (await c.request('react', { roomToken: 'tok', messageId: last._id, emoji: '👍' })).data.message;
    expect(reacted).toMatchObject({ message: 'hello', replyTo: first._id, reactions: { '👍': ['c1'] } });
    expect(reacted.editedAt).toBeDefined();
    expect(await lastMessage()).toEqual(reacted);
    const tombstone = (await v.request('delete-message', { roomToken: 'tok', messageId: last._id })).data.message;
    expect(await lastMessage()).toEqual(tombstone);
    expect(tombstone.deletedAt).toBeDefined();
  });

  it('is idempotent: a repeated delete answers with the tombstone and notifies nobody', async () => {
    const { c, v } = await chat();
    const sent = (await c.request('message', { roomToken: 'tok', message: 'x' })).data.message;
    const once = await c.request('delete-message', { roomToken: 'tok', messageId: sent._id });
    const twice = await c.request('delete-message', { roomToken: 'tok', messageId: sent._id });
    expect(twice).toEqual(once);
    await v.barrier();
    expect(v.all('message-updated')).toHaveLength(1);
  });

  it('refuses the other member, strangers and unknown messages', async () => {
    const { t, c, v } = await chat();
    const sent = (await c.request('message', { roomToken: 'tok', message: 'keep' })).data.message;
    const s = await t.connect('stranger');
    expect((await v.request('delete-message', { roomToken: 'tok', messageId: sent._id })).error.code).toBe('forbidden');
    expect((await s.request('delete-message', { roomToken: 'tok', messageId: sent._id })).error.code).toBe('forbidden');
    expect((await c.request('delete-message', { roomToken: 'tok', messageId: '01ZZZZZZZZZZZZZZZZZZZZZZZZ' })).error.code).toBe('not_found');
    expect((await c.request('delete-message', { roomToken: 'tok', messageId: 'nope' })).error.code).toBe('invalid_payload');
    expect((await c.request('delete-message', { roomToken: 'tok' })).error.code).toBe('invalid_payload');
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.messages).toEqual([sent]);
  });
});
