import { describe, expect, it } from 'vitest';
import { activeRoom, chat, createTestApp } from './support/test-app.js';

describe('edit-message (§13)', () => {
  it('replaces the text, sets editedAt and sends message-updated to every socket of both members', async () => {
    const { t, c, v } = await chat();
    const c2 = await t.connect('c1');
    const sent = (await c.request('message', { roomToken: 'tok', message: 'helo', clientMsgId: 'e1' })).data.message;
    const ack = await c.request('edit-message', { roomToken: 'tok', messageId: sent._id, message: 'hello' });
    expect(ack.success).toBe(true);
    const edited = ack.data.message;
    expect(edited).toMatchObject({ _id: sent._id, dt: sent.dt, message: 'hello', clientMsgId: 'e1', senderId: 'c1' });
    expect(new Date(edited.editedAt).toISOString()).toBe(edited.editedAt);
    for (const socket of [c, c2, v]) expect(await socket.waitFor('message-updated')).toEqual(edited);
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.messages).toEqual([edited]);
    const sync = await v.request('sync', { roomToken: 'tok' });
    expect(sync.data.messages).toEqual([edited]);
  });

  it('refuses the other member, strangers, unknown and media messages, and bad text', async () => {
    const { t, c, v } = await chat();
    const sent = (await c.request('message', { roomToken: 'tok', message: 'mine' })).data.message;
    const image = (await c.request('message', { roomToken: 'tok', type: 'image', message: 'https://cdn.example.com/a.png' })).data.message;
    const s = await t.connect('stranger');
    const edit = (socket: typeof c, payload: object) => socket.request('edit-message', { roomToken: 'tok', messageId: sent._id, message: 'x', ...payload });
    expect((await edit(v, {})).error.code).toBe('forbidden');
    expect((await edit(s, {})).error.code).toBe('forbidden');
    expect((await edit(c, { messageId: '01ZZZZZZZZZZZZZZZZZZZZZZZZ' })).error.code).toBe('not_found');
    expect((await edit(c, { roomToken: 'nope' })).error.code).toBe('not_found');
    expect((await edit(c, { messageId: image._id })).error.code).toBe('invalid_payload');
    expect((await edit(c, { message: '   ' })).error.code).toBe('invalid_payload');
    expect((await edit(c, { message: 'x'.repeat(4001) })).error.code).toBe('invalid_payload');
    expect((await edit(c, { message: 'nul\u0000' })).error.code).toBe('invalid_payload');
    expect((await edit(c, { message: 'half \uD800 pair' })).error.code).toBe('invalid_payload');
    expect((await c.request('edit-message', { roomToken: 'tok', messageId: sent._id })).error.code).toBe('invalid_payload');
    await v.barrier();
    expect(v.all('message-updated')).toEqual([]);
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.messages.find((m: any) => m._id === sent._id)).toEqual(sent);
  });

  it('refuses edits after editWindowMs (fake clock) and after deletion', async () => {
    let now = Date.parse('2026-01-01T10:00:00.000Z');
    const t = await createTestApp({ editWindowMs: 60_000 }, { clock: { now: () => now } });
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const sent = (await c.request('message', { roomToken: 'tok', message: 'one' })).data.message;
    now += 60_000;
    expect((await c.request('edit-message', { roomToken: 'tok', messageId: sent._id, message: 'in time' })).success).toBe(true);
    now += 1;
    const late = await c.request('edit-message', { roomToken: 'tok', messageId: sent._id, message: 'too late' });
    expect(late.error.code).toBe('forbidden');
    const fresh = (await c.request('message', { roomToken: 'tok', message: 'two' })).data.message;
    await c.request('delete-message', { roomToken: 'tok', messageId: fresh._id });
    expect((await c.request('edit-message', { roomToken: 'tok', messageId: fresh._id, message: 'x' })).error.code).toBe('not_found');
  });
});
