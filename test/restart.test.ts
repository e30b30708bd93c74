import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { activeRoom, createTestApp, tempDir } from './support/test-app.js';

describe('restart', () => {
  it('keeps rooms and acknowledged messages across close and reopen of the same file', async () => {
    const dbPath = join(tempDir(), 'restart.db');
    const first = await createTestApp({}, { dbPath });
    const c = await first.connect('c1');
    const v = await first.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const acked = await Promise.all(
      Array.from({ length: 20 }, (_, i) => c.request('message', { roomToken: 'tok', message: `m${i}`, clientMsgId: `k${i}` })),
    );
    await first.close();

    const second = await createTestApp({}, { dbPath });
    const res = await (await fetch(`${second.url}/v1/chat/?roomToken=tok&namespace=customer&limit=20`)).json();
    expect(res.data.messages.map((m: any) => m._id).sort()).toEqual(acked.map((a) => a.data.message._id).sort());
    const c2 = await second.connect('c1');
    const list = await c2.waitForPrivate('list-room');
    expect(list.data.rooms[0]).toMatchObject({ roomToken: 'tok', status: 'active' });
    // Retrying after the restart with a known clientMsgId stores nothing new.
    const retry = await c2.request('message', { roomToken: 'tok', message: 'again', clientMsgId: 'k3' });
    expect(retry.data.message._id).toBe(acked[3].data.message._id);
  });
});
