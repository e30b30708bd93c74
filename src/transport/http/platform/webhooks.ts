import type { FastifyInstance } from 'fastify';
import { ParleyError, deliveriesQuerySchema, deliveryPathSchema, parsePayload } from '../../../protocol/index.js';
import { errors, schemas, jsonSchema, security, tags } from './openapi.js';
import type { Delivery } from '../../../store/platform-repository.js';
import type { PlatformDeps } from './index.js';

const DELIVERIES_MAX = 1000;
const DELIVERIES_DEFAULT = 100;

/** The webhook delivery log and retries by hand. */
export function registerWebhookRoutes(scope: FastifyInstance, deps: PlatformDeps): void {
  scope.get(
    '/webhooks/deliveries',
    {
      schema: {
        tags,
        security,
        summary: 'Webhook deliveries, newest first',
        querystring: jsonSchema(deliveriesQuerySchema),
        response: { 200: schemas.deliveries, ...errors(400) },
      },
    },
    async (req) => {
      const { status, limit } = parsePayload(deliveriesQuerySchema, req.query, 'deliveries query');
      const n = Math.min(DELIVERIES_MAX, Math.max(1, limit === undefined ? DELIVERIES_DEFAULT : Number(limit)));
      return { success: true, data: { deliveries: await deps.store.platform.deliveries.list(status, n) } };
    },
  );

  scope.post(
    '/webhooks/deliveries/:id/retry',
    {
      schema: {
        tags,
        security,
        summary: 'Deliver a failed delivery again, now',
        description:
          'Attempts a failed delivery once, at once (same webhook-id), and answers with it after the attempt: delivered, or failed again. ' +
          'A pending or delivered delivery is not attempted: 400 invalid_payload.',
        params: jsonSchema(deliveryPathSchema),
        response: { 200: schemas.delivery, ...errors(400, 404) },
      },
    },
    async (req) => {
      const { id } = parsePayload(deliveryPathSchema, req.params, 'path');
      const result = await deps.webhooks.retryNow(id);
      if (!result) throw new ParleyError('not_found', `No webhook delivery "${id}".`);
      if (!result.retried) throw notRetried(result.delivery);
      return { success: true, data: { delivery: result.delivery } };
    },
  );
}

function notRetried(delivery: Delivery): ParleyError {
  const why =
    delivery.status === 'failed'
      ? 'webhooks are off (no WEBHOOK_URLS), so it cannot be attempted'
      : `it is ${delivery.status}: only a failed delivery can be retried`;
  return new ParleyError('invalid_payload', `Webhook delivery "${delivery.id}" was not retried: ${why}.`);
}
