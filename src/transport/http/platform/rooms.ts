import type { FastifyInstance } from 'fastify';
import { closeRoomSchema, parsePayload, putRoomSchema, roomPathSchema } from '../../../protocol/index.js';
import { errors, schemas, jsonSchema, security, tags } from './openapi.js';
import type { PlatformDeps } from './index.js';

/** Rooms: PUT (create or activate), GET (with members), close. */
export function registerRoomRoutes(scope: FastifyInstance, deps: PlatformDeps): void {
  const params = jsonSchema(roomPathSchema);
  scope.put(
    '/rooms/:namespace/:roomToken',
    {
      schema: {
        tags,
        security,
        summary: 'Create or update a room (idempotent)',
        description:
          "201 when created, 200 when it exists with that pair (status 'active' activates a pending or closed room; 'pending' never deactivates), 409 room_token_taken for another pair.",
        params,
        body: jsonSchema(putRoomSchema),
        response: { 200: schemas.room, 201: schemas.room, ...errors(400, 404, 409) },
      },
    },
    async (req, reply) => {
      const { namespace, roomToken } = parsePayload(roomPathSchema, req.params, 'path');
      const body = parsePayload(putRoomSchema, req.body, 'room body');
      const { room, created } = await deps.rooms.put(namespace, roomToken, body);
      return reply.status(created ? 201 : 200).send({ success: true, data: { room } });
    },
  );

  scope.get(
    '/rooms/:namespace/:roomToken',
    {
      schema: {
        tags,
        security,
        summary: 'A room with its members (presence, read marks, unread counts)',
        params,
        response: { 200: schemas.roomWithMembers, ...errors(400, 404) },
      },
    },
    async (req) => {
      const { namespace, roomToken } = parsePayload(roomPathSchema, req.params, 'path');
      return { success: true, data: await deps.rooms.get(namespace, roomToken) };
    },
  );

  scope.post(
    '/rooms/:namespace/:roomToken/close',
    {
      schema: {
        tags,
        security,
        summary: 'Close a room',
        description: "Members' sockets get room-closed; message, typing, read, edit-message and react then answer room_not_active. History stays readable.",
        params,
        body: jsonSchema(closeRoomSchema),
        response: { 200: schemas.room, ...errors(400, 404) },
      },
    },
    async (req) => {
      const { namespace, roomToken } = parsePayload(roomPathSchema, req.params, 'path');
      parsePayload(closeRoomSchema, req.body ?? {}, 'close body');
      return { success: true, data: { room: await deps.rooms.close(namespace, roomToken) } };
    },
  );
}
