import { describe, expect, it } from 'vitest';
import { verifyWebhook } from '../src/client/server.js';
import { activeRoom } from './support/test-app.js';
import { fakeClock, hooked } from './support/webhook-app.js';
import { TEST_WEBHOOK_SECRET, WebhookReceiver } from './support/webhook-receiver.js';
import { waitUntil } from './support/wait-until.js';

describe('webhooks', () => {
  it('sends room.created, room.accepted and message.created, signed as Standard Webhooks verify them', async () => {
    const receiver = await WebhookReceiver.start();
    const t = await hooked(receiver);
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
      expect(verifyWebhook(TEST_WEBHOOK_SECRET, hook.raw, hook.headers as Record<string, string>)).toEqual(hook.body);
      expect(hook.headers['content-type']).toBe('application/json');
      expect(Math.abs(Number(hook.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    }
    const other = `whsec_${Buffer.from('another-secret-of-enough-bytes').toString('base64')}`;
    expect(() => receiver.verify(created, other)).toThrow();
    expect(() => verifyWebhook(other, created.raw, created.headers as Record<string, string>)).toThrow(/verification failed/);
    expect(() => verifyWebhook(TEST_WEBHOOK_SECRET, created.raw.replace('hello', 'hellO'), created.headers as Record<string, string>)).toThrow();
  });

  it('sends every platform event: system message, room.closed, user.banned, message.updated on erasure', async () => {
    const receiver = await WebhookReceiver.start();
    const t = await hooked(receiver);
    const { room } = await t.api.putRoom('customer', 'o1', { customerID: 'c1', vendorID: 'v1' });
    expect((await receiver.waitFor('room.created')).body.data).toEqual({ namespace: 'customer', room });
    const { message } = await t.api.postMessage('customer', 'o1', { message: 'Order shipped', data: { order: 1 } });
    expect((await receiver.waitFor('message.created')).body.data.message).toEqual(message);
    const mine = (await t.api.postMessage('customer', 'o1', { message: 'hi', senderId: 'c1' })).message;
    const closed = await t.api.closeRoom('customer', 'o1');
    expect((await receiver.waitFor('room.closed')).body.data).toEqual({ namespace: 'customer', room: closed });
    const until = new Date(Date.now() + 60_000).toISOString();
    await t.api.ban('customer', 'c1', { reason: 'spam', until });
    expect((await receiver.waitFor('user.banned')).body.data).toEqual({ namespace: 'customer', userId: 'c1', reason: 'spam', until });
    await t.api.eraseUser('customer', 'c1');
    const updated = await receiver.waitFor('message.updated');
    expect(updated.body.data.message).toMatchObject({ _id: mine._id, message: '' });
    await t.api.putRoom('customer', 'o1', { customerID: 'c1', vendorID: 'v1' });
    expect((await receiver.waitFor('room.accepted')).body.data.room.status).toBe('active');
  });

  it('retries a failing endpoint with backoff and the same webhook-id, then records it delivered', async () => {
    const receiver = await WebhookReceiver.start();
    let failures = 2;
    receiver.answer = () => (failures-- > 0 ? 500 : 200);
    const t = await hooked(receiver);
    await t.api.putRoom('customer', 'r', { customerID: 'c1', vendorID: 'v1' });
    const attempts = await receiver.until((all) => all.length >= 3 && all);
    expect(attempts.map((h) => h.answer)).toEqual([500, 500, 200]);
    expect(new Set(attempts.map((h) => h.id)).size).toBe(1);
    for (const hook of attempts) expect(receiver.verify(hook)).toMatchObject({ type: 'room.created' });
    await expect.poll(() => t.api.deliveries({ status: 'delivered' })).toHaveLength(1);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/parley_webhook_attempts_total\{result="failed"\} 2/);
    expect(metrics).toMatch(/parley_webhook_attempts_total\{result="delivered"\} 1/);
    const [delivery] = await t.api.deliveries();
    expect(delivery).toMatchObject({ id: attempts[0]!.id, type: 'room.created', url: receiver.url, status: 'delivered', attempts: 3, lastStatus: 200, lastError: null, nextAttemptAt: null });
  });

  it('gives up after 24 hours (failed, listed), and a retry by hand delivers it with the same id', async () => {
    const receiver = await WebhookReceiver.start();
    receiver.answer = () => 500;
    const clock = fakeClock();
    const t = await hooked(receiver, {}, clock);
    await t.api.putRoom('customer', 'r', { customerID: 'c1', vendorID: 'v1' });
    await receiver.until((all) => all.length >= 2);
    const pending = await t.api.deliveries({ status: 'pending' });
    expect(pending[0]).toMatchObject({ status: 'pending', lastStatus: 500, lastError: 'HTTP 500', nextAttemptAt: expect.any(String) });
    clock.offset = 25 * 60 * 60 * 1000;
    await expect.poll(() => t.api.deliveries({ status: 'failed' }), { timeout: 5000 }).toHaveLength(1);
    const [failed] = await t.api.deliveries({ status: 'failed' });
    expect(failed).toMatchObject({ nextAttemptAt: null, lastStatus: 500 });
    const before = receiver.received.length;
    receiver.answer = () => 204;
    const retried = await t.api.retryDelivery(failed!.id);
    expect(retried).toMatchObject({ id: failed!.id, status: 'delivered', lastStatus: 204 });
    expect(receiver.received.slice(before).map((h) => h.id)).toEqual([failed!.id]);
    await expect(t.api.retryDelivery('01ARZ3NDEKTSV4RRFFQ69G5FAV')).rejects.toMatchObject({ code: 'not_found' });
    expect((await t.raw('POST', 'webhooks/deliveries/nope/retry')).status).toBe(400);
    expect((await t.raw('GET', 'webhooks/deliveries?status=lost')).status).toBe(400);
  });

  it("keeps one room's events in order behind a failing one while other rooms flow; a hanging endpoint never delays chat", async () => {
    const receiver = await WebhookReceiver.start();
    let hold = true;
    // The first message of room A hangs (timeout) until released; everything else is answered at once.
    receiver.answer = (hook) => (hold && hook.body.data.message?.message === 'a0' ? 'hang' : 204);
    const t = await hooked(receiver, { webhookTimeoutMs: 300 });
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'A');
    await activeRoom(c, v, 'c1', 'v1', 'B');
    const started = Date.now();
    for (let i = 0; i < 3; i++) expect((await c.request('message', { roomToken: 'A', message: `a${i}` })).success).toBe(true);
    expect((await c.request('message', { roomToken: 'B', message: 'b0' })).success).toBe(true);
    expect(Date.now() - started).toBeLessThan(300); // no ack waited for the hanging endpoint
    await receiver.waitFor('message.created', (d) => d.message.message === 'b0');
    await receiver.waitFor('message.created', (d) => d.message.message === 'a0');
    expect(receiver.ofType('message.created').some((h) => ['a1', 'a2'].includes(h.body.data.message.message))).toBe(false);
    // The log says why: the attempt timed out (and it is retried meanwhile).
    const timedOut = async () => (await t.api.deliveries({ status: 'pending' })).find((d) => d.lastError !== null)?.lastError;
    await expect.poll(timedOut, { timeout: 5000 }).toBe('no answer within 300 ms');
    // Messages recorded after the failure wait behind it too (b1, sent after a3, arriving shows a3 was recorded).
    expect((await c.request('message', { roomToken: 'A', message: 'a3' })).success).toBe(true);
    expect((await c.request('message', { roomToken: 'B', message: 'b1' })).success).toBe(true);
    await receiver.waitFor('message.created', (d) => d.message.message === 'b1');
    expect(receiver.ofType('message.created').some((h) => ['a1', 'a2', 'a3'].includes(h.body.data.message.message))).toBe(false);
    hold = false;
    await receiver.waitFor('message.created', (d) => d.message.message === 'a3');
    const delivered = receiver.ofType('message.created').filter((h) => h.answer === 204).map((h) => h.body.data.message.message);
    expect(delivered.filter((m) => m.startsWith('a'))).toEqual(['a0', 'a1', 'a2', 'a3']);
  });
});

