import type { Attachment, Message, Room } from '../protocol/index.js';
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
  if (row.data) message.data = JSON.parse(row.data) as Record<string, unknown>;
  if (typeof row.attachment === 'string') message.attachment = JSON.parse(row.attachment) as Attachment;
  return message;
}

export function fromMessage(namespace: string, m: Message): MessagesTable {
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
    data: m.data === undefined ? null : JSON.stringify(m.data),
    attachment_id: m.attachment?.id ?? null,
    attachment: m.attachment ? JSON.stringify(m.attachment) : null,
  };
}
