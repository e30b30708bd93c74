import { io } from 'socket.io-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { TestClient } from './support/client.js';
import { activeRoom, createTestApp, type TestApp } from './support/test-app.js';

// Long enough that the missed messages are surely sent (and acked) while the client is away.
const RECONNECT_DELAY_MS = 600;

/** A client that reconnects by itself, like a real app, after a fixed delay. */
function reconnecting(t: TestApp, userId: string): Promise<TestClient> {
  const socket = io(`${t.url}/customer`, {
    transports: ['websocket'],
    forceNew: true,
    query: { userId },
    reconnection: true,
    reconnectionDelay: RECONNECT_DELAY_MS,
    reconnectionDelayMax: RECONNECT_DELAY_MS,
    randomizationFactor: 0,
  });
  onTestFinished(() => {
    socket.disconnect();
  });
  return new TestClient(socket).connected();
}

/** Drops the connection without telling the server (as a network cut would), and waits for the drop. */
async function cut(client: TestClient): Promise<void> {
  const dropped = new Promise((resolve) => client.socket.once('disconnect', resolve));
  client.socket.io.engine.close();
  await dropped;
}

function reconnected(client: TestClient): Promise<void> {
  return new Promise((resolve) => client.socket.once('connect', () => resolve()));
}

describe('connection state recovery', () => {
  it('replays the events missed during a short disconnect, once each, on the recovered socket', async () => {
    const t = await createTestApp();
    const alice = await reconnecting(t, 'alice');
    const bob = await t.connect('bob');
    await activeRoom(alice, bob, 'alice', 'bob', 'ab');
    const before = await bob.request('message', { roomToken: 'ab', message: 'before the cut' });
    await alice.waitFor('message', (m) => m._id === before.data.message._id);
    expect(alice.socket.recovered).toBe(false);

    await cut(alice);
    const back = reconnected(alice);
    const missed = [];
    for (let i = 0; i < 3; i++) missed.push((await bob.request('message', { roomToken: 'ab', message: `missed ${i}` })).data.message);
    await bob.request('typing', { roomToken: 'ab' });
    expect(alice.socket.connected).toBe(false);

    await back;
    expect(alice.socket.recovered).toBe(true);
    for (const m of missed) await alice.waitFor('message', (p) => p._id === m._id);
    await alice.waitFor('typing', (p) => p.userId === 'bob');
    await alice.barrier();
    expect(alice.all('message').map((m) => m.message)).toEqual(['before the cut', 'missed 0', 'missed 1', 'missed 2']);

    // The recovered socket acts as alice again and is reachable live.
    const reply = await alice.request('message', { roomToken: 'ab', message: 'back again' });
    expect(reply.data.message.senderId).toBe('alice');
    expect((await bob.waitFor('message', (m) => m._id === reply.data.message._id)).message).toBe('back again');
  });

  it('does not recover after the recovery window; the client catches up with sync instead', async () => {
    const t = await createTestApp({ recoveryWindowMs: RECONNECT_DELAY_MS / 4 });
    const alice = await reconnecting(t, 'alice');
    const bob = await t.connect('bob');
    await activeRoom(alice, bob, 'alice', 'bob', 'ab');
    const seen = (await alice.request('message', { roomToken: 'ab', message: 'seen' })).data.message;

    await cut(alice);
    const back = reconnected(alice);
    const missed = (await bob.request('message', { roomToken: 'ab', message: 'missed' })).data.message;
    await back;
    expect(alice.socket.recovered).toBe(false);
    await alice.barrier();
    expect(alice.all('message', (m) => m._id === missed._id)).toEqual([]);
    const caughtUp = await alice.request('sync', { since: seen._id });
    expect(caughtUp).toEqual({ success: true, data: { messages: [missed], hasMore: false } });
  });
});
