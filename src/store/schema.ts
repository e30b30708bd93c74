import type { MessageType, RoomStatus } from '../protocol/index.js';

export interface RoomsTable {
  id: string;
  namespace: string;
  room_token: string;
  room_id: string;
  customer_id: string;
  vendor_id: string;
  created_by: string;
  status: RoomStatus;
  created_at: string;
  /** The latest message's dt, or created_at: the "most recently active" sort key. */
  activity: string;
  last_message_id: string | null;
  /** How many messages the room holds (history totals without counting). */
  message_count: number;
}

export interface MessagesTable {
  id: string;
  namespace: string;
  room_id: string;
  room_token: string;
  sender_id: string;
  receiver_id: string;
  body: string;
  message_type: MessageType;
  client_msg_id: string | null;
  dt: string;
  /** The attachment a media message names (0006), and its JSON as sent. */
  attachment_id?: string | null;
  attachment?: string | null;
}

export interface AttachmentsTable {
  id: string;
  namespace: string;
  owner_id: string;
  kind: 'image' | 'vdo' | 'audio';
  mime: string;
  /** bigint: PostgreSQL returns it as a string. */
  size: number | string;
  width: number | null;
  height: number | null;
  storage_key: string;
  thumbnail_key: string | null;
  thumbnail_size: number | null;
  base_url: string;
  status: 'pending' | 'ready';
  message_id: string | null;
  created_at: string;
}

export interface RoomReadsTable {
  room_id: string;
  user_id: string;
  last_read_id: string;
}

export interface UserSeenTable {
  namespace: string;
  user_id: string;
  last_seen: string;
}

export interface Database {
  rooms: RoomsTable;
  messages: MessagesTable;
  room_reads: RoomReadsTable;
  user_seen: UserSeenTable;
  attachments: AttachmentsTable;
}
