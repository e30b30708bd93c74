import { z } from 'zod';
import { ParleyError } from './errors.js';

/** User ids: 1–128 characters from [A-Za-z0-9_.:@-]; a number is taken as its decimal string. */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;
// roomToken / roomID: 1–128 characters, no C0/C1 control characters.
const ROOM_KEY_PATTERN = /^[^\u0000-\u001f\u007f-\u009f]{1,128}$/;
export const MEDIA_URL_MAX = 2048;
export const CLIENT_MSG_ID_MAX = 64;
/** Attachment ids: 24 characters of base64url (144 random bits). */
export const ATTACHMENT_ID_PATTERN = /^[A-Za-z0-9_-]{24}$/;

const decimal = z.number().finite().transform(String);

// U+0000 and unpaired UTF-16 surrogates cannot be stored identically on every backend (PostgreSQL refuses
// the first, UTF-8 encoding replaces the second): every client string that may be stored or compared is checked.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const isStorableText = (value: string): boolean => !UNSTORABLE.test(value);
/** A client string field: any text except U+0000 and unpaired surrogates (⇒ `invalid_payload`). */
export const storableText = () => z.string().refine(isStorableText, 'must not contain U+0000 or an unpaired UTF-16 surrogate');

export const userId = z
  .union([z.string(), decimal])
  .pipe(z.string().regex(USER_ID_PATTERN, 'must be 1–128 characters from [A-Za-z0-9_.:@-]'));

export const roomKey = z
  .union([z.string(), decimal])
  .pipe(storableText().regex(ROOM_KEY_PATTERN, 'must be 1–128 characters without control characters'));

/** An optional room key where clients often send "" or null for "none": those mean absent. */
const optionalRoomKey = z.preprocess((v) => (v === '' || v === null ? undefined : v), roomKey.optional());

/** Message ids are ULIDs: 26 characters of Crockford base 32, upper case (see services/ids.ts). */
export const MESSAGE_ID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
export const messageId = storableText().regex(MESSAGE_ID_PATTERN, 'must be a message _id (a 26-character ULID)');

/** `replyTo` where clients send "" or null for "no reply": those mean absent. */
const optionalMessageId = z.preprocess((v) => (v === '' || v === null ? undefined : v), messageId.optional());

export const messageTypes = ['text', 'image', 'vdo', 'audio'] as const;
export type MessageType = (typeof messageTypes)[number];

export const joinRoomSchema = z
  .object({
    customerID: userId,
    vendorID: userId,
    roomToken: roomKey,
    roomId: optionalRoomKey,
    roomID: optionalRoomKey,
  })
  .refine((p) => p.customerID !== p.vendorID, {
    message: 'customerID and vendorID must differ',
    path: ['vendorID'],
  });
export type JoinRoomPayload = z.infer<typeof joinRoomSchema>;

export const acceptRoomSchema = z.object({
  roomToken: roomKey,
  customerID: userId.optional(),
  vendorID: userId.optional(),
  roomId: z.unknown().optional(),
  roomID: z.unknown().optional(),
});
export type AcceptRoomPayload = z.infer<typeof acceptRoomSchema>;

export const declineRoomSchema = z.object({ roomToken: roomKey });
export type DeclineRoomPayload = z.infer<typeof declineRoomSchema>;

function isMediaUrl(value: string): boolean {
  if (value.length > MEDIA_URL_MAX || /[\s\u0000-\u001f\u007f]/.test(value)) return false;
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
}

/** The `message` payload; the text limit comes from config, so the schema is built per app. */
export function messageSchema(maxMessageLength: number) {
  return z
    .object({
      message: storableText().optional(),
      type: z.enum(messageTypes).default('text'),
      roomToken: roomKey.optional(),
      clientMsgId: storableText().min(1).max(CLIENT_MSG_ID_MAX).optional(),
      replyTo: optionalMessageId,
      attachmentId: z.string().regex(ATTACHMENT_ID_PATTERN, 'must be the id of an upload').optional(),
    })
    .superRefine((p, ctx) => {
      if (p.attachmentId !== undefined) {
        if (p.type === 'text') {
          ctx.addIssue({ code: 'custom', path: ['attachmentId'], message: 'only image, vdo and audio messages carry an attachment' });
        } else if (p.message !== undefined && p.message !== '' && !isMediaUrl(p.message)) {
          ctx.addIssue({ code: 'custom', path: ['message'], message: 'with attachmentId, message must be omitted, empty or a URL (it is replaced by the attachment url)' });
        }
      } else if (p.message === undefined) {
        ctx.addIssue({ code: 'invalid_type', expected: 'string', path: ['message'], message: 'Invalid input: expected string, received undefined' });
      } else if (p.type === 'text') {
        const length = p.message.trim().length;
        if (length < 1 || length > maxMessageLength) {
          ctx.addIssue({
            code: 'custom',
            path: ['message'],
            message: `text must be 1–${maxMessageLength} characters after trimming`,
          });
        }
      } else if (!isMediaUrl(p.message)) {
        ctx.addIssue({
          code: 'custom',
          path: ['message'],
          message: `a ${p.type} message must be an http(s) URL of at most ${MEDIA_URL_MAX} characters`,
        });
      }
    });
}
export type MessagePayload = z.infer<ReturnType<typeof messageSchema>>;

export const typingSchema = z.object({ roomToken: roomKey.optional() });
export type TypingPayload = z.infer<typeof typingSchema>;

export const readSchema = z.object({ roomToken: roomKey, messageId });
export type ReadPayload = z.infer<typeof readSchema>;

/** `since` omitted or "0" means from the beginning; anything else must be a message _id. */
const syncSince = z.preprocess((v) => (v === '0' ? undefined : v), messageId.optional());
export const syncSchema = z.object({ since: syncSince, roomToken: roomKey.optional() });
export type SyncPayload = z.infer<typeof syncSchema>;

const digits = z.string().regex(/^[0-9]+$/, 'must be a whole number (digits only)');
const oneQueryValue = z.string({ error: 'must be given once, as text' });

export const historyQuerySchema = z
  .object({
    roomToken: oneQueryValue.regex(ROOM_KEY_PATTERN, 'must be 1–128 characters without control characters'),
    namespace: oneQueryValue.min(1).max(128),
    page: digits.optional(),
    limit: digits.optional(),
    before: messageId.optional(),
    after: messageId.optional(),
  })
  .refine((q) => !(q.before !== undefined && q.after !== undefined), {
    message: 'give before or after, not both',
    path: ['after'],
  });
export type HistoryQuery = z.infer<typeof historyQuerySchema>;

/** One readable sentence from a zod error, naming the offending field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : 'payload';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses a client payload or throws `invalid_payload` with a sentence naming the bad field. */
export function parsePayload<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  // zod takes any non-array object as an object, so a binary attachment (Buffer) would pass as `{}`.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    throw new ParleyError('invalid_payload', `Invalid ${what}: payload: expected a JSON object, received binary data.`);
  }
  let result: z.ZodSafeParseResult<z.output<S>>;
  try {
    result = schema.safeParse(value);
  } catch {
    // zod runs a string's length checks on any value with a `length`; one that cannot become a number
    // (`{"length": {"toString": null}}`) makes it throw instead of reporting an issue.
    throw new ParleyError('invalid_payload', `Invalid ${what}: a field holds a value of the wrong type.`);
  }
  if (result.success) return result.data;
  throw new ParleyError('invalid_payload', `Invalid ${what}: ${describeIssues(result.error)}.`);
}
