import { Webhook } from 'standardwebhooks';

export interface AttemptResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/** Signs and POSTs one delivery (Standard Webhooks headers); never throws. */
export class WebhookSender {
  private readonly signer: Webhook;

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
      const response = await fetch(url, {
        method: 'POST',
        headers: this.headers(id, at, body),
        body,
        redirect: 'manual',
        signal: AbortSignal.any([stop, AbortSignal.timeout(this.timeoutMs)]),
      });
      await response.body?.cancel().catch(() => {});
      const ok = response.status >= 200 && response.status < 300;
      return { ok, status: response.status, error: ok ? null : `HTTP ${response.status}` };
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      const message = timedOut ? `no answer within ${this.timeoutMs} ms` : describe(err);
      return { ok: false, status: null, error: message.slice(0, 500) };
    }
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}
