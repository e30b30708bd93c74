import { describe, expect, it } from 'vitest';
import { platformApp } from './support/platform.js';
import { TEST_WEBHOOK_SECRET, WebhookReceiver } from './support/webhook-receiver.js';

/** A masking room between c1 and v1 where both wrote, reacted, blocked and reported; webhooks on. */
async function livedInRoom() {
  const receiver = await WebhookReceiver.start();
  const t = await platformApp({ webhookUrls: [receiver.url], webhookSecret: TEST_WEBHOOK_SECRET, webhookPollMs: 50 });
  await t.api.putRoom('customer', 'tok', { customerID: 'c1', vendorID: 'v1', contactMasking: true });
  const c = await t.connect('c1');
  const v = await t.connect('v1');
  const theirs = (await v.request('message', { roomToken: 'tok', message: 'which colour?' })).data.message;
  const mine = (await c.request('message', { roomToken: 'tok', message: 'blue, mail me at jane@example.com' })).data.message;
  expect(mine.masked).toBe(true);
  for (const [client, messageId, emoji] of [[c, theirs._id, '👍'], [v, theirs._id, '🎉'], [v, mine._id, '❤️']] as const) {
    expect((await client.request('react', { roomToken: 'tok', messageId, emoji })).success).toBe(true);
  }
  const report = await v.request('report', { roomToken: 'tok', messageId: mine._id, reason: 'contact details' });
  expect(report.success).toBe(true);
  expect((await c.request('block-user', { userId: 'v1' })).success).toBe(true);
  return { t, c, v, receiver, theirs, mine };
}

describe('erasure (§10) through the platform API', () => {
  it("removes the user's reactions, scrubs report snapshots and forgets its blocks", async () => {
    const { t, v, receiver, theirs, mine } = await livedInRoom();
    const [before] = await t.api.reports();
    expect(before!.snapshot.find((m) => m._id === mine._id)).toMatchObject({ original: 'blue, mail me at jane@example.com' });
    expect((await v.request('message', { roomToken: 'tok', message: 'still there?' })).error.code).toBe('forbidden');

    expect(await t.api.eraseUser('customer', 'c1')).toEqual({ erased: { messages: 1, attachments: 0 } });

    const history = await t.api.history('customer', 'tok');
    expect(history.messages.find((m) => m._id === theirs._id)!.reactions).toEqual({ '🎉': ['v1'] });
    const tomb = history.messages.find((m) => m._id === mine._id)!;
    expect(tomb).toMatchObject({ message: '', deletedAt: expect.any(String) });
    expect(tomb).not.toHaveProperty('reactions');
    expect(tomb).not.toHaveProperty('original');

    const [after] = await t.api.reports();
    const snapMine = after!.snapshot.find((m) => m._id === mine._id)!;
    expect(snapMine).toMatchObject({ message: '', deletedAt: expect.any(String) });
    for (const key of ['original', 'masked', 'reactions']) expect(snapMine).not.toHaveProperty(key);
    expect(after!.snapshot.find((m) => m._id === theirs._id)!.reactions).toEqual({ '🎉': ['v1'] });
    expect(JSON.stringify(after)).not.toContain('jane@example.com');

    // message.updated for the message that lost c1's reaction (the earlier ones each still had 👍).
    const updated = await receiver.waitFor('message.updated', (d) => d.message._id === theirs._id && !d.message.reactions['👍']);
    expect(updated.body.data.message.reactions).toEqual({ '🎉': ['v1'] });
    // The block c1 made is forgotten: v1 may write again.
    expect((await v.request('message', { roomToken: 'tok', message: 'still there?' })).success).toBe(true);
    // Idempotent: nothing changes a second time.
    expect(await t.api.eraseUser('customer', 'c1')).toEqual({ erased: { messages: 1, attachments: 0 } });
  });

  it("sends message-updated to both members' sockets for every message that changed, without the original", async () => {
    const { t, c, v, theirs, mine } = await livedInRoom();
    const other = await t.connect('v1');
    await t.api.eraseUser('customer', 'c1');
    const history = await t.api.history('customer', 'tok');
    const now = (id: string) => history.messages.find((m) => m._id === id)!;
    const erased = (m: any) => (m._id === mine._id && m.deletedAt) || (m._id === theirs._id && !m.reactions['👍']);
    for (const client of [c, v, other]) {
      const [first, second] = [await client.waitFor('message-updated', erased), await client.waitFor('message-updated', erased)];
      expect([first, second].sort((a, b) => a._id.localeCompare(b._id))).toEqual([now(theirs._id), now(mine._id)]);
    }
    expect(now(theirs._id).reactions).toEqual({ '🎉': ['v1'] });
    // A second erasure changes nothing and sends nothing.
    await t.api.eraseUser('customer', 'c1');
    await Promise.all([c.barrier(), v.barrier()]);
    expect(v.all('message-updated')).toHaveLength(2 + 3);
  });
});
