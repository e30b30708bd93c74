import type { Message } from '../protocol/index.js';
import type { MessageRepository, StoredMessage } from '../store/chat-store.js';

export interface WriterOptions {
  batchSize: number;
  /** 0: flush on the next turn of the event loop (setImmediate). */
  delayMs: number;
  onFlush?: (rows: number, seconds: number) => void;
}

interface Pending {
  message: StoredMessage;
  resolve: (stored: Message) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: messages queued in the same tick are written in one transaction, in arrival order.
 * Batches are written one after another, so id order, storage order and resolution order agree.
 */
export class MessageWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly messages: MessageRepository,
    private readonly options: WriterOptions,
  ) {}

  write(message: StoredMessage): Promise<Message> {
    return new Promise<Message>((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      if (this.queue.length >= this.options.batchSize) this.flushNow();
      else this.schedule();
    });
  }

  /** Resolves once everything queued so far is written (or failed). */
  async drain(): Promise<void> {
    this.flushNow();
    await this.flushing;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.flushNow();
    };
    if (this.options.delayMs > 0) setTimeout(run, this.options.delayMs);
    else setImmediate(run);
  }

  private flushNow(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.flushing.then(() => this.writeBatch(batch));
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const started = performance.now();
    try {
      const stored = await this.messages.insertBatch(batch.map((p) => p.message));
      this.options.onFlush?.(batch.length, (performance.now() - started) / 1000);
      batch.forEach((p, i) => p.resolve(stored[i]!));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
