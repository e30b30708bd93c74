import { describe, expect, it, onTestFinished } from 'vitest';
import { createParleyClient, type Message, type ParleyClient } from '../src/client/index.js';
import type { ConfigInput } from '../src/config/schema.js';
import { activeRoom, createTestApp, type TestApp } from './support/test-app.js';

/** An SDK client for c1 that reconnects only when the test says so (so "away" lasts as long as needed). */
async function manualClient(t: TestApp, extra: { maxHttpBufferSize?: number } = {}): Promise<{ client: ParleyClient; got: Message[] }> {
  const client = createParleyClient({ url: t.url, namespace: 'customer', userId: 'c1', socketOptions: { reconnection: false }, ...extra });
  onTestFinished(() => client.close());
  const got: Message[] = [];
  client.on('message', (message) => got.push(message));
  await client.ready();
  return { client, got };
}

/** Resolves once `check` holds, re-checked after every message the client delivers. */
function until(client: ParleyClient, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (check()) return resolve();
    const off = client.on('message', () => {
      if (!check()) return;
      off();
      resolve();
    });
  });
}

const texts = (messages: Message[]) => messages.map((m) => m.message);

describe('client SDK catch-up after a reconnect', () => {
  // The default configuration, and recovery explicitly off (what a client meets on a server without it).
  const configs: Array<[string, Partial<ConfigInput>]> = [
    ['default config', {}],
    ['connection-state recovery off', { recoveryWindowMs: 0 }],
  ];
  for (const [name, config] of configs) {
    it(`delivers every message sent while away exactly once, through the message handlers (${name})`, { timeout: 30_000 }, async () => {
      const t = await createTestApp(config);
      const vendor = await t.connect('v1');
      const { client, got } = await manualClient(t);
      const clientSocket = await t.connect('c1'); // a second device of c1, so the room can be set up with the test client
      await activeRoom(clientSocket, vendor, 'c1', 'v1', 'tok');
      clientSocket.close();
      await client.send({ roomToken: 'tok', message: 'before' });
      await until(client, () => got.length === 1);

      // The SDK's connection drops (its engine transport is killed); the server notices before the vendor sends.
      const offline = vendor.waitForPrivate('offline', (p) => p.userId === 'c1');
      client.socket.io.engine.close();
      await offline;
      const away = Array.from({ length: 130 }, (_, i) => `away ${i + 1}`); // more than one sync page (100)
      for (const message of away) await vendor.request('message', { roomToken: 'tok', message });

      client.socket.connect();
      await until(client, () => got.length === 1 + away.length);
      await vendor.request('message', { roomToken: 'tok', message: 'after' });
      await until(client, () => texts(got).includes('after'));

      expect(texts(got)).toEqual(['before', ...away, 'after']);
      expect(new Set(got.map((m) => m._id)).size).toBe(got.length);
      expect(client.lastMessageId).toBe(got.at(-1)!._id);
    });
  }

  it('anchors on list-room when it has seen no message yet, and catches up on messages sent while away', async () => {
    const t = await createTestApp({ recoveryWindowMs: 0 });
    const [c, v] = await Promise.all([t.connect('c1'), t.connect('v1')]);
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    await v.request('message', { roomToken: 'tok', message: 'old news' });
    c.close();
    const anchored = createParleyClient({ url: t.url, namespace: 'customer', userId: 'c1', socketOptions: { reconnection: false } });
    onTestFinished(() => anchored.close());
    await new Promise<void>((resolve) => anchored.onNotice('list-room', () => resolve()));
    const got: Message[] = [];
    anchored.on('message', (m) => got.push(m));
    const offline = v.waitForPrivate('offline', (p) => p.userId === 'c1');
    anchored.socket.io.engine.close();
    await offline;
    await v.request('message', { roomToken: 'tok', message: 'while away' });
    anchored.socket.connect();
    await until(anchored, () => got.length === 1);
    await v.request('message', { roomToken: 'tok', message: 'live' });
    await until(anchored, () => got.length === 2);
    expect(texts(got)).toEqual(['while away', 'live']); // not 'old news': it was history, not missed
  });
});

describe('client SDK payload size', () => {
  it('fails at once with too_large for a frame over maxHttpBufferSize, and the socket stays up', async () => {
    const t = await createTestApp();
    const vendor = await t.connect('v1');
    const { client, got } = await manualClient(t);
    const setup = await t.connect('c1');
    await activeRoom(setup, vendor, 'c1', 'v1', 'tok');
    setup.close();

    const tooBig = 'x'.repeat(64 * 1024);
    const failed = await client.send({ roomToken: 'tok', message: tooBig }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ name: 'ParleyError', code: 'too_large', message: expect.stringMatching(/maxHttpBufferSize/) });
    await expect(client.markRead({ roomToken: 'tok', messageId: tooBig })).rejects.toMatchObject({ code: 'too_large' });
    expect(client.socket.connected).toBe(true);

    // The next message goes through on the same socket.
    const { message } = await client.send({ roomToken: 'tok', message: 'fits' });
    await until(client, () => got.some((m) => m._id === message._id));

    // A smaller server limit, told to the SDK: enforced on the client's side too.
    const small = await createTestApp({ maxHttpBufferSize: 2048 });
    const limited = createParleyClient({ url: small.url, namespace: 'customer', userId: 'c1', maxHttpBufferSize: 2048 });
    onTestFinished(() => limited.close());
    await limited.ready();
    await expect(limited.joinRoom({ customerID: 'c1', vendorID: 'v1', roomToken: 'y'.repeat(2100) })).rejects.toMatchObject({
      code: 'too_large',
    });
    expect(limited.socket.connected).toBe(true);
  });
});
