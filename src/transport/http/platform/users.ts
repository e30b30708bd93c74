import type { FastifyInstance } from 'fastify';
import { banSchema, limitQuerySchema, parsePayload, userPathSchema } from '../../../protocol/index.js';
import { errors, messageSchema, ok, roomSchema, schemas, jsonSchema, security, tags } from './openapi.js';
import type { PlatformDeps } from './index.js';

const USER_ROOMS_MAX = 1000;
const USER_ROOMS_DEFAULT = 100;

/** A user's rooms, bans, data-subject export and erasure. */
export function registerUserRoutes(scope: FastifyInstance, deps: PlatformDeps): void {
  const params = jsonSchema(userPathSchema);
  scope.get(
    '/users/:namespace/:userId/rooms',
    {
      schema: {
        tags,
        security,
        summary: "A user's rooms as in list-room, most recently active first",
        params,
        querystring: jsonSchema(limitQuerySchema),
        response: { 200: schemas.rooms, ...errors(400, 404) },
      },
    },
    async (req) => {
      const { namespace, userId } = parsePayload(userPathSchema, req.params, 'path');
      const { limit } = parsePayload(limitQuerySchema, req.query, 'query');
      const n = Math.min(USER_ROOMS_MAX, Math.max(1, limit === undefined ? USER_ROOMS_DEFAULT : Number(limit)));
      return { success: true, data: { rooms: await deps.rooms.listFor(namespace, userId, n) } };
    },
  );

  const banResponse = ok({
    ban: { type: 'object', properties: { namespace: { type: 'string' }, userId: { type: 'string' }, reason: { type: ['string', 'null'] }, until: { type: ['string', 'null'] } } },
  });
  scope.put(
    '/users/:namespace/:userId/ban',
    {
      schema: {
        tags,
        security,
        summary: 'Ban a user',
        description: "Within a second the user's sockets on every node get private { event: 'banned' } and are disconnected; connecting fails (connect_error data.code forbidden) and history requests are 403 until the ban is lifted or until passes.",
        params,
        body: jsonSchema(banSchema),
        response: { 200: banResponse, ...errors(400, 404) },
      },
    },
    async (req) => {
      const { namespace, userId } = parsePayload(userPathSchema, req.params, 'path');
      const body = parsePayload(banSchema, req.body ?? {}, 'ban body');
      return { success: true, data: { ban: await deps.users.ban(namespace, userId, body) } };
    },
  );

  scope.delete(
    '/users/:namespace/:userId/ban',
    {
      schema: { tags, security, summary: 'Lift a ban', params, response: { 200: ok({ lifted: { type: 'boolean' } }), ...errors(400, 404) } },
    },
    async (req) => {
      const { namespace, userId } = parsePayload(userPathSchema, req.params, 'path');
      return { success: true, data: await deps.users.unban(namespace, userId) };
    },
  );

  scope.get(
    '/users/:namespace/:userId/export',
    {
      schema: {
        tags,
        security,
        summary: 'Data-subject export: every room of the user and every message it sent',
        params,
        response: {
          200: ok({
            user: { type: 'object', properties: { userId: { type: 'string' }, namespace: { type: 'string' } } },
            rooms: { type: 'array', items: roomSchema },
            messages: { type: 'array', items: messageSchema },
          }),
          ...errors(400, 404),
        },
      },
    },
    async (req) => {
      const { namespace, userId } = parsePayload(userPathSchema, req.params, 'path');
      return { success: true, data: await deps.users.export(namespace, userId) };
    },
  );

  scope.delete(
    '/users/:namespace/:userId',
    {
      schema: {
        tags,
        security,
        summary: 'Erase a user (idempotent)',
        description: "Every message the user sent becomes a tombstone, its attachments' files are removed, its reactions go, report snapshots are scrubbed likewise, its read marks, last-seen time and blocks are forgotten; rooms stay. Members' sockets get message-updated for each changed message.",
        params,
        response: {
          200: ok({ erased: { type: 'object', properties: { messages: { type: 'integer' }, attachments: { type: 'integer' } } } }),
          ...errors(400, 404),
        },
      },
    },
    async (req) => {
      const { namespace, userId } = parsePayload(userPathSchema, req.params, 'path');
      return { success: true, data: await deps.users.erase(namespace, userId) };
    },
  );
}
