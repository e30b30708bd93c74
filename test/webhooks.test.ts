import { describe, expect, it } from 'vitest';
import { activeRoom, createTestApp } from './support/test-app.js';
import { TEST_WEBHOOK_SECRET, WebhookReceiver } from './support/webhook-receiver.js';

async function hookedApp(receiver: WebhookReceiver, extra: Record<string, unknown> = {}) {
  return createTestApp({
    webhookUrls: [receiver.url],
    webhookSecret: TEST_WEBHOOK_SECRET,
    webhookRetryBaseMs: 50,
    webhookPollMs: 50,
    webhookTimeoutMs: 1000,
    ...extra,
  });
}

describe('webhooks', () => {
  it('sends room.created, room.accepted and message.created, signed as Standard Webhooks verify them', async () => {
    const receiver = await WebhookReceiver.start();
    const t = await hookedApp(receiver);
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const ack = await c.request('message', { roomToken: 'tok', message: 'hello' });
    const created = await receiver.waitFor('message.created');
    expect(created.body.data).toEqual({ namespace: 'customer', message: ack.data.message });
    const types = (await receiver.until((all) => all.length >= 3 && all)).map((h) => h.body.type);
    expect(types).toEqual(['room.created', 'room.accepted', 'message.created']);
    for (const hook of receiver.received) {
      expect(receiver.verify(hook)).toEqual(hook.body);
      expect(hook.headers['content-type']).toBe('application/json');
    }
    expect(() => receiver.verify(created, `whsec_${Buffer.from('another-secret-of-enough-bytes').toString('base64')}`)).toThrow();
  });
});
