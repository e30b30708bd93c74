import type SQLite from 'better-sqlite3';

const RETRY_MS = 1;

/**
 * Runs `write` (a `.immediate()` transaction) without the event loop ever sleeping in SQLite's busy handler:
 * while another connection (a dispatcher process, the checkpointer) holds the write lock, this waits on a timer
 * and tries again, and the process keeps serving meanwhile. Also waits out a Kysely transaction on this
 * connection, which the write would otherwise join.
 */
export class NonBlockingWriter {
  private readonly busyOff: SQLite.Statement;
  private readonly busyOn: SQLite.Statement;

  constructor(
    private readonly database: SQLite.Database,
    private readonly maxWaitMs = 5000,
  ) {
    this.busyOff = database.prepare('pragma busy_timeout = 0');
    this.busyOn = database.prepare(`pragma busy_timeout = ${maxWaitMs}`);
  }

  async run<T>(write: () => T): Promise<T> {
    const deadline = performance.now() + this.maxWaitMs;
    for (;;) {
      while (this.database.inTransaction) await new Promise((resolve) => setImmediate(resolve));
      this.busyOff.get();
      try {
        return write();
      } catch (err) {
        if (!(err as { code?: string }).code?.startsWith('SQLITE_BUSY') || performance.now() > deadline) throw err;
      } finally {
        this.busyOn.get();
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}
