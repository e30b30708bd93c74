import { describe, expect, it } from 'vitest';
import { chat } from './support/test-app.js';

describe('react (§13)', () => {
  it('toggles reactions into an aggregated map, sent as message-updated only when something changed', async () => {
    const { t, c, v } = await chat();
    const sent = (await c.request('message', { roomToken: 'tok', message: 'nice bowl' })).data.message;
    const react = (socket: typeof c, emoji: string, on?: boolean) =>
      socket.request('react', { roomToken: 'tok', messageId: sent._id, emoji, ...(on === undefined ? {} : { on }) });
    expect((await react(v, '👍')).data.message.reactions).toEqual({ '👍': ['v1'] });
    expect((await react(c, '👍')).data.message.reactions).toEqual({ '👍': ['v1', 'c1'] });
    expect((await react(c, '❤️')).data.message.reactions).toEqual({ '👍': ['v1', 'c1'], '❤️': ['c1'] });
    const again = await react(c, '❤️');
    expect(again.data.message.reactions).toEqual({ '👍': ['v1', 'c1'], '❤️': ['c1'] });
    expect((await react(v, '👍', false)).data.message.reactions).toEqual({ '👍': ['c1'], '❤️': ['c1'] });
    await react(c, '👍', false);
    const cleared = await react(c, '❤️', false);
    expect('reactions' in cleared.data.message).toBe(false);
    await c.barrier();
    await v.barrier();
    // Six changes, the repeated ❤️ none.
    expect(v.all('message-updated')).toHaveLength(6);
    expect(c.all('message-updated')).toHaveLength(6);
    expect(v.all('message-updated').at(-1)).toEqual(cleared.data.message);
    await react(v, '🔥');
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.messages[0].reactions).toEqual({ '🔥': ['v1'] });
  });

  it('keeps every reaction when many arrive at once', async () => {
    const { t, c, v } = await chat();
    const sent = (await c.request('message', { roomToken: 'tok', message: 'popular' })).data.message;
    const emojis = ['😀', '😎', '🎉', '👏', '🙏', '💯', '✨', '🌟'];
    await Promise.all(emojis.flatMap((emoji) => [c, v].map((s) => s.request('react', { roomToken: 'tok', messageId: sent._id, emoji }))));
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    const reactions = history.data.messages[0].reactions;
    expect(Object.keys(reactions).sort()).toEqual([...emojis].sort());
    for (const emoji of emojis) expect([...reactions[emoji]].sort()).toEqual(['c1', 'v1']);
  });

  it('refuses non-members, bad emoji, deleted messages and pending rooms', async () => {
    const { t, c, v } = await chat();
    const sent = (await c.request('message', { roomToken: 'tok', message: 'x' })).data.message;
    const s = await t.connect('stranger');
    const react = (socket: typeof c, payload: object) => socket.request('react', { roomToken: 'tok', messageId: sent._id, emoji: '👍', ...payload });
    expect((await react(s, {})).error.code).toBe('forbidden');
    for (const emoji of ['', 'a b', 'x'.repeat(17), ' ', '\u0000', '\uDC00']) expect((await react(c, { emoji })).error.code).toBe('invalid_payload');
    expect((await react(c, { on: 'yes' })).error.code).toBe('invalid_payload');
    expect((await react(c, { messageId: '01ZZZZZZZZZZZZZZZZZZZZZZZZ' })).error.code).toBe('not_found');
    await c.request('join-room', { customerID: 'c1', vendorID: 'v9', roomToken: 'pend' });
    // A pending room holds no member messages: the message is not found there (not_found comes first).
    expect((await react(c, { roomToken: 'pend' })).error.code).toBe('not_found');
    await c.request('delete-message', { roomToken: 'tok', messageId: sent._id });
    expect((await react(v, {})).error.code).toBe('not_found');
    await v.barrier();
    expect(v.all('message-updated')).toHaveLength(1); // the delete only
  });
});
