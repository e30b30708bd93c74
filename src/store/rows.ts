import type { Attachment, Message, Room } from '../protocol/index.js';
import type { PlatformMessage } from '../protocol/platform-view.js';
import type { MessagesTable, RoomsTable } from './schema.js';

export function toRoom(row: RoomsTable): Room {
  return {
    _id: row.id,
    roomID: row.room_id,
    roomToken: row.room_token,
    customerID: row.customer_id,
    vendorID: row.vendor_id,
    createdBy: row.created_by,
    status: row.status,
    createdAt: row.created_at,
  };
}

export function fromRoom(namespace: string, room: Room): RoomsTable {
  return {
    id: room._id,
    namespace,
    room_token: room.roomToken,
    room_id: room.roomID,
    customer_id: room.customerID,
    vendor_id: room.vendorID,
    created_by: room.createdBy,
    status: room.status,
    created_at: room.createdAt,
    activity: room.createdAt,
    last_message_id: null,
    message_count: 0,
  };
}

export function toMessage(row: MessagesTable): Message {
  const message: Message = {
    _id: row.id,
    message: row.body,
    message_type: row.message_type,
    senderId: row.sender_id,
    receiverId: row.receiver_id === '' ? null : row.receiver_id,
    room_id: row.room_id,
    roomToken: row.room_token,
    dt: row.dt,
  };
  if (row.client_msg_id !== null) message.clientMsgId = row.client_msg_id;
  addLifecycle(message, row);
  if (row.data) message.data = JSON.parse(row.data) as Record<string, unknown>;
  if (typeof row.attachment === 'string') message.attachment = JSON.parse(row.attachment) as Attachment;
  return message;
}

/** §13 fields: present only when set, so a plain message keeps §5's exact shape. */
function addLifecycle(message: Message, row: MessagesTable): void {
  if (row.reply_to) message.replyTo = row.reply_to;
  if (row.edited_at) message.editedAt = row.edited_at;
  if (row.deleted_at) message.deletedAt = row.deleted_at;
  if (row.masked) message.masked = true;
  if (row.reactions) message.reactions = JSON.parse(row.reactions) as Record<string, string[]>;
}

/** With `original` (masked messages): for the platform API, webhooks and reports only. */
export function toPlatformMessage(row: MessagesTable): PlatformMessage {
  const message: PlatformMessage = toMessage(row);
  if (row.original !== null && row.original !== undefined) message.original = row.original;
  return message;
}

/** Every column a new message writes, in this order (the rest are its lifecycle's: edits, deletion, reactions). */
export const MESSAGE_INSERT_COLUMNS = [
  'id', 'namespace', 'room_id', 'room_token', 'sender_id', 'receiver_id', 'body', 'message_type', 'client_msg_id', 'dt',
  'data', 'attachment_id', 'attachment', 'reply_to', 'masked', 'original',
] as const satisfies ReadonlyArray<keyof MessagesTable>;

/** A new message's row as values in MESSAGE_INSERT_COLUMNS order (an absent value is null). */
export function insertValues(row: MessagesTable): unknown[] {
  return MESSAGE_INSERT_COLUMNS.map((c) => row[c] ?? null);
}

export function fromMessage(namespace: string, m: PlatformMessage): MessagesTable {
  return {
    id: m._id,
    namespace,
    room_id: m.room_id,
    room_token: m.roomToken,
    sender_id: m.senderId,
    receiver_id: m.receiverId ?? '',
    body: m.message,
    message_type: m.message_type,
    client_msg_id: m.clientMsgId ?? null,
    dt: m.dt,
    reply_to: m.replyTo ?? null,
    masked: m.masked ? 1 : null,
    original: m.original ?? null,
    data: m.data === undefined ? null : JSON.stringify(m.data),
    attachment_id: m.attachment?.id ?? null,
    attachment: m.attachment ? JSON.stringify(m.attachment) : null,
  };
}
