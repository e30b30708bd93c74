import { describe, expect, it, onTestFinished } from 'vitest';
import { createParleyClient, ParleyError, type ParleyClient, type ServerPayloadOf } from '../src/client/index.js';
import { createTestApp, type TestApp } from './support/test-app.js';

async function sdk(t: TestApp, userId: string): Promise<ParleyClient> {
  const client = createParleyClient({ url: t.url, namespace: 'customer', userId });
  onTestFinished(() => client.close());
  await client.ready();
  return client;
}

describe('client SDK: message lifecycle and moderation (§13)', () => {
  it('edits, reacts, deletes, reports, blocks and hears message-updated', async () => {
    const t = await createTestApp();
    const customer = await sdk(t, 'c1');
    const vendor = await sdk(t, 'v1');
    await customer.joinRoom({ customerID: 'c1', vendorID: 'v1', roomToken: 'tok' });
    await vendor.acceptRoom({ roomToken: 'tok' });
    const updates: ServerPayloadOf<'message-updated'>[] = [];
    vendor.on('message-updated', (m) => updates.push(m));
    const { message } = await customer.send({ roomToken: 'tok', message: 'helo' });
    const reply = await vendor.send({ roomToken: 'tok', message: 'hi', replyTo: message._id });
    expect(reply.message.replyTo).toBe(message._id);
    const { message: edited } = await customer.editMessage({ roomToken: 'tok', messageId: message._id, message: 'hello' });
    expect(edited.editedAt).toBeDefined();
    const { message: reacted } = await vendor.react({ roomToken: 'tok', messageId: message._id, emoji: '👍' });
    expect(reacted.reactions).toEqual({ '👍': ['v1'] });
    const { message: tombstone } = await customer.deleteMessage({ roomToken: 'tok', messageId: message._id });
    expect(tombstone.message).toBe('');
    const { report } = await vendor.report({ roomToken: 'tok', reason: 'rude' });
    expect(report.id).toMatch(/^[0-9A-Z]{26}$/);
    await vendor.blockUser('c1');
    await expect(customer.send({ roomToken: 'tok', message: 'x' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(customer.editMessage({ roomToken: 'tok', messageId: 'nope', message: 'x' })).rejects.toBeInstanceOf(ParleyError);
    await vendor.unblockUser('c1');
    await vendor.sync({ roomToken: 'tok' }); // a round trip: every update has arrived
    expect(updates.map((m) => m._id)).toEqual([message._id, message._id, message._id]);
    expect(updates.at(-1)).toEqual(tombstone);
  });
});
