import { describe, expect, it } from 'vitest';
import { activeRoom, createTestApp, type TestApp } from './support/test-app.js';

async function seeded(count: number) {
  const t = await createTestApp();
  const c = await t.connect('c1');
  const v = await t.connect('v1');
  await activeRoom(c, v, 'c1', 'v1', 'tok');
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await c.request('message', { roomToken: 'tok', message: `m${i}` })).data.message._id);
  return { t, ids };
}

async function get(t: TestApp, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.url}/v1/chat/?${query}`, { headers });
  return { status: res.status, body: await res.json() };
}

describe('history over HTTP (SPEC §7)', () => {
  it('pages newest first with defaults, totals and clamping', async () => {
    const { t, ids } = await seeded(12);
    const newest = [...ids].reverse();
    const first = await get(t, 'roomToken=tok&namespace=customer');
    expect(first.status).toBe(200);
    expect(first.body.success).toBe(true);
    expect(first.body.data).toMatchObject({ page: 1, limit: 5, total: 12, totalPages: 3 });
    expect(first.body.data.messages.map((m: any) => m._id)).toEqual(newest.slice(0, 5));
    const third = await get(t, 'roomToken=tok&namespace=customer&page=3');
    expect(third.body.data.messages.map((m: any) => m._id)).toEqual(newest.slice(10));
    expect((await get(t, 'roomToken=tok&namespace=customer&page=0')).body.data.page).toBe(1);
    expect((await get(t, 'roomToken=tok&namespace=customer&limit=1')).body.data.limit).toBe(5);
    const big = await get(t, 'roomToken=tok&namespace=customer&limit=500');
    expect(big.body.data).toMatchObject({ limit: 20, totalPages: 1 });
    expect(big.body.data.messages).toHaveLength(12);
    const past = await get(t, 'roomToken=tok&namespace=customer&page=99999999999999999999');
    expect(past.status).toBe(200);
    expect(past.body.data.messages).toEqual([]);
  });

  it('reports an empty room as totalPages 0', async () => {
    const { t } = await seeded(0);
    const res = await get(t, 'roomToken=tok&namespace=customer');
    expect(res.body.data).toEqual({ messages: [], page: 1, limit: 5, total: 0, totalPages: 0 });
  });

  it('answers 400 invalid_payload for missing or non-integer parameters', async () => {
    const { t } = await seeded(1);
    for (const q of ['namespace=customer', 'roomToken=tok', 'roomToken=tok&namespace=customer&page=1.5', 'roomToken=tok&namespace=customer&limit=-1', 'roomToken=tok&namespace=customer&page=abc', 'roomToken=tok&namespace=customer&page=1&page=2']) {
      const res = await get(t, q);
      expect(res.status, q).toBe(400);
      expect(res.body, q).toEqual({ success: false, error: { code: 'invalid_payload', message: expect.any(String) } });
    }
  });

  it('answers 404 not_found for an unknown room or namespace', async () => {
    const { t } = await seeded(1);
    expect((await get(t, 'roomToken=nope&namespace=customer')).status).toBe(404);
    const ns = await get(t, 'roomToken=tok&namespace=nope');
    expect(ns.status).toBe(404);
    expect(ns.body.error.code).toBe('not_found');
    expect((await get(t, 'roomToken=tok&namespace=artisans')).status).toBe(404);
  });

  it('pages by cursor with before and after, stable while new messages arrive', async () => {
    const { t, ids } = await seeded(12);
    const newest = [...ids].reverse();
    const one = await get(t, `roomToken=tok&namespace=customer&before=${newest[0]}&limit=5`);
    expect(one.body.data.messages.map((m: any) => m._id)).toEqual(newest.slice(1, 6));
    expect(one.body.data.nextCursor).toBe(newest[5]);
    const c = await t.connect('c1');
    await c.request('message', { roomToken: 'tok', message: 'late' });
    const two = await get(t, `roomToken=tok&namespace=customer&before=${one.body.data.nextCursor}&limit=5`);
    expect(two.body.data.messages.map((m: any) => m._id)).toEqual(newest.slice(6, 11));
    const last = await get(t, `roomToken=tok&namespace=customer&before=${two.body.data.nextCursor}&limit=5`);
    expect(last.body.data.messages.map((m: any) => m._id)).toEqual(newest.slice(11));
    expect(last.body.data.nextCursor).toBeNull();
    const after = await get(t, `roomToken=tok&namespace=customer&after=${ids[0]}&limit=5`);
    expect(after.body.data.messages.map((m: any) => m._id)).toEqual(ids.slice(1, 6).reverse());
    expect(after.body.data.nextCursor).toBe(ids[5]);
  });

  it('serves the OpenAPI document with /v1/chat/', async () => {
    const { t } = await seeded(0);
    const doc = await (await fetch(`${t.url}/docs/json`)).json();
    expect(doc.paths['/v1/chat/']).toBeDefined();
  });
});
