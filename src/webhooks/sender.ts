import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';

export interface AttemptResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/** Sockets kept open per endpoint between attempts: deliveries of a busy outbox reuse them. */
const MAX_SOCKETS_PER_ENDPOINT = 64;

/**
 * Signs and POSTs one delivery (Standard Webhooks headers); never throws. Plain node:http with keep-alive
 * agents rather than fetch: fetch cost about a tenth of the server's CPU when every message was delivered.
 */
export class WebhookSender {
  private readonly signer: Webhook;
  private readonly agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_ENDPOINT }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_ENDPOINT }),
  };

  constructor(
    secret: string,
    private readonly timeoutMs: number,
  ) {
    this.signer = new Webhook(secret);
  }

  headers(id: string, at: Date, body: string): Record<string, string> {
    return {
      'content-type': 'application/json',
      'user-agent': 'Parley-Webhooks/1',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': this.signer.sign(id, at, body),
    };
  }

  async send(url: string, id: string, at: Date, body: string, stop: AbortSignal): Promise<AttemptResult> {
    try {
      const status = await this.post(new URL(url), this.headers(id, at, body), body, stop);
      const ok = status >= 200 && status < 300;
      return { ok, status, error: ok ? null : `HTTP ${status}` };
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      const message = timedOut ? `no answer within ${this.timeoutMs} ms` : describe(err);
      return { ok: false, status: null, error: message.slice(0, 500) };
    }
  }

  /** The response's status once its body has been read (so the socket can serve the next attempt). */
  private post(url: URL, headers: Record<string, string>, body: string, stop: AbortSignal): Promise<number> {
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
    const signal = AbortSignal.any([stop, AbortSignal.timeout(this.timeoutMs)]);
    const options = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      agent: secure ? this.agents.https : this.agents.http,
      signal,
    };
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(url, options, (res: IncomingMessage) => {
        res.on('error', reject);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.resume();
      });
      req.on('error', (err) => reject(signal.aborted && signal.reason instanceof Error ? signal.reason : err));
      req.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}
