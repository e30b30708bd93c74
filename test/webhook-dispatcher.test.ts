import pino from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startStandaloneDispatcher } from '../src/webhooks/standalone.js';
import { activeRoom } from './support/test-app.js';
import { hooked } from './support/webhook-app.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

describe('webhooks delivered by a dispatcher apart from the chat node (WEBHOOK_DELIVER=false)', () => {
  it('the chat node records and evaluates unread, sends nothing; the dispatcher delivers everything in order', async () => {
    const receiver = await WebhookReceiver.start();
    const t = await hooked(receiver, { webhookDeliver: false, unreadNotifyDelayMs: 0 });
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const sent: Array<{ _id: string }> = [];
    for (const text of ['one', 'two', 'three']) sent.push((await c.request('message', { roomToken: 'tok', message: text })).data.message);
    // PostgreSQL records them with the messages (the outbox); SQLite's dispatcher derives them from the
    // messages table (the feed), so none is listed before one runs.
    const pending = await t.api.deliveries({ status: 'pending', limit: 100 });
    const recordedWithMessages = process.env.PARLEY_TEST_DATABASE === 'postgres';
    expect(pending.filter((d) => d.type === 'message.created')).toHaveLength(recordedWithMessages ? 3 : 0);

    const dispatcher = await startStandaloneDispatcher(t.app.config, pino({ level: 'silent' }));
    onTestFinished(() => dispatcher.close());
    await receiver.waitFor('message.created', (d) => d.message._id === sent[2]!._id);
    const created = receiver.ofType('message.created').map((h) => h.body.data.message);
    expect(created).toEqual(sent);
    expect(receiver.received.slice(0, 2).map((h) => h.body.type)).toEqual(['room.created', 'room.accepted']);
    // The chat node decides message.unread (it knows presence); the dispatcher sends it.
    const unread = await receiver.waitFor('message.unread', (d) => d.userId === 'v1');
    expect(unread.body.data).toMatchObject({ userId: 'v1', online: true });

    expect(await t.app.metrics.text()).not.toMatch(/parley_webhook_attempts_total\{result="delivered"\} [1-9]/);
    expect(await dispatcher.metrics.text()).toMatch(/parley_webhook_attempts_total\{result="delivered"\} [1-9]/);
  });

  it('refuses to start without webhook URLs and a secret', async () => {
    const t = await hooked(await WebhookReceiver.start());
    await expect(startStandaloneDispatcher({ ...t.app.config, webhookUrls: [] }, pino({ level: 'silent' }))).rejects.toThrow(/WEBHOOK_URLS/);
  });
});
