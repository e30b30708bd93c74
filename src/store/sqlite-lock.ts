import type SQLite from 'better-sqlite3';

/** How long a statement on the main connection may wait for SQLite's lock (its busy handler sleeps meanwhile). */
export const BUSY_TIMEOUT_MS = 5000;
const MAX_RETRY_MS = 25;

/**
 * Writes on one connection without the event loop ever sleeping in SQLite's busy handler: while another
 * connection (a dispatcher process, the checkpointer, another process migrating) holds the write lock, a write
 * waits on a timer (1, 2, 4 … 25 ms) and tries again, and the process keeps serving meanwhile. It also waits
 * out a Kysely transaction on this connection, which the write would otherwise join. One per connection.
 */
export class NonBlockingWriter {
  private readonly busyOff: SQLite.Statement;
  private readonly busyOn: SQLite.Statement;

  constructor(private readonly database: SQLite.Database) {
    this.busyOff = database.prepare('pragma busy_timeout = 0');
    this.busyOn = database.prepare(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }

  /** Runs `write` (a `.immediate()` transaction, a statement, BEGIN IMMEDIATE); SQLITE_BUSY after `maxWaitMs` is thrown. */
  async run<T>(write: () => T, maxWaitMs = BUSY_TIMEOUT_MS): Promise<T> {
    const deadline = performance.now() + maxWaitMs;
    for (let retryMs = 1; ; retryMs = Math.min(MAX_RETRY_MS, retryMs * 2)) {
      while (this.database.inTransaction) await new Promise((resolve) => setImmediate(resolve));
      this.busyOff.get();
      try {
        return write();
      } catch (err) {
        if (!(err as { code?: string }).code?.startsWith('SQLITE_BUSY') || performance.now() > deadline) throw err;
      } finally {
        this.busyOn.get();
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}
