import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestClient } from './support/client.js';
import { MessageLoad, openRooms, readRoom, type Sent } from './support/message-load.js';
import { startServer, writeConfig, type ServerProcess } from './support/server-process.js';
import { tempDir } from './support/test-app.js';

const PAIRS = 3;


async function reconnect(server: ServerProcess): Promise<Map<string, TestClient>> {
  const ids = Array.from({ length: PAIRS }, (_, i) => [`c${i}`, `v${i}`]).flat();
  const clients = await Promise.all(ids.map((id) => server.connect(id)));
  return new Map(ids.map((id, i) => [id, clients[i]!]));
}

async function history(clients: Map<string, TestClient>) {
  const rooms = await Promise.all(Array.from({ length: PAIRS }, (_, i) => readRoom(clients.get(`c${i}`)!, `room${i}`)));
  for (const room of rooms) expect(room.map((m) => m._id)).toEqual(room.map((m) => m._id).sort());
  return rooms.flat();
}

describe('durability under SIGKILL', () => {
  it('keeps every acknowledged message exactly once, and retries with the same clientMsgId add no duplicates', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'crash.db');
    const config = writeConfig(dir);
    const first = await startServer(dbPath, config);
    const load = new MessageLoad(await openRooms(first, PAIRS)).start();
    await load.whenAcked(400);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await load.stop();

    const acked = load.with('acked');
    const unacked = [...load.with('lost'), ...load.with('pending')];
    expect(acked.length).toBeGreaterThanOrEqual(400);
    expect(load.with('refused')).toEqual([]);

    const second = await startServer(dbPath, config);
    const clients = await reconnect(second);
    const afterCrash = new Map((await history(clients)).map((m) => [m.clientMsgId, m._id]));
    for (const sent of acked) expect(afterCrash.get(sent.clientMsgId), sent.clientMsgId).toBe(sent.messageId);

    // Clients resend whatever they never got an ack for, and (needlessly) a few that they did.
    const retries = [...unacked, ...acked.slice(0, 20)];
    const results = await Promise.all(
      retries.map((s: Sent) =>
        clients.get(s.sender)!.request('message', { roomToken: s.roomToken, message: s.text, clientMsgId: s.clientMsgId }),
      ),
    );
    results.forEach((res, i) => {
      const sent = retries[i]!;
      expect(res.success, sent.clientMsgId).toBe(true);
      expect(res.data.message).toMatchObject({ clientMsgId: sent.clientMsgId, message: sent.text, senderId: sent.sender });
      if (sent.messageId) expect(res.data.message._id).toBe(sent.messageId);
      const before = afterCrash.get(sent.clientMsgId);
      if (before) expect(res.data.message._id).toBe(before);
    });

    const final = await history(clients);
    const ids = final.map((m) => m.clientMsgId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(load.sent.keys()));
  }, 60_000);
});