describe('webhook endpoints that misbehave', () => {
  it('decides an attempt by its status within the timeout, even when the body never ends; other rooms keep flowing', async () => {
    const receiver = await WebhookReceiver.start();
    receiver.answer = (hook) => (hook.body.data.message?.message === 'slow body' ? 'trickle' : 204);
    const t = await hooked(receiver, { webhookTimeoutMs: 300 });
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'A');
    await c.request('message', { roomToken: 'A', message: 'slow body' });
    await c.request('message', { roomToken: 'A', message: 'next' });
    // Delivered once (200 at once), not retried; the room's next event follows without waiting for the body.
    await receiver.waitFor('message.created', (d) => d.message.message === 'next');
    const created = async () =>
      (await t.api.deliveries({ status: 'delivered', limit: 100 })).filter((d) => d.type === 'message.created').map((d) => [d.attempts, d.lastStatus]);
    await expect.poll(created, { timeout: 5000 }).toEqual([
      [1, 204],
      [1, 200],
    ]);
    expect(receiver.ofType('message.created').filter((h) => h.body.data.message.message === 'slow body')).toHaveLength(1);
    // The never-ending body is cut at the attempt's deadline: it does not keep a connection forever.
    expect(receiver.trickles).toHaveLength(1);
    await receiver.trickles[0];
  });

  it('sends the credentials of a URL (https://user:pass@host/…) as HTTP Basic', async () => {
    const receiver = await WebhookReceiver.start();
    const url = new URL(receiver.url);
    url.username = 'parley';
    url.password = 's3cret:with@signs';
    const t = await hooked(receiver, { webhookUrls: [url.toString()] });
    await t.api.putRoom('customer', 'r', { customerID: 'c1', vendorID: 'v1' });
    const hook = await receiver.waitFor('room.created');
    expect(hook.headers.authorization).toBe(`Basic ${Buffer.from('parley:s3cret:with@signs').toString('base64')}`);
  });
});

