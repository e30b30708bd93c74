import type { Message } from '../protocol/types.js';

export type SyncPage = { messages: Message[]; hasMore: boolean };
/** One `sync` round trip from `since` (undefined: from the beginning). */
export type SyncFn = (since: string | undefined) => Promise<SyncPage>;

/** How many delivered ids are remembered to drop duplicates (a recovered replay racing a sync). */
const SEEN_LIMIT = 5000;

/**
 * The SDK's `message` stream: live `message` events and, after a reconnect, the messages missed while
 * away, fetched with `sync` from the greatest `_id` seen. Each message reaches the handlers once, and
 * live messages that arrive during the catch-up wait until the missed ones are delivered.
 */
export class MessageFeed {
  private readonly handlers = new Set<(message: Message) => void>();
  private readonly seen = new Set<string>();
  private cursor: string | undefined;
  /** Whether `cursor` (even undefined: "no message existed") is a known starting point for `sync`. */
  private anchored = false;
  /** Disconnected or catching up: live messages are held, ids learned otherwise do not move the cursor. */
  private away = false;
  private held: Message[] = [];
  private run = 0;

  constructor(
    private readonly sync: SyncFn,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The greatest message `_id` the client has seen. */
  get lastMessageId(): string | undefined {
    return this.cursor;
  }

  subscribe(handler: (message: Message) => void): () => void {
    const own = (message: Message) => handler(message);
    this.handlers.add(own);
    return () => this.handlers.delete(own);
  }

  /** A live `message` event. */
  live(message: Message): void {
    if (this.away) this.held.push(message);
    else this.deliver(message);
  }

  /** Ids learned from acks and sync results the caller asked for. */
  observe(ids: Iterable<string | undefined>): void {
    if (this.away) return;
    this.anchored = true;
    for (const id of ids) if (id !== undefined && (this.cursor === undefined || id > this.cursor)) this.cursor = id;
  }

  disconnected(): void {
    this.away = true;
    this.run += 1;
  }

  /** Fetches what was missed, oldest first, then releases the live messages held meanwhile. */
  async reconnected(): Promise<void> {
    const run = ++this.run;
    this.away = true;
    try {
      let since = this.cursor;
      while (this.anchored) {
        const { messages, hasMore } = await this.sync(since);
        if (run !== this.run) return; // dropped again: the next reconnect resumes from the cursor
        for (const message of messages) this.deliver(message, true);
        if (!hasMore || messages.length === 0) break;
        since = messages.at(-1)?._id;
      }
    } catch (error) {
      if (run !== this.run) return;
      this.onError(error);
    }
    const held = this.held;
    this.held = [];
    this.away = false;
    for (const message of held) this.deliver(message);
  }

  private deliver(message: Message, caughtUp = false): void {
    if (!caughtUp && this.away) return void this.held.push(message);
    this.anchored = true;
    if (this.cursor === undefined || message._id > this.cursor) this.cursor = message._id;
    if (this.seen.has(message._id)) return;
    this.seen.add(message._id);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value as string);
    for (const handler of [...this.handlers]) handler(message);
  }
}
