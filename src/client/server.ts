/**
 * The server-side part of the client package (for a marketplace's backend, not for browsers): the
 * platform API client and webhook verification.
 */
export { ParleyPlatformClient } from './platform-client.js';
export type * from './platform-client.js';
export { verifyWebhook } from './webhook.js';
export { ParleyError, errorCodes, type ErrorCode } from '../protocol/errors.js';
export { WebhookEventType } from '../protocol/webhooks.js';
export type { WebhookPayload, WebhookData, WebhookEventTypeName, PlatformMessage, UnreadData } from '../protocol/webhooks.js';
export type { Message, Room, RoomSummary } from '../protocol/types.js';
export type { RoomMember } from '../protocol/platform-view.js';
