import { z } from 'zod';

/** JSON Schemas of the platform API for the OpenAPI document (/docs/json); validation is done with zod. */

const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;

export const roomSchema = {
  type: 'object',
  required: ['_id', 'roomID', 'roomToken', 'customerID', 'vendorID', 'createdBy', 'status', 'createdAt'],
  properties: {
    _id: str,
    roomID: str,
    roomToken: str,
    customerID: str,
    vendorID: str,
    createdBy: str,
    status: { type: 'string', enum: ['pending', 'active', 'closed'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const messageSchema = {
  type: 'object',
  required: ['_id', 'message', 'message_type', 'senderId', 'receiverId', 'room_id', 'roomToken', 'dt'],
  properties: {
    _id: str,
    message: str,
    message_type: { type: 'string', enum: ['text', 'image', 'vdo', 'audio', 'system'] },
    senderId: { type: 'string', description: "'system' for a system message" },
    receiverId: { ...nullableStr, description: 'null for a system message' },
    room_id: str,
    roomToken: str,
    clientMsgId: str,
    dt: { type: 'string', format: 'date-time' },
    data: { type: 'object', additionalProperties: true, description: 'system messages: a JSON object (≤ 8 KiB)' },
    replyTo: { type: 'string', description: 'the _id of the message of the same room this one answers' },
    editedAt: { type: 'string', format: 'date-time' },
    deletedAt: { type: 'string', format: 'date-time', description: 'a tombstone: message is empty, no data or attachment' },
    reactions: { type: 'object', additionalProperties: { type: 'array', items: str }, description: '{ [emoji]: userId[] }' },
    masked: { type: 'boolean', const: true, description: 'contact masking replaced part of the text with ***' },
    attachment: {
      type: 'object',
      required: ['id', 'kind', 'mime', 'size', 'url'],
      properties: {
        id: str,
        kind: { type: 'string', enum: ['image', 'vdo', 'audio'] },
        mime: str,
        size: { type: 'integer' },
        url: str,
        thumbnailUrl: str,
        width: { type: 'integer' },
        height: { type: 'integer' },
      },
    },
    original: { type: 'string', description: 'platform only: the text as sent, when the message was masked' },
  },
} as const;

const summarySchema = {
  type: 'object',
  properties: {
    ...roomSchema.properties,
    unread: { type: 'integer' },
    lastMessage: { anyOf: [messageSchema, { type: 'null' }] },
    counterpart: {
      type: 'object',
      properties: { userId: str, online: { type: 'boolean' }, lastSeen: nullableStr, lastReadId: nullableStr },
    },
  },
} as const;

const memberSchema = {
  type: 'object',
  properties: { userId: str, online: { type: 'boolean' }, lastSeen: nullableStr, lastReadId: nullableStr, unread: { type: 'integer' } },
} as const;

export const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'also the webhook-id header of every attempt' },
    eventId: str,
    type: str,
    url: str,
    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    lastStatus: { type: ['integer', 'null'] },
    lastError: nullableStr,
    nextAttemptAt: nullableStr,
  },
} as const;

export function ok(data: Record<string, unknown>) {
  return {
    type: 'object',
    properties: { success: { type: 'boolean', const: true }, data: { type: 'object', properties: data } },
  };
}

export const errorBody = {
  type: 'object',
  properties: {
    success: { type: 'boolean', const: false },
    error: { type: 'object', properties: { code: str, message: str } },
  },
} as const;

export const errors = (...statuses: number[]) => Object.fromEntries([401, ...statuses].map((s) => [s, errorBody]));

export const schemas = {
  room: ok({ room: roomSchema }),
  roomWithMembers: ok({ room: roomSchema, members: { type: 'array', items: memberSchema } }),
  rooms: ok({ rooms: { type: 'array', items: summarySchema } }),
  message: ok({ message: messageSchema }),
  history: ok({ messages: { type: 'array', items: messageSchema }, limit: { type: 'integer' }, nextCursor: nullableStr }),
  deliveries: ok({ deliveries: { type: 'array', items: deliverySchema } }),
  delivery: ok({ delivery: deliverySchema }),
} as const;

/** A zod schema as the JSON Schema of a route (docs). */
export function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

export const security = [{ platformKey: [] }];
export const tags = ['platform'];
