import { describe, expect, it, onTestFinished } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { platformApp } from './support/platform.js';
import { activeRoom, createTestApp, type TestApp } from './support/test-app.js';

async function maskingChat(overrides: Record<string, unknown> = { contactMasking: 'mask', allowedLinkDomains: ['parley.example'] }) {
  const t = await createTestApp(overrides);
  const c = await t.connect('c1');
  const v = await t.connect('v1');
  const room = await activeRoom(c, v, 'c1', 'v1', 'tok');
  return { t, c, v, room };
}

/** As maskingChat, with the platform API. */
async function platformChat(overrides: Record<string, unknown>) {
  const t = await platformApp(overrides);
  const c = await t.connect('c1');
  const v = await t.connect('v1');
  await activeRoom(c, v, 'c1', 'v1', 'tok');
  return { t, c, v };
}

/** A second handle on the app's storage: what is stored, including what only the platform may see. */
async function storeOf(t: TestApp) {
  const store = await openStore({ databaseUrl: t.databaseUrl, sqliteSynchronous: 'NORMAL' });
  onTestFinished(() => store.close());
  return store;
}

describe('contact masking (§13)', () => {
  it('masks e-mails, phones and foreign links before storing and sending; keeps the original for the platform only', async () => {
    const { t, c, v, room } = await maskingChat();
    const text = 'call me on five five five 123 4567 or mail jo(at)mail(dot)de, see https://evil.example.com/x or https://shop.parley.example/p/1';
    const ack = await c.request('message', { roomToken: 'tok', message: text });
    const message = ack.data.message;
    expect(message.message).toBe('call me on *** or mail ***, see *** or https://shop.parley.example/p/1');
    expect(message.masked).toBe(true);
    expect('original' in message).toBe(false);
    expect(await v.waitFor('message')).toEqual(message);
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.messages).toEqual([message]);
    expect(JSON.stringify(history)).not.toContain('4567');
    const stored = await (await storeOf(t)).moderation.lifecycle.find(room._id, message._id);
    expect(stored).toMatchObject({ message: message.message, masked: true, original: text });
  });

  it('never masks ordinary marketplace talk, nor media URLs', async () => {
    const { c } = await maskingChat();
    for (const text of ['Price is $1,250.00, order #123456, delivery 12.05.2024 at 10:30', 'sizes 38 40 42 44, 120 x 80 cm']) {
      const message = (await c.request('message', { roomToken: 'tok', message: text })).data.message;
      expect(message.message).toBe(text);
      expect('masked' in message).toBe(false);
    }
    const image = (await c.request('message', { roomToken: 'tok', type: 'image', message: 'https://cdn.other.example/a.png' })).data.message;
    expect(image.message).toBe('https://cdn.other.example/a.png');
  });

  it('masks edits too, and clears masked when an edit has nothing to hide', async () => {
    const { c, v } = await maskingChat();
    const sent = (await c.request('message', { roomToken: 'tok', message: 'hello' })).data.message;
    const edited = (await c.request('edit-message', { roomToken: 'tok', messageId: sent._id, message: 'mail me: a@b.co' })).data.message;
    expect(edited).toMatchObject({ message: 'mail me: ***', masked: true });
    expect(await v.waitFor('message-updated')).toEqual(edited);
    const clean = (await c.request('edit-message', { roomToken: 'tok', messageId: sent._id, message: 'never mind' })).data.message;
    expect(clean.message).toBe('never mind');
    expect('masked' in clean).toBe(false);
  });

  it('is off by default, and a room’s own contactMasking (the platform’s PUT) wins over the configuration', async () => {
    const off = await platformChat({});
    const plain = (await off.c.request('message', { roomToken: 'tok', message: 'a@b.co' })).data.message;
    expect(plain.message).toBe('a@b.co');
    // Changed on a room in use: the server's remembered send policy must not hide the change.
    await off.t.api.putRoom('customer', 'tok', { customerID: 'c1', vendorID: 'v1', contactMasking: true });
    expect((await off.c.request('message', { roomToken: 'tok', message: 'a@b.co' })).data.message.message).toBe('***');

    const on = await platformChat({ contactMasking: 'mask' });
    expect((await on.c.request('message', { roomToken: 'tok', message: 'a@b.co' })).data.message.message).toBe('***');
    await on.t.api.putRoom('customer', 'tok', { customerID: 'c1', vendorID: 'v1', contactMasking: false });
    expect((await on.c.request('message', { roomToken: 'tok', message: 'a@b.co' })).data.message.message).toBe('a@b.co');
  });

  it('stores one sender’s burst in the order it was sent, although each message is screened first', async () => {
    const { t, c } = await maskingChat();
    const texts = Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? `m${i} mail x${i}@b.co` : `m${i}`));
    const acks = await Promise.all(texts.map((message) => c.request('message', { roomToken: 'tok', message })));
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer&limit=20`)).json();
    const stored = history.data.messages.reverse().map((m: any) => m.message.split(' ')[0]);
    expect(stored).toEqual(texts.map((m) => m.split(' ')[0]));
    expect(acks.map((a) => a.data.message._id)).toEqual(history.data.messages.map((m: any) => m._id));
  });
});
