import { describe, expect, it } from 'vitest';
import type { Message } from '../src/protocol/index.js';
import type { TestClient } from './support/client.js';
import { activeRoom, createTestApp } from './support/test-app.js';

async function say(client: TestClient, roomToken: string, ...texts: string[]): Promise<Message[]> {
  const out: Message[] = [];
  for (const message of texts) out.push((await client.request('message', { roomToken, message })).data.message);
  return out;
}

/** Calls sync until hasMore is false (bounded), returning every page. */
async function syncAll(client: TestClient, payload: { since?: string; roomToken?: string }, maxPages = 20) {
  const pages: Message[][] = [];
  let since = payload.since;
  for (let i = 0; i < maxPages; i++) {
    const res = await client.request('sync', { ...payload, since });
    expect(res.success).toBe(true);
    pages.push(res.data.messages);
    if (!res.data.hasMore) return pages;
    since = res.data.messages.at(-1)._id;
  }
  throw new Error(`sync did not finish within ${maxPages} pages`);
}

async function twoRooms(overrides = {}) {
  const t = await createTestApp(overrides);
  const c = await t.connect('c1');
  const va = await t.connect('va');
  const vb = await t.connect('vb');
  await activeRoom(c, va, 'c1', 'va', 'room-a');
  await activeRoom(c, vb, 'c1', 'vb', 'room-b');
  return { t, c, va, vb };
}

describe('sync (SPEC §9)', () => {
  it('returns the caller’s messages after `since`, oldest first, across all its rooms', async () => {
    const { c, va, vb } = await twoRooms();
    const [a1, a2] = await say(va, 'room-a', 'a1', 'a2');
    const [b1] = await say(vb, 'room-b', 'b1');
    const [a3] = await say(c, 'room-a', 'a3');

    const res = await c.request('sync', { since: a1!._id });
    expect(res).toEqual({ success: true, data: { messages: [a2, b1, a3], hasMore: false } });
    expect((await c.request('sync', { since: a3!._id })).data).toEqual({ messages: [], hasMore: false });
    expect((await c.request('sync', {})).data.messages).toEqual([a1, a2, b1, a3]);
  });

  it('limits itself to one room when roomToken is given', async () => {
    const { c, va, vb } = await twoRooms();
    const [a1] = await say(va, 'room-a', 'a1');
    await say(vb, 'room-b', 'b1');
    const [a2] = await say(va, 'room-a', 'a2');
    const res = await c.request('sync', { since: '0', roomToken: 'room-a' });
    expect(res.data).toEqual({ messages: [a1, a2], hasMore: false });
  });

  it('pages with hasMore until done, without gaps or repeats', async () => {
    const { c, va, vb } = await twoRooms({ syncPageSize: 3 });
    const sent = [...(await say(va, 'room-a', 'a1', 'a2', 'a3')), ...(await say(vb, 'room-b', 'b1', 'b2')), ...(await say(c, 'room-a', 'a4', 'a5'))];
    const pages = await syncAll(c, { since: '0' });
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(sent);
    // An exact multiple of the page size ends with hasMore: false on the page that holds the last one.
    const fromSecond = await syncAll(c, { since: sent[0]!._id });
    expect(fromSecond.map((p) => p.length)).toEqual([3, 3]);
    expect((await syncAll(c, { since: '0', roomToken: 'room-a' })).flat().map((m) => m.message)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
  });

  it('never returns another user’s rooms, nor another namespace', async () => {
    const { t, c, va } = await twoRooms();
    const [mine] = await say(va, 'room-a', 'mine');
    // The same users in another pair's room, and in the other namespace with the same token.
    const x = await t.connect('x1');
    await activeRoom(x, va, 'x1', 'va', 'room-x');
    await say(x, 'room-x', 'not yours');
    const ca = await t.connect('c1', 'artisans');
    const vaArtisans = await t.connect('va', 'artisans');
    await activeRoom(ca, vaArtisans, 'c1', 'va', 'room-a');
    await say(vaArtisans, 'room-a', 'other namespace');

    expect((await c.request('sync', { since: '0' })).data.messages).toEqual([mine]);
    expect((await c.request('sync', { since: '0', roomToken: 'room-a' })).data.messages).toEqual([mine]);
    const foreign = await c.request('sync', { since: '0', roomToken: 'room-x' });
    expect(foreign).toMatchObject({ success: false, error: { code: 'forbidden' } });
    const missing = await c.request('sync', { since: '0', roomToken: 'no-such-room' });
    expect(missing).toMatchObject({ success: false, error: { code: 'not_found' } });
    expect((await ca.request('sync', { since: '0' })).data.messages.map((m: Message) => m.message)).toEqual(['other namespace']);
  });

  it('refuses a bad payload with invalid_payload', async () => {
    const { c } = await twoRooms();
    for (const payload of [{ since: 42 }, { since: '' }, { roomToken: '' }, 'nope']) {
      const res = await c.request('sync', payload);
      expect(res).toMatchObject({ success: false, error: { code: 'invalid_payload' } });
    }
  });
});
