export { ParleyClient, createParleyClient } from './parley-client.js';
export { newClientMsgId } from './acks.js';
export { ParleyError, errorCodes, type ErrorCode } from '../protocol/errors.js';
export { ClientEvent, PrivateNotice, ServerEvent } from '../protocol/events.js';
export type { Message, Room, RoomSummary, ReadNotice, TypingNotice, Counterpart, Attachment, AttachmentKind } from '../protocol/types.js';
export type { UploadBody } from './upload.js';
export type * from './types.js';
