import type { Message } from '../protocol/index.js';
import type { MessageRepository, StoredMessage } from '../store/chat-store.js';

export interface WriterOptions {
  batchSize: number;
  /** 0: the first batch goes out on the next turn of the event loop (setImmediate). */
  delayMs: number;
  /** After each batch: how many messages it stored (repeats excluded) and how long it took. */
  onFlush?: (stored: number, seconds: number) => void;
}

interface Pending {
  message: StoredMessage;
  resolve: (stored: Message) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: one batch is written at a time, in one transaction, in arrival order; whatever arrives
 * while it is written becomes the next batch. A slow store therefore gets bigger batches instead of a
 * queue of tiny ones, and id order, storage order and resolution order agree.
 */
export class MessageWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly messages: MessageRepository,
    private readonly options: WriterOptions,
  ) {}

  write(message: StoredMessage): Promise<Message> {
    return new Promise<Message>((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      if (this.writing) return;
      if (this.queue.length >= this.options.batchSize) this.flush();
      else this.schedule();
    });
  }

  /** Resolves once everything queued so far is written (or failed). */
  async drain(): Promise<void> {
    this.flush();
    while (this.writing) await this.writing;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.flush();
    };
    if (this.options.delayMs > 0) setTimeout(run, this.options.delayMs);
    else setImmediate(run);
  }

  private flush(): void {
    if (this.writing || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.batchSize);
    this.writing = this.writeBatch(batch).finally(() => {
      this.writing = undefined;
      this.flush();
    });
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const started = performance.now();
    const created = await this.store(batch);
    this.options.onFlush?.(created, (performance.now() - started) / 1000);
  }

  /**
   * Writes the batch; if that fails because of its rows (not because storage is unreachable), writes its two
   * halves one after the other, and so on down to the failing message(s), so that only their senders get the
   * error (one bad row costs about 2·log2(batch) extra transactions). Returns how many messages were created.
   */
  private async store(batch: Pending[]): Promise<number> {
    try {
      const stored = await this.messages.insertBatch(batch.map((p) => p.message));
      // A repeated clientMsgId comes back as its original: only the others were stored (the store writes
      // the final ids into the messages it was given).
      const created = stored.filter((m, i) => m._id === batch[i]!.message._id).length;
      batch.forEach((p, i) => p.resolve(stored[i]!));
      return created;
    } catch (err) {
      if (batch.length === 1 || isUnavailable(err)) {
        for (const p of batch) p.reject(err);
        return 0;
      }
      const half = Math.ceil(batch.length / 2);
      return (await this.store(batch.slice(0, half))) + (await this.store(batch.slice(half)));
    }
  }
}

// Connection-level failures: retrying parts of the batch would only fail again (slowly, when the database
// does not answer), so the whole batch fails at once.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', 'SQLITE_BUSY', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_READONLY']);
const UNAVAILABLE_MESSAGE = /connection terminated|timeout exceeded when trying to connect|connection error|pool after calling end|not open/i;

/** Whether a store error says the database is unreachable or unusable (rather than refusing these rows). */
export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_IOERR')) return true;
    // SQLSTATE classes: 08 connection, 53 insufficient resources, 57 operator intervention, 58 system error.
    if (/^(08|53|57|58)[0-9A-Z]{3}$/.test(code)) return true;
  }
  return err instanceof Error && UNAVAILABLE_MESSAGE.test(err.message);
}
