import type { FastifyInstance } from 'fastify';
import { parsePayload, platformHistorySchema, postMessageSchema, roomPathSchema } from '../../../protocol/index.js';
import { errors, schemas, jsonSchema, security, tags } from './openapi.js';
import type { PlatformDeps } from './index.js';

/** Posting into a room (system or member messages) and reading any room's history. */
export function registerMessageRoutes(scope: FastifyInstance, deps: PlatformDeps): void {
  const params = jsonSchema(roomPathSchema);
  scope.post(
    '/rooms/:namespace/:roomToken/messages',
    {
      schema: {
        tags,
        security,
        summary: 'Post a message into a room',
        description:
          "Without senderId: a system message (message_type 'system', senderId 'system', receiverId null, optional data ≤ 8 KiB), allowed in pending and active rooms. With senderId: that member's message under every rule of the message event. 201, or 200 with the original on a repeated clientMsgId.",
        params,
        body: jsonSchema(postMessageSchema),
        response: { 200: schemas.message, 201: schemas.message, ...errors(400, 403, 404, 409, 429) },
      },
    },
    async (req, reply) => {
      const { namespace, roomToken } = parsePayload(roomPathSchema, req.params, 'path');
      const body = parsePayload(postMessageSchema, req.body, 'message body');
      const { message, created } = await deps.messages.post(namespace, roomToken, body);
      return reply.status(created ? 201 : 200).send({ success: true, data: { message } });
    },
  );

  scope.get(
    '/rooms/:namespace/:roomToken/messages',
    {
      schema: {
        tags,
        security,
        summary: "A room's history, newest first, with cursors",
        description: 'before/after=<message _id>; limit 1–100 (default 50); nextCursor is the next before (or after), null at the end. Masked messages carry original.',
        params,
        querystring: jsonSchema(platformHistorySchema),
        response: { 200: schemas.history, ...errors(400, 404) },
      },
    },
    async (req) => {
      const { namespace, roomToken } = parsePayload(roomPathSchema, req.params, 'path');
      const query = parsePayload(platformHistorySchema, req.query, 'history query');
      return { success: true, data: await deps.messages.history(namespace, roomToken, query) };
    },
  );
}
