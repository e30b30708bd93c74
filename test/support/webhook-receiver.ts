import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { onTestFinished } from 'vitest';

export interface ReceivedHook {
  id: string;
  timestamp: string;
  signature: string;
  raw: string;
  body: { type: string; timestamp: string; data: any };
  headers: IncomingMessage['headers'];
  /** What this request was answered with. */
  answer: Answer;
}

/** How to answer: an HTTP status, hang (never answer until the receiver closes), or 200 with a body that never ends. */
export type Answer = number | 'hang' | 'trickle';

export const TEST_WEBHOOK_SECRET = `whsec_${Buffer.from('parley-test-webhook-secret-32bytes!').toString('base64')}`;

/**
 * A real HTTP endpoint in the test process: records every POST and answers as told (2xx, 500, or hangs).
 * Closed when the test finishes.
 */
export class WebhookReceiver {
  readonly received: ReceivedHook[] = [];
  /** Chooses the answer per request (default 204). */
  answer: (hook: Omit<ReceivedHook, 'answer'>) => Answer = () => 204;
  private waiters: Array<() => void> = [];
  private readonly hanging = new Set<ServerResponse>();
  private readonly server = createServer((req, res) => this.handle(req, res));
  url = '';

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hooks`;
    onTestFinished(() => receiver.close());
    return receiver;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const hook = {
        id: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        raw,
        body: JSON.parse(raw),
        headers: req.headers,
      };
      const answer = this.answer(hook);
      this.received.push({ ...hook, answer });
      for (const wake of this.waiters.splice(0)) wake();
      if (answer === 'hang') this.hanging.add(res);
      else if (answer === 'trickle') this.trickle(res);
      else res.writeHead(answer).end();
    });
  }

  /** Headers at once, then a byte every 100 ms, never the end (until the receiver closes). */
  private trickle(res: ServerResponse): void {
    this.hanging.add(res);
    res.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => res.write('.'), 100);
    this.trickles.push(new Promise((resolve) => res.once('close', () => resolve(clearInterval(timer)))));
  }

  /** One per trickled answer, settled when the sender cuts (or the receiver closes) that connection. */
  readonly trickles: Promise<void>[] = [];

  /** Every received hook of that type (retries included). */
  ofType(type: string): ReceivedHook[] {
    return this.received.filter((h) => h.body.type === type);
  }

  /** Waits until `done(received)` holds (woken by each request; no polling). */
  until<T>(done: (received: ReceivedHook[]) => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`webhook receiver: condition not met within ${timeoutMs} ms (${this.received.length} received: ${this.received.map((h) => h.body.type).join(', ')})`)), timeoutMs);
      const check = () => {
        const value = done(this.received);
        if (value) {
          clearTimeout(timer);
          resolve(value);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** The first hook of `type` matching `match` (waits for it). */
  waitFor(type: string, match: (data: any) => boolean = () => true, timeoutMs?: number): Promise<ReceivedHook> {
    return this.until((all) => all.find((h) => h.body.type === type && match(h.body.data)), timeoutMs);
  }

  /** Verifies with the standardwebhooks library itself; throws if the signature is wrong. */
  verify(hook: ReceivedHook, secret = TEST_WEBHOOK_SECRET): unknown {
    return new Webhook(secret).verify(hook.raw, {
      'webhook-id': hook.id,
      'webhook-timestamp': hook.timestamp,
      'webhook-signature': hook.signature,
    });
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
