import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ParleyError, historyQuerySchema, parsePayload } from '../../protocol/index.js';
import type { HttpDeps } from './http-server.js';

const errorBody = {
  type: 'object',
  properties: {
    success: { type: 'boolean', const: false },
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
};

/** GET /v1/chat/: SPEC §7 (page/limit) and §9 (before/after cursors). */
export function registerHistoryRoute(app: FastifyInstance, deps: HttpDeps): void {
  const querystring = z.toJSONSchema(historyQuerySchema, { io: 'input', unrepresentable: 'any' });
  app.get(
    '/v1/chat/',
    {
      config: { rateLimit: { max: deps.historyRate.points, timeWindow: deps.historyRate.durationSeconds * 1000 } },
      schema: {
        summary: 'Chat history of a room, newest first',
        description:
          'page/limit: limit is clamped to 5..20, page below 1 is 1. before/after=<message _id> return a cursor page with nextCursor. In jwt mode send Authorization: Bearer <jwt> of a member.',
        querystring,
        security: deps.authenticator.mode === 'jwt' ? [{ bearer: [] }] : [],
        response: { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 429: errorBody },
      },
      // zod validates in the handler (one source of truth); the JSON schema above is for the docs only.
      validatorCompiler: () => (data) => ({ value: data }),
      onRequest: async (req) => {
        req.reader = await deps.authenticator.fromAuthorizationHeader(req.headers.authorization);
      },
    },
    async (req) => {
      const query = parsePayload(historyQuerySchema, singleValues(req.query), 'history query');
      return { success: true, data: await deps.history.read(query, req.reader) };
    },
  );
}

/** A key given twice (`?roomToken=a&roomToken=b`) is refused with a sentence naming it, before zod's wording. */
function singleValues(query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query;
  const repeated = Object.entries(query).find(([, value]) => Array.isArray(value));
  if (repeated) {
    throw new ParleyError('invalid_payload', `Invalid history query: "${repeated[0].slice(0, 64)}" is given more than once; give it once.`);
  }
  return query;
}

declare module 'fastify' {
  interface FastifyRequest {
    reader?: string;
  }
}
