import { ParleyError, type HistoryQuery, type Message } from '../protocol/index.js';
import type { MessageRepository, RoomRepository } from '../store/chat-store.js';
import { isMember, notFound } from './room-service.js';

export const HISTORY_MIN_LIMIT = 5;
export const HISTORY_MAX_LIMIT = 20;
export const HISTORY_DEFAULT_LIMIT = 5;
const MAX_PAGE = Number.MAX_SAFE_INTEGER;

export type HistoryPage =
  | { messages: Message[]; page: number; limit: number; total: number; totalPages: number }
  | { messages: Message[]; limit: number; total: number; nextCursor: string | null };

function clampLimit(raw: string | undefined): number {
  const limit = raw === undefined ? HISTORY_DEFAULT_LIMIT : Number(raw);
  return Math.min(HISTORY_MAX_LIMIT, Math.max(HISTORY_MIN_LIMIT, limit));
}

/** Chat history over HTTP (SPEC §7, cursors of §9). */
export class HistoryService {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly messages: MessageRepository,
    private readonly namespaces: readonly string[],
    /** Throws for a reader who may not read (e.g. banned: `forbidden`). */
    private readonly admit: (namespace: string, userId: string) => Promise<void> = async () => {},
  ) {}

  /** `reader` is the authenticated user in jwt mode; undefined in trusted mode (the token is enough). */
  async read(query: HistoryQuery, reader: string | undefined): Promise<HistoryPage> {
    if (!this.namespaces.includes(query.namespace)) {
      throw new ParleyError('not_found', `No namespace "${query.namespace}".`);
    }
    if (reader !== undefined) await this.admit(query.namespace, reader);
    const room = await this.rooms.findByToken(query.namespace, query.roomToken);
    if (!room) throw notFound(query.roomToken);
    if (reader !== undefined && !isMember(room, reader)) {
      throw new ParleyError('forbidden', 'Only the members of this room can read its history.');
    }
    const limit = clampLimit(query.limit);
    const total = await this.messages.countInRoom(room._id);
    if (query.before !== undefined || query.after !== undefined) {
      return this.cursorPage(room._id, query, limit, total);
    }
    // A page beyond any room's length (even 300 digits) is simply past the end; keep it a safe integer.
    const page = Math.min(MAX_PAGE, Math.max(1, query.page === undefined ? 1 : Number(query.page)));
    const offset = (page - 1) * limit;
    const messages = offset < total ? await this.messages.pageInRoom(room._id, offset, limit) : [];
    return { messages, page, limit, total, totalPages: Math.ceil(total / limit) };
  }

  private async cursorPage(roomId: string, query: HistoryQuery, limit: number, total: number): Promise<HistoryPage> {
    if (query.before !== undefined) {
      const rows = await this.messages.beforeInRoom(roomId, query.before, limit + 1);
      const messages = rows.slice(0, limit);
      return { messages, limit, total, nextCursor: rows.length > limit ? messages.at(-1)!._id : null };
    }
    const rows = await this.messages.afterInRoom(roomId, query.after!, limit + 1);
    const messages = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? messages.at(-1)!._id : null;
    return { messages: messages.reverse(), limit, total, nextCursor };
  }
}
