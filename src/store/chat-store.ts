import type { Kysely } from 'kysely';
import type { AttachmentKind, Message, Room } from '../protocol/index.js';
import type { ModerationStore } from './kysely-moderation.js';
import type { PlatformRepository } from './platform-repository.js';
import type { Database } from './schema.js';
import type { WriteHooks } from './write-hooks.js';

/** A room as listed for one user, before presence is added. */
export interface RoomListing extends Room {
  lastMessage: Message | null;
  unread: number;
  /** The other member's read mark, or null. */
  counterpartLastReadId: string | null;
}

export interface RoomRepository {
  findByToken(namespace: string, roomToken: string): Promise<Room | undefined>;
  /** Inserts the room; if its token is already taken, returns the room that holds it instead. */
  insert(namespace: string, room: Room): Promise<Room>;
  /** pending → active; true only for the call that changed it. */
  activate(roomId: string): Promise<boolean>;
  listForUser(namespace: string, userId: string, limit: number): Promise<RoomListing[]>;
  countForUser(namespace: string, userId: string): Promise<number>;
  /**
   * The user's rooms that count toward its limit (those it created or that are active, i.e. it created or
   * accepted) and its own requests still pending. Requests others sent it are in neither.
   */
  countOwned(namespace: string, userId: string): Promise<{ owned: number; pendingSent: number }>;
  /** Deletes the room if it is still pending; true only for the call that deleted it. */
  deletePending(roomId: string): Promise<boolean>;
  /** Up to `limit` active rooms of the user (enough to tell "exactly one"). */
  activeForUser(namespace: string, userId: string, limit: number): Promise<Room[]>;
  /** Everyone who shares a room (pending or active) with the user. */
  counterpartsOf(namespace: string, userId: string): Promise<string[]>;
}

export interface StoredMessage extends Message {
  namespace: string;
  /** The text as sent, when contact masking changed it (never sent to members). */
  original?: string;
}

export interface MessageRepository {
  /**
   * Stores the batch in one transaction, in order. A message whose (namespace, senderId, clientMsgId)
   * is already stored is not stored again: its slot in the result holds the original.
   * Ids commit in order per user: a stored message's `_id` is greater than every id already stored for its
   * sender or receiver. An `_id` that is not is replaced (with its `dt`) in the given object itself.
   * A batch that fails fails whole (nothing of it is stored).
   */
  insertBatch(messages: StoredMessage[]): Promise<Message[]>;
  findByClientMsgId(namespace: string, senderId: string, clientMsgId: string): Promise<Message | undefined>;
  findInRoom(roomId: string, messageId: string): Promise<Message | undefined>;
  countInRoom(roomId: string): Promise<number>;
  /** Newest first, skipping `offset`. */
  pageInRoom(roomId: string, offset: number, limit: number): Promise<Message[]>;
  /** Newest first, ids < before. */
  beforeInRoom(roomId: string, before: string, limit: number): Promise<Message[]>;
  /** Oldest first, ids > after. */
  afterInRoom(roomId: string, after: string, limit: number): Promise<Message[]>;
  /** Oldest first: messages after `since` in the given rooms. */
  afterInRooms(roomIds: readonly string[], since: string, limit: number): Promise<Message[]>;
  /** Oldest first: messages after `since` in every room of the user in the namespace, however many. */
  afterForUser(namespace: string, userId: string, since: string, limit: number): Promise<Message[]>;
  /** Ids of every room of the user in the namespace. */
  roomIdsOf(namespace: string, userId: string): Promise<string[]>;
}

export interface ReadRepository {
  /** Moves the user's read mark forward to messageId; false when it was already there or beyond. */
  markRead(roomId: string, userId: string, messageId: string): Promise<boolean>;
}

export interface LastSeenRepository {
  setLastSeen(namespace: string, userId: string, at: string): Promise<void>;
  lastSeen(namespace: string, userIds: readonly string[]): Promise<Map<string, string>>;
}

/** An attachment's row (SPEC §12). */
export interface AttachmentRecord {
  id: string;
  namespace: string;
  ownerId: string;
  kind: AttachmentKind;
  mime: string;
  size: number;
  width: number | null;
  height: number | null;
  storageKey: string;
  thumbnailKey: string | null;
  thumbnailSize: number | null;
  baseUrl: string;
  status: 'pending' | 'ready';
  messageId: string | null;
  createdAt: string;
}

export interface AttachmentRepository {
  insert(record: AttachmentRecord): Promise<void>;
  /** pending → ready with what processing found. */
  markReady(id: string, ready: Pick<AttachmentRecord, 'mime' | 'size' | 'width' | 'height' | 'thumbnailKey' | 'thumbnailSize'>): Promise<void>;
  find(id: string): Promise<AttachmentRecord | undefined>;
  /** Marks a ready, unused attachment as taken (by `claim`); false when it is not ready or already taken. */
  claim(id: string, claim: string): Promise<boolean>;
  /** After the message is stored: the claim becomes the message's id. */
  bind(id: string, claim: string, messageId: string): Promise<void>;
  /** Undoes claim() when the message was not stored. */
  release(id: string, claim: string): Promise<void>;
  /** The attachments of these messages (claimed by them, or named by their attachment_id). */
  byMessages(messageIds: readonly string[]): Promise<AttachmentRecord[]>;
  byOwner(namespace: string, ownerId: string): Promise<AttachmentRecord[]>;
  /**
   * Named by no live message, and either created before `cutoff` (ISO; pending, unused, or claimed by a send
   * that crashed a day before) or bound to a message that is now deleted.
   */
  orphans(cutoff: string, limit: number): Promise<AttachmentRecord[]>;
  delete(ids: readonly string[]): Promise<void>;
}

/** The one storage interface: SQLite and PostgreSQL both implement it. */
export interface ChatStore {
  readonly kind: 'sqlite' | 'postgres';
  readonly rooms: RoomRepository;
  readonly messages: MessageRepository;
  readonly reads: ReadRepository;
  readonly lastSeen: LastSeenRepository;
  /** Message lifecycle, blocks, reports (§13). */
  readonly moderation: ModerationStore;
  readonly attachments: AttachmentRepository;
  readonly platform: PlatformRepository;
  /** What writes record in their own transaction (the webhook outbox): `hooks.record(trx, events)`. */
  readonly hooks: WriteHooks;
  /** Runs `work` in one transaction (on SQLite the message writer waits for it: keep it short). */
  transaction<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
