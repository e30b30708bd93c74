import type { Message, Room } from './types.js';

/** Every webhook event type (the protocol's webhook table). No other module spells one. */
export const WebhookEventType = {
  RoomCreated: 'room.created',
  RoomAccepted: 'room.accepted',
  RoomClosed: 'room.closed',
  MessageCreated: 'message.created',
  MessageUpdated: 'message.updated',
  MessageUnread: 'message.unread',
  ReportCreated: 'report.created',
  UserBanned: 'user.banned',
} as const;
export type WebhookEventTypeName = (typeof WebhookEventType)[keyof typeof WebhookEventType];

/** A message as the platform sees it: with `original` (the text as sent) when it was masked. */
export type PlatformMessage = Message & { original?: string };

export interface UnreadData {
  namespace: string;
  roomToken: string;
  userId: string;
  online: boolean;
  unread: number;
  firstUnreadId: string;
  lastMessage: PlatformMessage | null;
}

/** `data` of each event type. */
export interface WebhookData {
  'room.created': { namespace: string; room: Room };
  'room.accepted': { namespace: string; room: Room };
  'room.closed': { namespace: string; room: Room };
  'message.created': { namespace: string; message: PlatformMessage };
  'message.updated': { namespace: string; message: PlatformMessage };
  'message.unread': UnreadData;
  'report.created': { namespace: string; report: Record<string, unknown> };
  'user.banned': { namespace: string; userId: string; reason: string | null; until: string | null };
}

/** The JSON body POSTed to every webhook URL. */
export type WebhookPayload = {
  [T in WebhookEventTypeName]: { type: T; timestamp: string; data: WebhookData[T] };
}[WebhookEventTypeName];
