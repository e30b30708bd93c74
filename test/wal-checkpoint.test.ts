import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { tempDir } from './support/test-app.js';
import { waitUntil } from './support/wait-until.js';

describe('SQLite WAL checkpoints', () => {
  it('are done off the main connection: committed pages reach the database file without it checkpointing', async () => {
    const path = join(tempDir(), 'wal.db');
    const store = await openStore({ databaseUrl: `sqlite:${path}`, sqliteSynchronous: 'NORMAL' });
    try {
      const room = await store.rooms.insert('ns', {
        _id: '01J0000000000000000000ROOM', roomID: 'r', roomToken: 'r', customerID: 'c', vendorID: 'v',
        createdBy: 'c', status: 'active', createdAt: new Date().toISOString(),
      });
      const before = statSync(path).size;
      const rows = Array.from({ length: 2000 }, (_, i) => ({
        _id: `01J1${String(i).padStart(22, '0')}`, namespace: 'ns', message: 'x'.repeat(200), message_type: 'text' as const,
        senderId: 'c', receiverId: 'v', room_id: room._id, roomToken: 'r', dt: new Date().toISOString(),
      }));
      await store.messages.insertBatch(rows);
      // ~100 pages: below the main connection's own threshold (1,000 pages), so only the worker can have done this.
      await waitUntil('the database file to take the checkpointed pages', () => statSync(path).size > before + 200 * 1000, 5000);
      expect(await store.messages.countInRoom(room._id)).toBe(2000);
    } finally {
      await store.close();
    }
  });
});
