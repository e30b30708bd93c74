import { SignJWT } from 'jose';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createParleyClient,
  ParleyError,
  type NoticeOf,
  type ParleyClient,
  type ParleyClientOptions,
  type ServerPayloadOf,
} from '../src/client/index.js';
import { createTestApp, type TestApp } from './support/test-app.js';

type Identity = { userId: string } | { token: string };

/** A connected SDK client, closed when the test ends; quick reconnects keep the retry test short. */
async function sdk(t: TestApp, who: Identity, extra: Partial<ParleyClientOptions> = {}): Promise<ParleyClient> {
  const client = createParleyClient({
    url: t.url,
    namespace: 'customer',
    socketOptions: { reconnectionDelay: 20, reconnectionDelayMax: 50 },
    ...who,
    ...extra,
  } as ParleyClientOptions);
  onTestFinished(() => client.close());
  await client.ready();
  return client;
}

/** The next `event` the client hears (registered before the action that causes it). */
function next<T>(subscribe: (handler: (payload: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((payload) => {
      off();
      resolve(payload);
    });
  });
}

async function activePair(t: TestApp) {
  const customer = await sdk(t, { userId: 'c1' });
  const vendor = await sdk(t, { userId: 'v1' });
  const asked = next<{ data: { room: { roomToken: string } } }>((h) => vendor.on('join-room', h));
  await customer.joinRoom({ customerID: 'c1', vendorID: 'v1', roomToken: 'tok' });
  expect((await asked).data.room.roomToken).toBe('tok');
  await vendor.acceptRoom({ roomToken: 'tok' });
  return { customer, vendor };
}

function metric(text: string, line: string): number {
  const hit = text.split('\n').find((l) => l.startsWith(`${line} `));
  return hit ? Number(hit.split(' ').at(-1)) : 0;
}

