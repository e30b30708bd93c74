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
    try {
      const stored = await this.messages.insertBatch(batch.map((p) => p.message));
      // A repeated clientMsgId comes back as its original: only new ids were stored.
      const created = stored.filter((m, i) => m._id === batch[i]!.message._id).length;
      this.options.onFlush?.(created, (performance.now() - started) / 1000);
      batch.forEach((p, i) => p.resolve(stored[i]!));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
