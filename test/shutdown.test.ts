import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MessageLoad, openRooms, readRoom } from './support/message-load.js';
import { startServer, writeConfig } from './support/server-process.js';
import { activeRoom, createTestApp, tempDir } from './support/test-app.js';

const PAIRS = 3;
const SHUTDOWN_TIMEOUT_MS = 3000;


describe('graceful shutdown (SIGTERM)', () => {
  it('exits 0 within the timeout, and what is stored is exactly what was acknowledged', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'shutdown.db');
    const config = writeConfig(dir, { shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS });
    const server = await startServer(dbPath, config);
    const load = new MessageLoad(await openRooms(server, PAIRS), 8).start();
    await load.whenAcked(300);
    const inFlight = load.with('pending');
    const signalled = performance.now();
    server.child.kill('SIGTERM');
    const { code, signal } = await server.exited;
    const took = performance.now() - signalled;
    await load.stop();

    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(took).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(server.output()).toMatch(/SIGTERM received/);
    for (const refused of load.with('refused')) expect(refused.errorCode).toBe('internal');
    // Sends the server was handling at SIGTERM were finished and acked, not cut off.
    expect(inFlight.filter((s) => s.outcome === 'acked').length).toBeGreaterThan(0);

    const restarted = await startServer(dbPath, config);
    const stored = new Map<string, string>();
    for (let i = 0; i < PAIRS; i++) {
      const reader = await restarted.connect(`c${i}`);
      for (const m of await readRoom(reader, `room${i}`)) stored.set(m.clientMsgId!, m._id);
    }
    const acked = load.with('acked');
    expect(acked.length).toBeGreaterThanOrEqual(300);
    // No acknowledged message lost, and no stored message whose ack was lost.
    expect(new Map(acked.map((s) => [s.clientMsgId, s.messageId]))).toEqual(stored);
  }, 60_000);

  it('in process: acks in-flight messages before closing and stores exactly the acked ones', async () => {
    const dbPath = join(tempDir(), 'drain.db');
    const t = await createTestApp({}, { dbPath });
    const [c, v] = await Promise.all([t.connect('c1'), t.connect('v1')]);
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const senders = [{ client: c, userId: 'c1', roomToken: 'tok' }, { client: v, userId: 'v1', roomToken: 'tok' }];
    const load = new MessageLoad(senders, 16).start();
    await load.whenAcked(200);
    const inFlight = load.with('pending');
    await t.app.close();
    await load.stop();
    // Sends being handled when close() began were finished and acked rather than cut off.
    expect(inFlight.filter((s) => s.outcome === 'acked').length).toBeGreaterThan(0);

    for (const refused of load.with('refused')) expect(refused.errorCode).toBe('internal');
    const acked = new Map(load.with('acked').map((s) => [s.clientMsgId, s.messageId]));
    const reopened = await createTestApp({}, { dbPath });
    const stored = await readRoom(await reopened.connect('c1'), 'tok');
    expect(new Map(stored.map((m) => [m.clientMsgId!, m._id]))).toEqual(acked);
  });
});
