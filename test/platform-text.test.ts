import { describe, expect, it } from 'vitest';
import { platformApp } from './support/platform.js';

// JSON escapes, so the server's JSON parser produces the very characters (a NUL, a lone surrogate).
const NUL = '\\u0000';
const LONE = '\\ud800';

describe('platform bodies: text that cannot be stored identically (§5, §10)', () => {
  it('answers 400 invalid_payload naming the field for U+0000 and unpaired surrogates, on every backend', async () => {
    const t = await platformApp();
    await t.api.putRoom('customer', 'tok', { customerID: 'c1', vendorID: 'v1' });
    const cases: Array<[string, string, string, string]> = [
      ['POST', 'rooms/customer/tok/messages', `{"message":"a${NUL}b"}`, 'message'],
      ['POST', 'rooms/customer/tok/messages', `{"message":"a${LONE}"}`, 'message'],
      ['POST', 'rooms/customer/tok/messages', `{"message":"hi","senderId":"c1","clientMsgId":"x${NUL}"}`, 'clientMsgId'],
      ['POST', 'rooms/customer/tok/messages', `{"message":"${LONE}hi","senderId":"c1"}`, 'message'],
      ['POST', 'rooms/customer/tok/close', `{"reason":"r${LONE}"}`, 'reason'],
      ['PUT', 'users/customer/c1/ban', `{"reason":"r${NUL}"}`, 'reason'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await t.raw(method, path, body);
      expect({ body, status: res.status, code: res.body?.error?.code }).toEqual({ body, status: 400, code: 'invalid_payload' });
      expect(res.body.error.message).toContain(field);
    }
    // Nothing was stored, closed or banned; a well-formed pair of surrogates (an emoji) is fine.
    expect((await t.api.history('customer', 'tok')).messages).toEqual([]);
    expect((await t.api.getRoom('customer', 'tok')).room.status).toBe('active');
    const ok = await t.raw('POST', 'rooms/customer/tok/messages', `{"message":"ok \\ud83d\\ude00","clientMsgId":"m1"}`);
    expect(ok.status).toBe(201);
    expect(ok.body.data.message.message).toBe('ok 😀');
    // `data` is stored as JSON text, where these characters are escapes: kept as sent on every backend.
    const card = await t.raw('POST', 'rooms/customer/tok/messages', `{"message":"card","data":{"k":"a${NUL}${LONE}"}}`);
    expect(card.status).toBe(201);
    expect((await t.api.history('customer', 'tok')).messages[0]!.data).toEqual({ k: 'a\u0000\ud800' });
  });
});
