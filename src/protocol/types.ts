import type { ErrorBody } from './errors.js';
import type { ClientEvent, ServerEvent, PrivateNotice } from './events.js';
import type { MessageType } from './schemas.js';
import type { PlatformMessage } from './platform-view.js';

/** `closed`: closed by the platform (§10); clients must tolerate statuses they do not know. */
export type RoomStatus = 'pending' | 'active' | 'closed';

/** What a stored message may be: the client types plus `system` (platform messages; clients must tolerate it). */
export type StoredMessageType = MessageType | 'system';

export interface Room {
  _id: string;
  roomID: string;
  roomToken: string;
  customerID: string;
  vendorID: string;
  createdBy: string;
  status: RoomStatus;
  createdAt: string;
}

export interface Message {
  _id: string;
  message: string;
  message_type: StoredMessageType;
  senderId: string;
  /** null for a system message (it is for both members). */
  receiverId: string | null;
  room_id: string;
  roomToken: string;
  clientMsgId?: string;
  dt: string;
  /** Message lifecycle (§13): each present only when set. */
  replyTo?: string;
  editedAt?: string;
  deletedAt?: string;
  /** `{ [emoji]: userId[] }`, absent when empty. */
  reactions?: Record<string, string[]>;
  /** Contact masking replaced part of the text with `***`. */
  masked?: true;
  /** A system message's structured content (e.g. an order card): a JSON object. */
  data?: Record<string, unknown>;
  /** The uploaded file a media message names by `attachmentId` (its `message` is then the file's url). */
  attachment?: Attachment;
}

export type AttachmentKind = 'image' | 'vdo' | 'audio';

/** An uploaded file (POST /v1/uploads). */
export interface Attachment {
  id: string;
  kind: AttachmentKind;
  mime: string;
  size: number;
  url: string;
  thumbnailUrl?: string;
  width?: number;
  height?: number;
}

export interface Counterpart {
  userId: string;
  online: boolean;
  lastSeen: string | null;
  /** The counterpart's read mark in this room (its last `read` messageId), or null. */
  lastReadId: string | null;
}

/** A room as listed in `list-room`. */
export interface RoomSummary extends Room {
  lastMessage: Message | null;
  unread: number;
  counterpart: Counterpart;
  /** Present (true) when the caller blocks the counterpart (§13). */
  blocked?: true;
}

export type Failure = { success: false; error: ErrorBody };
export type Success<T extends object = object> = { success: true } & T;
export type AckResponse<T extends object = object> = Success<T> | Failure;
export type Ack<T extends object = object> = (response: AckResponse<T>) => void;

export type RoomData = { data: { room: Room } };
export type MessageData = { data: { message: Message } };
export type SyncData = { data: { messages: Message[]; hasMore: boolean } };

export type PrivatePayload =
  | { event: typeof PrivateNotice.ListRoom; success: true; data: { rooms: RoomSummary[] } }
  | { event: typeof PrivateNotice.ListOnlineUser; success: true; data: { users: string[] } }
  | { event: typeof PrivateNotice.Online | typeof PrivateNotice.Offline; success: true; userId: string }
  | { event: string; success: false; error: ErrorBody };

export interface TypingNotice {
  success: true;
  typing: true;
  roomToken: string;
  userId: string;
}

export interface ReadNotice {
  success: true;
  roomToken: string;
  userId: string;
  messageId: string;
  dt: string;
}

/** What clients send (inputs are loose: ids may be numbers). */
export interface JoinRoomInput {
  customerID: string | number;
  vendorID: string | number;
  roomToken: string | number;
  roomId?: string | number;
  roomID?: string | number;
}
export interface AcceptRoomInput {
  roomToken: string | number;
  customerID?: string | number;
  vendorID?: string | number;
  roomId?: string | number;
}
export interface MessageInput {
  /** The text, or a media URL; may be omitted when `attachmentId` names the file. */
  message?: string;
  type?: MessageType;
  roomToken?: string;
  clientMsgId?: string;
  /** The `_id` of a message of the same room this one answers. */
  replyTo?: string;
  /** An uploaded file of the sender's, instead of a URL in `message` (media types only). */
  attachmentId?: string;
}
export interface EditMessageInput {
  roomToken: string;
  messageId: string;
  message: string;
}
export interface MessageRef {
  roomToken: string;
  messageId: string;
}
export interface ReactInput extends MessageRef {
  emoji: string;
  on?: boolean;
}
export interface ReportInput {
  roomToken: string;
  messageId?: string;
  reason: string;
}
export type ReportData = { data: { report: { id: string } } };

/** A report as the platform's moderators see it (§10, §13). */
export interface Report {
  id: string;
  namespace: string;
  roomToken: string;
  room_id: string;
  reporterId: string;
  /** The member the report is about: the reported message's sender, else the reporter's counterpart. */
  reportedUserId: string;
  messageId: string | null;
  reason: string;
  status: 'open' | 'resolved';
  createdAt: string;
  /** The room's last messages up to the reported one (or the latest), oldest first, as the platform sees them. */
  snapshot: PlatformMessage[];
  resolution: { action: string; note: string | null; resolvedAt: string } | null;
}

export interface ClientToServerEvents {
  [ClientEvent.JoinRoom]: (payload: JoinRoomInput, ack?: Ack<RoomData>) => void;
  [ClientEvent.AcceptRoom]: (payload: AcceptRoomInput, ack?: Ack<RoomData>) => void;
  [ClientEvent.Message]: (payload: MessageInput, ack?: Ack<MessageData>) => void;
  [ClientEvent.Typing]: (payload: { roomToken?: string }, ack?: Ack) => void;
  [ClientEvent.Read]: (payload: { roomToken: string; messageId: string }, ack?: Ack) => void;
  [ClientEvent.Sync]: (payload: { since?: string; roomToken?: string }, ack?: Ack<SyncData>) => void;
  [ClientEvent.EditMessage]: (payload: EditMessageInput, ack?: Ack<MessageData>) => void;
  [ClientEvent.DeleteMessage]: (payload: MessageRef, ack?: Ack<MessageData>) => void;
  [ClientEvent.React]: (payload: ReactInput, ack?: Ack<MessageData>) => void;
  [ClientEvent.BlockUser]: (payload: { userId: string }, ack?: Ack) => void;
  [ClientEvent.UnblockUser]: (payload: { userId: string }, ack?: Ack) => void;
  [ClientEvent.Report]: (payload: ReportInput, ack?: Ack<ReportData>) => void;
  [ClientEvent.DeclineRoom]: (payload: { roomToken: string | number }, ack?: Ack<RoomData>) => void;
}

export interface ServerToClientEvents {
  [ServerEvent.Private]: (payload: PrivatePayload) => void;
  [ServerEvent.JoinRoom]: (payload: Success<RoomData>) => void;
  [ServerEvent.AcceptRoom]: (payload: Success<RoomData>) => void;
  [ServerEvent.Joined]: (payload: Success<RoomData>) => void;
  [ServerEvent.Message]: (payload: Message) => void;
  [ServerEvent.Typing]: (payload: TypingNotice) => void;
  [ServerEvent.Read]: (payload: ReadNotice) => void;
  [ServerEvent.MessageUpdated]: (payload: Message) => void;
  /** A pending room was declined (and deleted): to both members; `room` is as it was. */
  [ServerEvent.DeclineRoom]: (payload: Success<RoomData>) => void;
  [ServerEvent.RoomClosed]: (payload: Success<RoomData>) => void;
}

/** Who is acting: the authenticated user on one socket in one namespace. */
export interface Actor {
  namespace: string;
  userId: string;
  socketId: string;
}
