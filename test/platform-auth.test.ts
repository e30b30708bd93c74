import { describe, expect, it } from 'vitest';
import { API_KEY, platformApp } from './support/platform.js';

describe('platform API key (§10): checked before anything else', () => {
  it('answers 401 for an unknown platform route without a key, 404 with one', async () => {
    const t = await platformApp();
    for (const [method, path] of [['GET', ''], ['GET', 'nope'], ['POST', 'rooms/customer/tok/nope'], ['DELETE', 'webhooks']]) {
      const anonymous = await t.raw(method!, path!, undefined, null);
      expect({ path, status: anonymous.status, code: anonymous.body?.error?.code }).toEqual({ path, status: 401, code: 'unauthorized' });
      expect((await t.raw(method!, path!, undefined, 'wrong-key-0123456789abcdefgh')).status).toBe(401);
      const known = await t.raw(method!, path!);
      expect({ path, status: known.status, code: known.body?.error?.code }).toEqual({ path, status: 404, code: 'not_found' });
    }
    // Outside the platform prefix the app's own 404 is unchanged.
    expect((await fetch(`${t.url}/v1/nope`)).status).toBe(404);
  });

  it('accepts the Bearer scheme in any case (RFC 7235), and nothing but the scheme and the key', async () => {
    const t = await platformApp();
    await t.api.putRoom('customer', 'tok', { customerID: 'c1', vendorID: 'v1' });
    const status = async (authorization: string) =>
      (await fetch(`${t.url}/v1/platform/rooms/customer/tok`, { headers: { authorization } })).status;
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) expect(await status(`${scheme} ${API_KEY}`)).toBe(200);
    for (const bad of [API_KEY, `Basic ${API_KEY}`, `Bearer${API_KEY}`, `Bearer ${API_KEY}x`, 'Bearer ']) expect(await status(bad)).toBe(401);
  });
});
