import type { RoomStatus, StoredMessageType } from '../protocol/index.js';
import type { PlatformTables } from './platform-schema.js';

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
  /** The platform's contact-masking choice for this room (1/0), or null: the server default (0004). */
  contact_masking?: number | null;
}

export interface MessagesTable {
  id: string;
  namespace: string;
  room_id: string;
  room_token: string;
  sender_id: string;
  receiver_id: string;
  body: string;
  message_type: StoredMessageType;
  client_msg_id: string | null;
  dt: string;
  // Message lifecycle (migration 0005); optional so queries that predate it still type-check.
  reply_to?: string | null;
  edited_at?: string | null;
  deleted_at?: string | null;
  /** 1 when contact masking changed the text (SQLite has no boolean). */
  masked?: number | null;
  /** The text as sent, when masked: for the platform only. */
  original?: string | null;
  /** `{ [emoji]: userId[] }` as JSON, kept with every reaction change; null when none. */
  reactions?: string | null;
  /** A system message's `data` as JSON text (migration 0004); null otherwise. */
  data?: string | null;
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

export interface ReactionsTable {
  message_id: string;
  emoji: string;
  user_id: string;
  created_at: string;
}

export interface BlocksTable {
  namespace: string;
  blocker_id: string;
  blocked_id: string;
  created_at: string;
}

export interface ReportsTable {
  id: string;
  namespace: string;
  room_id: string;
  room_token: string;
  reporter_id: string;
  reported_id: string;
  message_id: string | null;
  reason: string;
  /** JSON: the room's last messages up to the reported one, as the platform sees them. */
  snapshot: string;
  status: 'open' | 'resolved';
  created_at: string;
  resolved_at: string | null;
  action: string | null;
  note: string | null;
}

/** Per user and namespace, the greatest message id written for it (see the 0003 migration). */
export interface MessageClocksTable {
  namespace: string;
  user_id: string;
  last_id: string;
}

export interface Database extends PlatformTables {
  rooms: RoomsTable;
  messages: MessagesTable;
  room_reads: RoomReadsTable;
  user_seen: UserSeenTable;
  reactions: ReactionsTable;
  blocks: BlocksTable;
  reports: ReportsTable;
  message_clocks: MessageClocksTable;
  attachments: AttachmentsTable;
}
