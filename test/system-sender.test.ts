import { describe, expect, it } from 'vitest';
import { platformApp } from './support/platform.js';

describe("a member whose user id is 'system' (§2 allows it)", () => {
  it("cannot edit or delete the platform's system messages, yet edits and deletes its own", async () => {
    const t = await platformApp();
    await t.api.putRoom('customer', 'tok', { customerID: 'system', vendorID: 'v1' });
    const member = await t.connect('system');
    const v = await t.connect('v1');
    const { message: card } = await t.api.postMessage('customer', 'tok', { message: 'Order #7 paid', data: { order: 7 } });
    expect(card).toMatchObject({ message_type: 'system', senderId: 'system' });

    const del = await member.request('delete-message', { roomToken: 'tok', messageId: card._id });
    expect(del).toEqual({ success: false, error: { code: 'forbidden', message: expect.stringContaining('System messages') } });
    const edit = await member.request('edit-message', { roomToken: 'tok', messageId: card._id, message: 'Order #7 refunded' });
    expect(edit.error.code).toBe('forbidden');
    expect((await t.api.history('customer', 'tok')).messages).toEqual([card]);

    const own = (await member.request('message', { roomToken: 'tok', message: 'hello' })).data.message;
    expect(own).toMatchObject({ senderId: 'system', message_type: 'text' });
    expect((await member.request('edit-message', { roomToken: 'tok', messageId: own._id, message: 'hello!' })).data.message.message).toBe('hello!');
    expect((await member.request('delete-message', { roomToken: 'tok', messageId: own._id })).data.message.deletedAt).toEqual(expect.any(String));
    // Only the member's own message changed: the other member saw no update of the card.
    await v.barrier();
    expect(v.all('message-updated').map((m) => m._id)).toEqual([own._id, own._id]);
  });
});
