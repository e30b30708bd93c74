import { describe, expect, it } from 'vitest';
import { fakeClock, hooked } from './support/webhook-app.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

describe('webhook deliveries: giving up (§11)', () => {
  it("gives up 24 hours after each delivery was recorded, in order: a room's backlog behind a failing head fails with it", async () => {
    const receiver = await WebhookReceiver.start();
    receiver.answer = () => 500;
    const clock = fakeClock();
    // No message.unread joins the room's queue when the clock jumps.
    const t = await hooked(receiver, { unreadNotifyDelayMs: 30 * 24 * 60 * 60 * 1000 }, clock);
    await t.api.putRoom('customer', 'r', { customerID: 'c1', vendorID: 'v1' });
    await t.api.postMessage('customer', 'r', { message: 'Order paid' });
    await t.api.postMessage('customer', 'r', { message: 'Order shipped' });
    await receiver.until((all) => all.length >= 2);
    // The head is retried; the two behind it wait, never attempted.
    const queued = await t.api.deliveries({ status: 'pending' });
    expect(queued.map((d) => [d.type, d.attempts > 0])).toEqual([
      ['message.created', false],
      ['message.created', false],
      ['room.created', true],
    ]);

    clock.offset = 25 * 60 * 60 * 1000;
    await expect.poll(async () => (await t.api.deliveries({ status: 'failed' })).length, { timeout: 5000 }).toBe(3);
    expect(await t.api.deliveries({ status: 'pending' })).toEqual([]);
    // Each waiting one got one attempt, in the room's order, before it failed.
    const failed = (await t.api.deliveries({ status: 'failed' })).reverse();
    expect(failed.slice(1).map((d) => d.attempts)).toEqual([1, 1]);
    const order = receiver.received.map((h) => h.id).filter((id, i, all) => all.indexOf(id) === i);
    expect(order).toEqual(failed.map((d) => d.id));
  });
});

describe('webhook deliveries: retry by hand (§10)', () => {
  it('retries only a failed delivery: a delivered or pending one is 400 invalid_payload and is not sent again', async () => {
    const receiver = await WebhookReceiver.start();
    const t = await hooked(receiver, { webhookRetryBaseMs: 60_000 });
    await t.api.putRoom('customer', 'ok', { customerID: 'c1', vendorID: 'v1' });
    await receiver.waitFor('room.created');
    await expect.poll(async () => (await t.api.deliveries({ status: 'delivered' })).length).toBe(1);
    const [delivered] = await t.api.deliveries({ status: 'delivered' });

    receiver.answer = () => 503;
    await t.api.putRoom('customer', 'down', { customerID: 'c2', vendorID: 'v1' });
    await expect.poll(async () => (await t.api.deliveries({ status: 'pending' }))[0]?.attempts).toBe(1);
    const [pending] = await t.api.deliveries({ status: 'pending' });

    const sent = receiver.received.length;
    for (const [delivery, status] of [[delivered!, 'delivered'], [pending!, 'pending']] as const) {
      const res = await t.raw('POST', `webhooks/deliveries/${delivery.id}/retry`);
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({ code: 'invalid_payload', message: expect.stringContaining(`it is ${status}: only a failed delivery`) });
      await expect(t.api.retryDelivery(delivery.id)).rejects.toMatchObject({ code: 'invalid_payload' });
    }
    expect(receiver.received.length).toBe(sent);
    expect((await t.api.deliveries({ status: 'pending' }))[0]).toMatchObject({ id: pending!.id, attempts: 1 });
  });
});
