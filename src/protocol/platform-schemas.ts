import { z } from 'zod';
import { CLIENT_MSG_ID_MAX, messageId, messageTypes, roomKey, storableText, userId } from './schemas.js';

/** `data` of a system message: a JSON object of at most this many bytes (UTF-8 of its JSON). */
export const SYSTEM_DATA_MAX_BYTES = 8 * 1024;
const NAMESPACE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const namespace = z.string().regex(NAMESPACE_PATTERN, 'must be a namespace name');
const digits = z.string().regex(/^[0-9]+$/, 'must be a whole number (digits only)');
const isoTime = z.string().refine((v) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}T/.test(v), 'must be an ISO 8601 time');

export const roomPathSchema = z.object({ namespace, roomToken: roomKey });
export const userPathSchema = z.object({ namespace, userId });

export const putRoomSchema = z
  .object({
    customerID: userId,
    vendorID: userId,
    roomID: roomKey.optional(),
    status: z.enum(['pending', 'active']).default('active'),
    createdBy: userId.optional(),
    contactMasking: z.boolean().optional(),
  })
  .strict()
  .refine((b) => b.customerID !== b.vendorID, { message: 'customerID and vendorID must differ', path: ['vendorID'] })
  .refine((b) => b.createdBy === undefined || b.createdBy === b.customerID || b.createdBy === b.vendorID, {
    message: 'must be the customerID or the vendorID',
    path: ['createdBy'],
  });
export type PutRoomBody = z.infer<typeof putRoomSchema>;

const jsonObject = z
  .record(z.string(), z.unknown())
  .refine((v) => Buffer.byteLength(JSON.stringify(v)) <= SYSTEM_DATA_MAX_BYTES, `must be at most ${SYSTEM_DATA_MAX_BYTES} bytes of JSON`);

// Free text uses storableText(): U+0000 and unpaired surrogates are 400 invalid_payload on every backend.
/** Text rules are checked by the service (system: 1…maxMessageLength; a member's message: every rule of `message`). */
export const postMessageSchema = z
  .object({
    message: storableText(),
    type: z.enum(messageTypes).optional(),
    senderId: userId.optional(),
    data: jsonObject.optional(),
    clientMsgId: storableText().min(1).max(CLIENT_MSG_ID_MAX).optional(),
  })
  .strict()
  .refine((b) => b.senderId === undefined || b.data === undefined, { message: 'only system messages (no senderId) carry data', path: ['data'] })
  .refine((b) => b.senderId !== undefined || b.type === undefined || b.type === 'text', {
    message: 'a system message is text',
    path: ['type'],
  });
export type PostMessageBody = z.infer<typeof postMessageSchema>;

export const platformHistorySchema = z
  .object({ before: messageId.optional(), after: messageId.optional(), limit: digits.optional() })
  .refine((q) => !(q.before !== undefined && q.after !== undefined), { message: 'give before or after, not both', path: ['after'] });

export const closeRoomSchema = z.object({ reason: storableText().max(500).optional() }).strict();

export const banSchema = z.object({ reason: storableText().max(500).optional(), until: isoTime.optional() }).strict();

export const limitQuerySchema = z.object({ limit: digits.optional() });

export const deliveriesQuerySchema = z.object({
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  limit: digits.optional(),
});

// A ULID, or (a message's event on SQLite) its message's ULID and two base-36 digits.
export const deliveryPathSchema = z.object({ id: z.string().regex(/^[0-9A-Z]{26}([0-9a-z]{2})?$/, 'must be a delivery id') });
