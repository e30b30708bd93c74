import type { FastifyInstance } from 'fastify';
import { ParleyError, deliveriesQuerySchema, deliveryPathSchema, parsePayload } from '../../../protocol/index.js';
import { errors, schemas, jsonSchema, security, tags } from './openapi.js';
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
        summary: 'Deliver again, now',
        description: 'Attempts the delivery at once (same webhook-id) and answers with it after the attempt; if it fails again it is retried on the usual schedule for another 24 hours.',
        params: jsonSchema(deliveryPathSchema),
        response: { 200: schemas.delivery, ...errors(400, 404) },
      },
    },
    async (req) => {
      const { id } = parsePayload(deliveryPathSchema, req.params, 'path');
      const delivery = await deps.webhooks.retryNow(id);
      if (!delivery) throw new ParleyError('not_found', `No webhook delivery "${id}".`);
      return { success: true, data: { delivery } };
    },
  );
}
