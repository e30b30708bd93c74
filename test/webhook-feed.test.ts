import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { openDeliveryStore, startStandaloneDispatcher } from '../src/webhooks/standalone.js';
import { platformApp } from './support/platform.js';
import { activeRoom, tempDir } from './support/test-app.js';
import { fakeClock, hooked } from './support/webhook-app.js';
import { captureLogs } from './support/log-capture.js';
import { dispatchOptions } from '../src/webhooks/create-webhooks.js';
import { WebhookDispatcher } from '../src/webhooks/dispatcher.js';
import { WebhookSender } from '../src/webhooks/sender.js';
import { TEST_WEBHOOK_SECRET, WebhookReceiver, type ReceivedHook } from './support/webhook-receiver.js';

const silent = pino({ level: 'silent' });
const messageOf = (h: ReceivedHook) => (h.body.data as { message?: { _id: string } }).message?._id;

// On SQLite the messages' events are derived from the messages table by whoever delivers (the feed); on
// PostgreSQL they are recorded with each message. Either way a client sees the same thing.
describe('message events recorded after the fact (SQLite feed) keep their place', () => {
  it('a message edited before any dispatcher looked: message.created still reaches the receiver before message.updated', async () => {
    const receiver = await WebhookReceiver.start();
    const t = await hooked(receiver, { webhookDeliver: false });
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const sent = (await c.request('message', { roomToken: 'tok', message: 'helo' })).data.message;
    expect((await c.request('edit-message', { roomToken: 'tok', messageId: sent._id, message: 'hello' })).success).toBe(true);
    const next = (await v.request('message', { roomToken: 'tok', message: 'hi!' })).data.message;
    // A tool opening the database meanwhile (the migrate command) records nothing and changes nothing.
    const tool = await openStore({ databaseUrl: t.app.config.databaseUrl, sqliteSynchronous: 'NORMAL' });
    await tool.close();

    const dispatcher = await startStandaloneDispatcher(t.app.config, silent);
    onTestFinished(() => dispatcher.close());
    await receiver.waitFor('message.created', (d) => d.message._id === next._id);
    const order = receiver.received.filter((h) => messageOf(h)).map((h) => `${h.body.type} ${messageOf(h)}`);
    expect(order).toEqual([`message.created ${sent._id}`, `message.updated ${sent._id}`, `message.created ${next._id}`]);
    // One webhook-id per event, stable and distinct.
    const ids = receiver.received.map((h) => h.headers['webhook-id']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('webhooks turned on after a time off: no events for the messages sent meanwhile, events again from then on', async () => {
    const dbPath = join(tempDir(), 'parley.db');
    const off = await platformApp({}, { dbPath });
    await off.api.putRoom('customer', 'tok', { customerID: 'c1', vendorID: 'v1' });
    const { message: quiet } = await off.api.postMessage('customer', 'tok', { message: 'sent while webhooks were off' });
    await off.close();

    const receiver = await WebhookReceiver.start();
    const on = await platformApp(
      { webhookUrls: [receiver.url], webhookSecret: TEST_WEBHOOK_SECRET, webhookPollMs: 50 },
      { dbPath },
    );
    const { message: heard } = await on.api.postMessage('customer', 'tok', { message: 'sent with webhooks on' });
    // Events of a room arrive in order, so an event for the earlier message would have come first.
    await receiver.waitFor('message.created', (d) => d.message._id === heard._id);
    expect(receiver.ofType('message.created').map(messageOf)).toEqual([heard._id]);
    expect(receiver.received.some((h) => messageOf(h) === quiet._id)).toBe(false);
  });

  it('a message not yet sent out when the chat node restarts with webhooks off still gets its event once they are on again', async () => {
    const dbPath = join(tempDir(), 'parley.db');
    const receiver = await WebhookReceiver.start();
    const hooks = { webhookUrls: [receiver.url], webhookSecret: TEST_WEBHOOK_SECRET, webhookPollMs: 50 };
    // On, but nobody delivering (WEBHOOK_DELIVER=false and no dispatcher process running).
    const first = await platformApp({ ...hooks, webhookDeliver: false }, { dbPath });
    await first.api.putRoom('customer', 'tok', { customerID: 'c1', vendorID: 'v1' });
    const { message: pending } = await first.api.postMessage('customer', 'tok', { message: 'sent with webhooks on' });
    await first.close();
    const off = await platformApp({}, { dbPath });
    const { message: quiet } = await off.api.postMessage('customer', 'tok', { message: 'sent with webhooks off' });
    await off.close();

    const on = await platformApp(hooks, { dbPath });
    const { message: last } = await on.api.postMessage('customer', 'tok', { message: 'sent with webhooks on again' });
    await receiver.waitFor('message.created', (d) => d.message._id === last._id);
    expect(receiver.ofType('message.created').map(messageOf)).toEqual([pending._id, last._id]);
    expect(receiver.received.some((h) => messageOf(h) === quiet._id)).toBe(false);
  });

  it("a room's later events wait for its messages' events, however long the backlog of other rooms", async () => {
    const receiver = await WebhookReceiver.start();
    const t = await hooked(receiver, { webhookDeliver: false });
    await t.api.putRoom('customer', 'busy', { customerID: 'c1', vendorID: 'v1' });
    // More than a dispatcher pass derives (300), all before room b's message.
    for (let i = 0; i < 310; i++) await t.api.postMessage('customer', 'busy', { message: `m${i}` });
    await t.api.putRoom('customer', 'b', { customerID: 'c2', vendorID: 'v1' });
    const { message } = await t.api.postMessage('customer', 'b', { message: 'order #42 shipped' });
    await t.api.closeRoom('customer', 'b');

    const dispatcher = await startStandaloneDispatcher(t.app.config, silent);
    onTestFinished(() => dispatcher.close());
    await receiver.waitFor('room.closed', (d) => d.room.roomToken === 'b');
    const ofRoomB = receiver.received
      .filter((h) => (h.body.data as { room?: { roomToken: string }; message?: { roomToken: string } }).room?.roomToken === 'b' || messageOf(h) === message._id)
      .map((h) => h.body.type);
    expect(ofRoomB).toEqual(['room.created', 'message.created', 'room.closed']);
  });

  it('a dispatcher process on a database whose chat node runs with webhooks off derives nothing', async () => {
    const dbPath = join(tempDir(), 'parley.db');
    const off = await platformApp({}, { dbPath });
    await off.api.putRoom('customer', 'tok', { customerID: 'c1', vendorID: 'v1' });
    await off.api.postMessage('customer', 'tok', { message: 'sent with webhooks off' });
    const receiver = await WebhookReceiver.start();
    const store = await openDeliveryStore({ ...off.app.config, webhookUrls: [receiver.url], webhookSecret: TEST_WEBHOOK_SECRET }, silent);
    onTestFinished(() => store.close());
    expect((await store.platform.deliveries.collect(1000)).derived).toBe(0);
    expect(await store.platform.deliveries.list('pending', 100)).toEqual([]);
  });

  // The feed is SQLite's: on PostgreSQL the messages' events are recorded with them, and nothing is derived.
  it.skipIf(process.env.PARLEY_TEST_DATABASE === 'postgres')('two dispatcher processes derive the same messages at once: one writes them, the other drops its slice', async () => {
    const receiver = await WebhookReceiver.start();
    const t = await hooked(receiver, { webhookDeliver: false });
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    for (const text of ['one', 'two', 'three']) expect((await c.request('message', { roomToken: 'tok', message: text })).success).toBe(true);
    const [a, b] = await Promise.all([openDeliveryStore(t.app.config, silent), openDeliveryStore(t.app.config, silent)]);
    onTestFinished(async () => {
      await Promise.all([a.close(), b.close()]);
    });
    // Each reads its slice before either takes the write lock; the second to write finds the cursor moved.
    const [first, second] = await Promise.all([a.platform.deliveries.collect(32), b.platform.deliveries.collect(32)]);
    expect([first.derived, second.derived].sort()).toEqual([0, 3]);
    const pending = await a.platform.deliveries.list('pending', 100);
    expect(pending.filter((d) => d.type === 'message.created')).toHaveLength(3);
    expect((await b.platform.deliveries.collect(32)).derived).toBe(0);
  });
});

describe('a dispatcher whose bookkeeping fails', () => {
  it('recording a success fails while the next slice is derived: the process lives on, and the event is sent again with its id', async () => {
    const receiver = await WebhookReceiver.start();
    const t = await hooked(receiver, { webhookDeliver: false });
    await t.api.putRoom('customer', 'tok', { customerID: 'c1', vendorID: 'v1' });
    // More than one slice (32), so an attempt is in flight while the dispatcher derives the next.
    for (let i = 0; i < 40; i++) await t.api.postMessage('customer', 'tok', { message: `m${i}` });

    const clock = fakeClock();
    const store = await openDeliveryStore(t.app.config, silent, clock);
    onTestFinished(() => store.close());
    const deliveries = store.platform.deliveries;
    let faults = 0;
    // The fault: the first attempt's success cannot be recorded (a full disk, a lost connection).
    const delivered = deliveries.delivered.bind(deliveries);
    deliveries.delivered = async (done) => {
      if (faults++ === 0) throw new Error('disk I/O error');
      return delivered(done);
    };
    const logs = captureLogs('warn');
    const dispatcher = new WebhookDispatcher(
      { deliveries, unread: store.platform.unread, sender: new WebhookSender(TEST_WEBHOOK_SECRET, 1000), online: async () => false, clock, log: logs.logger },
      { ...dispatchOptions(t.app.config), deliver: true, evaluateUnread: false },
    );
    onTestFinished(() => dispatcher.close());
    dispatcher.start();
    await logs.waitFor((l) => l.msg === 'webhook dispatch failed');
    const created = () => receiver.ofType('message.created');
    // The first batch (SQLite: the first slice, 32; PostgreSQL: the first claim, 33) went out before its success
    // could not be recorded, so its rows keep their lease and the room's later messages wait behind them.
    const firstIds = new Set(created().map((h) => h.id));
    expect(firstIds.size).toBeGreaterThanOrEqual(32);
    expect(firstIds.size).toBeLessThan(40);
    // The lease runs out (on the dispatcher's clock): those go again, with the same webhook-ids, then the rest.
    clock.offset += 60_000;
    await receiver.until(() => new Set(created().map((h) => h.id)).size === 40);
    const again = created().slice(32).filter((h) => firstIds.has(h.id));
    expect(again.map((h) => h.id)).toEqual([...firstIds]);
    await expect.poll(async () => (await deliveries.list('pending', 100)).length, { timeout: 10_000 }).toBe(0);
  });
});
