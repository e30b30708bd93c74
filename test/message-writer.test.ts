import { describe, expect, it } from 'vitest';
import { MessageWriter } from '../src/services/message-writer.js';
import type { MessageRepository, StoredMessage } from '../src/store/chat-store.js';

function message(n: number): StoredMessage {
  const id = String(n).padStart(4, '0');
  return { _id: id, namespace: 'ns', message: `m${n}`, message_type: 'text', senderId: 'a', receiverId: 'b', room_id: 'r', roomToken: 't', dt: '2026-01-01T00:00:00.000Z' };
}

/** A store whose writes finish only when the test says so: a stand-in for a slow database. */
function slowStore() {
  const batches: StoredMessage[][] = [];
  const releases: Array<() => void> = [];
  const repo = {
    insertBatch: (rows: StoredMessage[]) => {
      batches.push(rows);
      return new Promise((resolve) => releases.push(() => resolve(rows.map(({ namespace: _n, ...m }) => m))));
    },
  } as unknown as MessageRepository;
  return { repo, batches, release: () => releases.shift()!() };
}

describe('MessageWriter (group commit)', () => {
  it('writes what arrives during a slow write as the next single batch, in order', async () => {
    const store = slowStore();
    const writer = new MessageWriter(store.repo, { batchSize: 100, delayMs: 0 });
    const first = writer.write(message(0));
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.batches).toHaveLength(1);
    const rest = Array.from({ length: 10 }, (_, i) => writer.write(message(i + 1)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.batches).toHaveLength(1);
    store.release();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.batches.map((b) => b.length)).toEqual([1, 10]);
    store.release();
    expect((await Promise.all(rest)).map((m) => m._id)).toEqual(rest.map((_, i) => String(i + 1).padStart(4, '0')));
  });

  it('caps a batch at batchSize and drains everything on close', async () => {
    const store = slowStore();
    const writer = new MessageWriter(store.repo, { batchSize: 4, delayMs: 0 });
    const all = Array.from({ length: 10 }, (_, i) => writer.write(message(i)));
    const drained = writer.drain();
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      store.release();
    }
    await drained;
    expect(store.batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(await Promise.all(all)).toHaveLength(10);
  });
});