describe('client SDK', () => {
  it('wraps every client event in a typed promise that resolves with the ack data', async () => {
    const t = await createTestApp();
    const customer = createParleyClient({ url: `${t.url}/`, namespace: 'customer', userId: 'c1' });
    onTestFinished(() => customer.close());
    const listed = next<NoticeOf<'list-room'>>((h) => customer.onNotice('list-room', h));
    await customer.ready();
    expect((await listed).data.rooms).toEqual([]);

    const vendor = await sdk(t, { userId: 'v1' });
    const joined = next<ServerPayloadOf<'joined'>>((h) => customer.on('joined', h));
    const { room } = await customer.joinRoom({ customerID: 'c1', vendorID: 'v1', roomToken: 'tok' });
    expect(room).toMatchObject({ roomToken: 'tok', status: 'pending', createdBy: 'c1' });
    expect((await vendor.acceptRoom({ roomToken: 'tok' })).room.status).toBe('active');
    expect((await joined).data.room.status).toBe('active');

    const typing = next((h) => vendor.on('typing', h));
    expect(await customer.typing({ roomToken: 'tok' })).toBeUndefined();
    expect(await typing).toEqual({ success: true, typing: true, roomToken: 'tok', userId: 'c1' });

    const delivered = next((h) => vendor.on('message', h));
    const { message } = await customer.send({ roomToken: 'tok', message: 'hello' });
    expect(message.clientMsgId).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(await delivered).toEqual(message);
    const mine = await customer.send({ roomToken: 'tok', message: 'again', clientMsgId: 'my-id' });
    expect(mine.message.clientMsgId).toBe('my-id');

    const receipt = next((h) => customer.on('read', h));
    await vendor.markRead({ roomToken: 'tok', messageId: mine.message._id });
    expect(await receipt).toMatchObject({ roomToken: 'tok', userId: 'v1', messageId: mine.message._id });

    expect(await vendor.sync({ since: message._id })).toEqual({ messages: [mine.message], hasMore: false });
  });

  it('reads history by page and by cursor', async () => {
    const t = await createTestApp();
    const { customer } = await activePair(t);
    const sent = [];
    for (let i = 0; i < 7; i++) sent.push((await customer.send({ roomToken: 'tok', message: `m${i}` })).message);
    const page = await customer.history({ roomToken: 'tok', page: 1, limit: 5 });
    expect(page).toMatchObject({ page: 1, limit: 5, total: 7, totalPages: 2 });
    expect(page.messages.map((m) => m.message)).toEqual(['m6', 'm5', 'm4', 'm3', 'm2']);
    const older = await customer.history({ roomToken: 'tok', before: page.messages.at(-1)!._id });
    expect(older.messages.map((m) => m.message)).toEqual(['m1', 'm0']);
    expect(older.nextCursor).toBeNull();
    const newer = await customer.history({ roomToken: 'tok', after: sent[0]!._id, limit: 5 });
    expect(newer.messages.map((m) => m.message)).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
    expect(newer.nextCursor).toBe(sent[5]!._id);
  });

  it('rejects with a typed ParleyError on a failed ack, a refused connection and an HTTP error', async () => {
    const t = await createTestApp();
    const customer = await sdk(t, { userId: 'c1' });
    const forbidden = await customer.joinRoom({ customerID: 'x', vendorID: 'v1', roomToken: 'tok' }).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(ParleyError);
    expect(forbidden).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/customerID or the vendorID/) });
    await expect(customer.send({ roomToken: 'nope', message: 'x' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(customer.history({ roomToken: 'nope' })).rejects.toMatchObject({ name: 'ParleyError', code: 'not_found' });

    const refused = createParleyClient({ url: t.url, namespace: 'customer', userId: 'bad id!' });
    onTestFinished(() => refused.close());
    await expect(refused.ready()).rejects.toMatchObject({ name: 'ParleyError', code: 'invalid_payload' });
  });

  it('sends a token in jwt mode, on the socket and as the Bearer token for history', async () => {
    const secret = 'sdk-test-secret-that-is-long-enough';
    const t = await createTestApp({ authMode: 'jwt', jwtSecret: secret });
    const key = new TextEncoder().encode(secret);
    const token = (sub: string) => new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(key);
    const customer = await sdk(t, { token: await token('c1') });
    const vendor = await sdk(t, { token: await token('v1') });
    await customer.joinRoom({ customerID: 'c1', vendorID: 'v1', roomToken: 'tok' });
    await vendor.acceptRoom({ roomToken: 'tok' });
    await customer.send({ roomToken: 'tok', message: 'signed' });
    expect((await vendor.history({ roomToken: 'tok' })).messages.map((m) => m.message)).toEqual(['signed']);
    const stranger = await sdk(t, { token: await token('x1') });
    await expect(stranger.history({ roomToken: 'tok' })).rejects.toMatchObject({ code: 'forbidden' });

    const forged = createParleyClient({ url: t.url, namespace: 'customer', token: 'not-a-jwt' });
    onTestFinished(() => forged.close());
    await expect(forged.ready()).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('retries a send whose ack was lost to a reconnect, with the same clientMsgId: one message stored', async () => {
    const t = await createTestApp();
    const { customer, vendor } = await activePair(t);
    const reconnected = next((h) => customer.onConnection((s) => s.status === 'connected' && h(s)));
    const pending = customer.send({ roomToken: 'tok', message: 'exactly once' });
    // The frame is already queued, so the server gets it; the connection drops before the ack can return.
    customer.socket.io.engine.close();
    const { message } = await pending;
    await reconnected;

    expect(message).toMatchObject({ message: 'exactly once', senderId: 'c1' });
    const history = await vendor.history({ roomToken: 'tok' });
    expect(history.messages).toEqual([message]);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metric(metrics, 'parley_events_total{event="message"}')).toBe(2);
    expect(metric(metrics, 'parley_messages_stored_total')).toBe(1);
  });

  it('gives up after maxSendAttempts, and rejects pending calls on close', async () => {
    const t = await createTestApp();
    const { customer, vendor } = await activePair(t);
    const once = await sdk(t, { userId: 'c1' }, { maxSendAttempts: 1 });
    const lost = once.send({ roomToken: 'tok', message: 'ack lost', clientMsgId: 'lost-1' });
    once.socket.io.engine.close();
    await expect(lost).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(/lost-1 after 1 attempts/) });

    const closing = customer.send({ roomToken: 'tok', message: 'closing' });
    customer.close();
    await expect(closing).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(/closed/) });
    await expect(customer.typing({ roomToken: 'tok' })).rejects.toMatchObject({ message: expect.stringMatching(/closed/) });
    // The server did get the lost one, once.
    expect((await vendor.history({ roomToken: 'tok' })).messages.filter((m) => m.clientMsgId === 'lost-1')).toHaveLength(1);
  });
});

/** Compile-time checks: the SDK's types come from src/protocol (tsc --noEmit checks this file). */
export function typeChecks(client: ParleyClient): void {
  // @ts-expect-error the field is `message`, not `text`
  void client.send({ roomToken: 'tok', text: 'hi' });
  // @ts-expect-error type is one of text | image | vdo | audio
  void client.send({ roomToken: 'tok', message: 'x', type: 'gif' });
  // @ts-expect-error read needs a messageId
  void client.markRead({ roomToken: 'tok' });
  // @ts-expect-error no such server event
  client.on('messages', () => {});
  client.on('typing', (n) => n.userId.toUpperCase());
  client.onNotice('online', (n) => n.userId.toUpperCase());
  client.onNotice('list-room', (n) => n.data.rooms.map((r) => r.counterpart.lastSeen));
  void client.sync().then((d) => d.hasMore satisfies boolean);
  // @ts-expect-error a page query has no nextCursor
  void client.history({ roomToken: 't', page: 1 }).then((h) => h.nextCursor);
  // @ts-expect-error before and after together
  void client.history({ roomToken: 't', before: 'a', after: 'b' });
}
