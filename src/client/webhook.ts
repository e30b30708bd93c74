import { Webhook } from 'standardwebhooks';
import { ParleyError } from '../protocol/errors.js';
import type { WebhookPayload } from '../protocol/webhooks.js';

/**
 * Verifies a Parley webhook in the receiver's code: `rawBody` exactly as received (not re-serialized JSON),
 * the request's headers, and the WEBHOOK_SECRET (`whsec_…`). Returns the typed event; a bad signature, a
 * missing header or a timestamp more than 5 minutes off throws ParleyError `unauthorized`.
 * Deduplicate on the `webhook-id` header: delivery is at least once.
 */
export function verifyWebhook(
  secret: string,
  rawBody: string | Buffer,
  headers: Record<string, string | string[] | undefined>,
): WebhookPayload {
  const pick = (name: string) => {
    const value = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  try {
    return new Webhook(secret).verify(body, {
      'webhook-id': pick('webhook-id') ?? '',
      'webhook-timestamp': pick('webhook-timestamp') ?? '',
      'webhook-signature': pick('webhook-signature') ?? '',
    }) as WebhookPayload;
  } catch (err) {
    throw new ParleyError('unauthorized', `Webhook verification failed: ${err instanceof Error ? err.message : String(err)}.`);
  }
}
