import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AuthFailure } from '../../auth/auth-failure.js';
import type { HttpDeps } from './http-server.js';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * GET /metrics. With a metricsToken it needs `Authorization: Bearer <metricsToken>` (401 otherwise);
 * without one it is served only when metricsPublic (off in production.json); else there is no route (404).
 */
export function registerMetricsRoute(app: FastifyInstance, deps: Pick<HttpDeps, 'metrics' | 'metricsAccess'>): void {
  const { token } = deps.metricsAccess;
  if (token === undefined && !deps.metricsAccess.public) return;
  app.get('/metrics', {
    schema: { hide: true },
    onRequest: async (req) => {
      if (token === undefined) return;
      const header = req.headers.authorization;
      if (header === undefined || header === '') throw new AuthFailure('missing');
      const given = header.replace(/^bearer\s+/i, '').trim();
      if (!sameSecret(given, token)) throw new AuthFailure('wrong_token');
    },
  }, async (_req, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.text()));
}
