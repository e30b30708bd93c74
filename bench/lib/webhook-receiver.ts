import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { newHist, percentiles, recordMs, type Percentiles } from './hist.js';

/** One `message.created` as the receiver saw it: the message's stored time (`dt`) and the arrival time (epoch ms). */
interface Arrival {
  dtMs: number;
  atMs: number;
}

export interface WebhookLag {
  /** Distinct `message.created` events received for messages stored in the window. */
  received: number;
  /** Messages Parley stored in the window (from /metrics). */
  expected: number;
  /** Arrival time minus the message's `dt`, ms. */
  lag: Percentiles;
  /** How long after the load ended the last one arrived (or the wait gave up), ms. */
  drainMs: number;
}

/**
 * A webhook endpoint that answers 204 at once and timestamps every `message.created` (deduplicated on
 * the message id, as delivery is at least once). It runs in the orchestrator, on the load core, so it
 * takes no CPU from the server's core.
 */
export class WebhookReceiver {
  private readonly seen = new Map<string, Arrival>();
  private lastArrival = 0;
  requests = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const atMs = Date.now();
        res.writeHead(204).end();
        receiver.record(Buffer.concat(chunks).toString('utf8'), atMs);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return receiver;
  }

  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('receiver not listening');
    return `http://127.0.0.1:${address.port}/hooks`;
  }

  private record(body: string, atMs: number): void {
    this.requests++;
    this.lastArrival = atMs;
    const event = JSON.parse(body) as { type: string; data: { message?: { _id: string; dt: string } } };
    const m = event.data.message;
    if (event.type !== 'message.created' || !m || this.seen.has(m._id)) return;
    this.seen.set(m._id, { dtMs: Date.parse(m.dt), atMs });
  }

  /** Forgets everything received so far. */
  reset(): void {
    this.seen.clear();
  }

  /** Messages stored from `sinceMs` on that have arrived. */
  private arrivals(sinceMs: number): Arrival[] {
    return [...this.seen.values()].filter((a) => a.dtMs >= sinceMs);
  }

  /**
   * Waits until `expected` messages stored since `sinceMs` have arrived, or nothing has arrived for
   * `idleMs`, or `maxMs` passed; then the lag of those that arrived.
   */
  async drain(sinceMs: number, expected: number, endedAt: number, idleMs = 3000, maxMs = 60_000): Promise<WebhookLag> {
    const deadline = Date.now() + maxMs;
    while (Date.now() < deadline && this.arrivals(sinceMs).length < expected && Date.now() - Math.max(this.lastArrival, endedAt) < idleMs) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const got = this.arrivals(sinceMs);
    const hist = newHist();
    for (const a of got) recordMs(hist, Math.max(0, a.atMs - a.dtMs));
    const last = got.reduce((m, a) => Math.max(m, a.atMs), endedAt);
    return { received: got.length, expected, lag: percentiles(hist), drainMs: Math.max(0, last - endedAt) };
  }

  /** Waits until no request has arrived for `quietMs` (a previous step's backlog is delivered), at most `maxMs`. */
  async quiet(quietMs = 1000, maxMs = 60_000): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (Date.now() < deadline && Date.now() - this.lastArrival < quietMs) await new Promise((r) => setTimeout(r, 100));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
