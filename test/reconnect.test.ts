import { SignJWT } from 'jose';
import { io } from 'socket.io-client';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { TestClient } from './support/client.js';
import { activeRoom, createTestApp, type TestApp } from './support/test-app.js';

const SECRET = 'reconnect-test-secret-0123456789';
/** The window these tests turn recovery on with (it is off by default). */
const RECOVERY_WINDOW_MS = 2 * 60 * 1000;

/** The server's clock, moved forward by the test (the client's own timers keep real time). */
const clock = { skew: 0, now: () => Date.now() + clock.skew };

function token(sub: string, ttlSeconds: number): Promise<string> {
  const exp = Math.floor(clock.now() / 1000) + ttlSeconds;
  return new SignJWT({ sub, exp }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
}

type Auth = Record<string, unknown> | ((cb: (data: Record<string, unknown>) => void) => void);

/**
 * A client that comes back, as a real app does, with its session (pid and offset) — but when the test says
 * (`comeBack`), not after a fixed delay: what must happen while it is away happens first, however slow the machine.
 */
function reconnecting(t: TestApp, userId: string, auth?: Auth): Promise<TestClient> {
  const socket = io(`${t.url}/customer`, {
    transports: ['websocket'],
    forceNew: true,
    query: { userId },
    ...(auth ? { auth } : {}),
    reconnection: false,
  });
  onTestFinished(() => {
    socket.disconnect();
  });
  return new TestClient(socket).connected();
}

/** Reconnects a cut client; resolves on connect, rejects with the connect_error. */
function comeBack(client: TestClient): Promise<void> {
  return new Promise((resolve, reject) => {
    client.socket.once('connect', () => resolve());
    client.socket.once('connect_error', reject);
    client.socket.connect();
  });
}

/** Drops the connection without telling the server (as a network cut would), and waits for the drop. */
async function cut(client: TestClient): Promise<void> {
  const dropped = new Promise((resolve) => client.socket.once('disconnect', resolve));
  client.socket.io.engine.close();
  await dropped;
}

describe('connection state recovery', () => {
  it('replays the events missed during a short disconnect, once each, on the recovered socket', async () => {
    // Recovery is opt-in (it adds an offset argument to every broadcast).
    const t = await createTestApp({ recoveryWindowMs: RECOVERY_WINDOW_MS });
    const alice = await reconnecting(t, 'alice');
    const bob = await t.connect('bob');
    await activeRoom(alice, bob, 'alice', 'bob', 'ab');
    const before = await bob.request('message', { roomToken: 'ab', message: 'before the cut' });
    await alice.waitFor('message', (m) => m._id === before.data.message._id);
    expect(alice.socket.recovered).toBe(false);

    await cut(alice);
    const missed = [];
    for (let i = 0; i < 3; i++) missed.push((await bob.request('message', { roomToken: 'ab', message: `missed ${i}` })).data.message);
    await bob.request('typing', { roomToken: 'ab' });
    expect(alice.socket.connected).toBe(false);

    await comeBack(alice);
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
    const windowMs = 60_000;
    const t = await createTestApp({ recoveryWindowMs: windowMs });
    const alice = await reconnecting(t, 'alice');
    const bob = await t.connect('bob');
    await activeRoom(alice, bob, 'alice', 'bob', 'ab');
    const seen = (await alice.request('message', { roomToken: 'ab', message: 'seen' })).data.message;

    await cut(alice);
    const missed = (await bob.request('message', { roomToken: 'ab', message: 'missed' })).data.message;
    // The window passes on a fake clock (Date only: timers keep running), not by waiting for it.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + windowMs + 1000 });
    try {
      await comeBack(alice);
    } finally {
      vi.useRealTimers();
    }
    expect(alice.socket.recovered).toBe(false);
    await alice.barrier();
    expect(alice.all('message', (m) => m._id === missed._id)).toEqual([]);
    const caughtUp = await alice.request('sync', { since: seen._id });
    expect(caughtUp).toEqual({ success: true, data: { messages: [missed], hasMore: false } });
  });

  it('checks the token again on a recovered reconnect: expired is refused, a refreshed one recovers', async () => {
    const t = await createTestApp(
      { authMode: 'jwt', jwtSecret: SECRET, jwtClockToleranceSeconds: 0, recoveryWindowMs: RECOVERY_WINDOW_MS },
      { clock },
    );
    const bob = await t.open('customer', { auth: { token: await token('bob', 3600) } }).connected();
    const stale = await reconnecting(t, 'alice', { token: await token('alice', 30) });
    let fresh = await token('carol', 30);
    const refreshing = await reconnecting(t, 'carol', (cb) => cb({ token: fresh }));
    await activeRoom(stale, bob, 'alice', 'bob', 'ab');
    await activeRoom(refreshing, bob, 'carol', 'bob', 'cb');

    clock.skew = 60_000;
    onTestFinished(() => void (clock.skew = 0));
    fresh = await token('carol', 3600);
    await Promise.all([cut(stale), cut(refreshing)]);
    await bob.request('message', { roomToken: 'ab', message: 'for alice' });
    await bob.request('message', { roomToken: 'cb', message: 'for carol' });

    await expect(comeBack(stale)).rejects.toThrow('unauthorized');
    expect(stale.socket.connected).toBe(false);
    await comeBack(refreshing);
    expect(refreshing.socket.recovered).toBe(true);
    expect((await refreshing.waitFor('message', (m) => m.roomToken === 'cb')).message).toBe('for carol');
    expect(stale.all('message', (m) => m.message === 'for alice')).toEqual([]);
  });

  it('lets a recovered session that comes back with another user token take that identity only', async () => {
    const t = await createTestApp({ authMode: 'jwt', jwtSecret: SECRET, recoveryWindowMs: RECOVERY_WINDOW_MS });
    const bob = await t.open('customer', { auth: { token: await token('bob', 3600) } }).connected();
    const carol = await t.open('customer', { auth: { token: await token('carol', 3600) } }).connected();
    let current = await token('alice', 3600);
    const shared = await reconnecting(t, 'alice', (cb) => cb({ token: current }));
    await activeRoom(shared, bob, 'alice', 'bob', 'ab');
    await activeRoom(carol, bob, 'carol', 'bob', 'cb');

    current = await token('carol', 3600);
    await cut(shared);
    await comeBack(shared);
    expect(shared.socket.recovered).toBe(true);
    const toAlice = await bob.request('message', { roomToken: 'ab', message: 'for alice only' });
    const toCarol = await bob.request('message', { roomToken: 'cb', message: 'for carol' });
    await shared.waitFor('message', (m) => m._id === toCarol.data.message._id);
    await shared.barrier();
    expect(shared.all('message', (m) => m._id === toAlice.data.message._id)).toEqual([]);
    expect((await shared.request('message', { roomToken: 'ab', message: 'as alice?' })).error.code).toBe('forbidden');
  });
});