describe('message.updated from members', () => {
  it('is sent for a reaction and for a member’s delete, with the message as it is now', async () => {
    const receiver = await WebhookReceiver.start();
    const t = await hooked(receiver);
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const sent = (await c.request('message', { roomToken: 'tok', message: 'nice bowl' })).data.message;
    const reacted = (await v.request('react', { roomToken: 'tok', messageId: sent._id, emoji: '👍' })).data.message;
    const onReact = await receiver.waitFor('message.updated', (d) => d.message.reactions?.['👍']?.includes('v1'));
    expect(onReact.body.data).toEqual({ namespace: 'customer', message: reacted });
    const tombstone = (await c.request('delete-message', { roomToken: 'tok', messageId: sent._id })).data.message;
    const onDelete = await receiver.waitFor('message.updated', (d) => d.message.deletedAt !== undefined);
    expect(onDelete.body.data).toEqual({ namespace: 'customer', message: tombstone });
  });
});

describe('webhooks: a room delivered in runs', () => {
  it('stops a room’s run at a failed delivery and sends the rest only after its retry, each once, in order', async () => {
    const receiver = await WebhookReceiver.start();
    let failed = false;
    receiver.answer = (hook) => {
      if (hook.body.data.message?.message !== 'm2' || failed) return 204;
      failed = true;
      return 500;
    };
    const t = await hooked(receiver);
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const acks = await Promise.all(Array.from({ length: 8 }, (_, i) => c.request('message', { roomToken: 'tok', message: `m${i}`, clientMsgId: `k${i}` })));
    expect(acks.every((a) => a.success)).toBe(true);
    await receiver.waitFor('message.created', (d) => d.message.message === 'm7');
    const created = receiver.ofType('message.created');
    const texts = created.map((h) => `${h.body.data.message.message}:${h.answer}`);
    expect(texts).toEqual(['m0:204', 'm1:204', 'm2:500', 'm2:204', 'm3:204', 'm4:204', 'm5:204', 'm6:204', 'm7:204']);
    const [first, retry] = created.filter((h) => h.body.data.message.message === 'm2');
    expect(retry!.id).toBe(first!.id);
    // A pass records its successes together once its runs are done: the log catches up a moment after the receiver.
    const delivered = async () => (await t.api.deliveries({ status: 'delivered', limit: 100 })).filter((d) => d.type === 'message.created');
    await waitUntil('8 message.created deliveries recorded as delivered', async () => (await delivered()).length === 8, 5000);
    const ofMessages = await delivered();
    expect(ofMessages.find((d) => d.id === first!.id)).toMatchObject({ attempts: 2, lastStatus: 204 });
    expect(ofMessages.filter((d) => d.id !== first!.id).every((d) => d.attempts === 1 && d.lastStatus === 204)).toBe(true);
  });
});

