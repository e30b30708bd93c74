import type SQLite from 'better-sqlite3';

/** How long a statement on the main connection may wait for SQLite's lock (its busy handler sleeps meanwhile). */
export const BUSY_TIMEOUT_MS = 5000;
const MAX_RETRY_MS = 25;
const SPIN_MS = 1;
const STEADY_MS = 20;

/**
 * Writes on one connection without the event loop ever sleeping in SQLite's busy handler: while another
 * connection (a dispatcher process, the checkpointer, another process migrating) holds the write lock, a write
 * tries again on the next turns of the event loop for a millisecond, then every millisecond, then backing off to
 * 25 ms, and the process keeps serving meanwhile. It also waits
 * out a Kysely transaction on this connection, which the write would otherwise join. One per connection.
 *
 * Its writes run with the connection's busy timeout off, and leave it off: setting it costs two statements,
 * and on the message path they were a tenth of the store's time. Statements that may wait for the lock in
 * SQLite's busy handler (Kysely's, through `strict()`) put it back first; reads in WAL mode never wait for it.
 */
export class NonBlockingWriter {
  private readonly busyOff: SQLite.Statement;
  private readonly busyOn: SQLite.Statement;
  /** The connection's busy timeout is off (after a write of this writer). */
  private lenient = false;

  constructor(
    private readonly database: SQLite.Database,
    /** Seconds a write waited for another connection's lock (only writes that found it taken). */
    private readonly onWait: (seconds: number) => void = () => {},
  ) {
    this.busyOff = database.prepare('pragma busy_timeout = 0');
    this.busyOn = database.prepare(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // A pragma statement sets its value when prepared, and its first run after that sets nothing (measured):
    // run each once here, or the first write waits in the busy handler, blocking the process (up to 5 s).
    this.busyOff.get();
    this.busyOn.get();
  }

  /** Puts the connection's busy timeout back, for a statement that is not run through `run`. */
  strict(): void {
    if (!this.lenient) return;
    this.busyOn.get();
    this.lenient = false;
  }

  /** Runs `write` (a `.immediate()` transaction, a statement, BEGIN IMMEDIATE); SQLITE_BUSY after `maxWaitMs` is thrown. */
  async run<T>(write: () => T, maxWaitMs = BUSY_TIMEOUT_MS): Promise<T> {
    const started = performance.now();
    const deadline = started + maxWaitMs;
    const pause = backoff(started);
    for (let tries = 0; ; tries++) {
      while (this.database.inTransaction) {
        if (performance.now() > deadline) throw Object.assign(new Error(`a transaction on this connection stayed open over ${maxWaitMs} ms`), { code: 'SQLITE_BUSY' });
        await pause();
      }
      if (!this.lenient) {
        this.busyOff.get();
        this.lenient = true;
      }
      try {
        const result = write();
        if (tries > 0) this.onWait((performance.now() - started) / 1000);
        return result;
      } catch (err) {
        if (!(err as { code?: string }).code?.startsWith('SQLITE_BUSY') || performance.now() > deadline) throw err;
      }
      await pause();
    }
  }
}

/**
 * The wait before the next try. The other connection's writes (a dispatcher's, the checkpointer's) mostly
 * hold the lock well under a millisecond: look again on the next turn of the event loop at first (a timer
 * sleeps ≥ 1 ms, and doubling sleeps made the mean wait 3–7 ms), then every millisecond, then back off for
 * long holders (a migration, a backup).
 */
function backoff(started: number): () => Promise<void> {
  let retryMs = 1;
  return () => {
    const waited = performance.now() - started;
    if (waited < SPIN_MS) return new Promise((resolve) => setImmediate(resolve));
    const sleep = retryMs;
    if (waited > STEADY_MS) retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
    return new Promise((resolve) => setTimeout(resolve, sleep));
  };
}