describe('webhooks under a burst', () => {
  it('records one message.created per message of a concurrent burst (batched writes)', async () => {
    const receiver = await WebhookReceiver.start();
    const t = await hooked(receiver);
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const acks = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? v : c).request('message', { roomToken: 'tok', message: `burst ${i}` })),
    );
    expect(acks.every((a) => a.success)).toBe(true);
    const hooks = await receiver.until((all) => {
      const created = all.filter((h) => h.body.type === 'message.created');
      return created.length >= 40 && created;
    });
    expect(new Set(hooks.map((h) => h.body.data.message._id))).toEqual(new Set(acks.map((a) => a.data.message._id)));
    const ids = hooks.map((h) => h.body.data.message._id);
    expect(ids).toEqual([...ids].sort());
  });
});

describe('message.unread', () => {
  it('one per room and receiver until read; none when read in time; one per member for a system message', async () => {
    const receiver = await WebhookReceiver.start();
    const clock = fakeClock();
    const t = await hooked(receiver, { unreadNotifyDelayMs: 60_000 }, clock);
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'A');
    await activeRoom(c, v, 'c1', 'v1', 'B');
    const a1 = (await c.request('message', { roomToken: 'A', message: 'question 1' })).data.message;
    const a2 = (await c.request('message', { roomToken: 'A', message: 'question 2' })).data.message;
    const b1 = (await c.request('message', { roomToken: 'B', message: 'read soon' })).data.message;
    await v.request('read', { roomToken: 'B', messageId: b1._id });
    v.close();
    await c.waitForPrivate('offline');
    clock.offset += 61_000;
    const unread = await receiver.waitFor('message.unread');
    expect(unread.body.data).toEqual({
      namespace: 'customer',
      roomToken: 'A',
      userId: 'v1',
      online: false,
      unread: 2,
      firstUnreadId: a1._id,
      lastMessage: a2,
    });
    // A later message in A sends nothing new (v1 has not read); B was read in time: nothing either.
    await c.request('message', { roomToken: 'A', message: 'question 3' });
    const sys = (await t.api.postMessage('customer', 'B', { message: 'Order #7 paid' })).message;
    clock.offset += 61_000;
    const forSystem = await receiver.until((all) => {
      const hits = all.filter((h) => h.body.type === 'message.unread' && h.body.data.roomToken === 'B');
      return hits.length >= 2 && hits;
    });
    expect(forSystem.map((h) => h.body.data.userId).sort()).toEqual(['c1', 'v1']);
    expect(forSystem.map((h) => h.body.data.firstUnreadId)).toEqual([sys._id, sys._id]);
    const forA = receiver.ofType('message.unread').filter((h) => h.body.data.roomToken === 'A');
    expect(forA).toHaveLength(1);

    // Once v1 reads, a new message may notify again.
    const v2 = await t.connect('v1');
    const last = (await t.api.history('customer', 'A')).messages[0]!;
    await v2.request('read', { roomToken: 'A', messageId: last._id });
    const a4 = (await c.request('message', { roomToken: 'A', message: 'question 4' })).data.message;
    clock.offset += 61_000;
    const again = await receiver.waitFor('message.unread', (d) => d.firstUnreadId === a4._id);
    expect(again.body.data).toMatchObject({ userId: 'v1', online: true, unread: 1 });
  });
});

describe('message.unread for a masked message', () => {
  it("carries the platform's view of lastMessage: masked, with original, as in message.created", async () => {
    const receiver = await WebhookReceiver.start();
    const clock = fakeClock();
    const t = await hooked(receiver, { unreadNotifyDelayMs: 60_000, contactMasking: 'mask' }, clock);
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const sent = (await c.request('message', { roomToken: 'tok', message: 'mail me at jane@example.com' })).data.message;
    expect(sent).toMatchObject({ masked: true, message: 'mail me at ***' });
    const created = await receiver.waitFor('message.created', (d) => d.message._id === sent._id);
    clock.offset += 61_000;
    const unread = await receiver.waitFor('message.unread');
    expect(unread.body.data.lastMessage).toEqual({ ...sent, original: 'mail me at jane@example.com' });
    expect(unread.body.data.lastMessage).toEqual(created.body.data.message);
    expect(unread.body.data).toMatchObject({ userId: 'v1', online: true, unread: 1, firstUnreadId: sent._id });
  });
});
