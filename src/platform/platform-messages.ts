import type { z } from 'zod';
import { ParleyError, parsePayload, type Message, type MessagePayload, type PostMessageBody } from '../protocol/index.js';
import { idTime, type IdGenerator } from '../services/ids.js';
import type { MessageService } from '../services/message-service.js';
import type { MessageWriter } from '../services/message-writer.js';
import { assertNotClosed } from '../services/room-service.js';
import { findRoom, type PlatformContext } from './platform-context.js';

export const SYSTEM_SENDER = 'system';
export const PLATFORM_HISTORY_MAX = 100;
export const PLATFORM_HISTORY_DEFAULT = 50;

export interface PlatformHistory {
  messages: Message[];
  limit: number;
  nextCursor: string | null;
}

/** Messages posted by the marketplace's backend (system messages, or as a member), and full history. */
export class PlatformMessages {
  constructor(
    private readonly ctx: PlatformContext,
    private readonly ids: IdGenerator,
    private readonly writer: MessageWriter,
    private readonly messages: MessageService,
    private readonly memberSchema: z.ZodType<MessagePayload, unknown>,
    private readonly maxMessageLength: number,
  ) {}

  /** 201 with a new message; 200 with the original on a repeated clientMsgId. */
  async post(namespace: string, roomToken: string, body: PostMessageBody): Promise<{ message: Message; created: boolean }> {
    const room = await findRoom(this.ctx, namespace, roomToken);
    if (body.senderId !== undefined) return this.asMember(namespace, roomToken, body.senderId, body);
    if (body.clientMsgId !== undefined) {
      const original = await this.ctx.store.messages.findByClientMsgId(namespace, SYSTEM_SENDER, body.clientMsgId);
      if (original) return { message: original, created: false };
    }
    const length = body.message.trim().length;
    if (length < 1 || length > this.maxMessageLength) {
      throw new ParleyError('invalid_payload', `Invalid message body: message: text must be 1–${this.maxMessageLength} characters after trimming.`);
    }
    assertNotClosed(room);
    const id = this.ids.next();
    const candidate: Message = {
      _id: id,
      message: body.message,
      message_type: 'system',
      senderId: SYSTEM_SENDER,
      receiverId: null,
      room_id: room._id,
      roomToken: room.roomToken,
      dt: idTime(id),
    };
    if (body.clientMsgId !== undefined) candidate.clientMsgId = body.clientMsgId;
    if (body.data !== undefined) candidate.data = body.data;
    const stored = await this.writer.write({ ...candidate, namespace });
    const created = stored._id === id;
    if (created) this.ctx.notifier(namespace)?.message(stored, [room.customerID, room.vendorID]);
    return { message: stored, created };
  }

  private async asMember(namespace: string, roomToken: string, senderId: string, body: PostMessageBody) {
    const payload = parsePayload(
      this.memberSchema,
      { message: body.message, type: body.type ?? 'text', roomToken, clientMsgId: body.clientMsgId },
      'message body',
    );
    const actor = { namespace, userId: senderId, socketId: 'platform' };
    const { message, created } = await this.messages.send(actor, payload);
    if (created) this.ctx.notifier(namespace)?.message(message);
    return { message, created };
  }

  /** Newest first, any room, no membership check; cursors as in chat history. */
  async history(namespace: string, roomToken: string, q: { before?: string; after?: string; limit?: string }): Promise<PlatformHistory> {
    const room = await findRoom(this.ctx, namespace, roomToken);
    const limit = Math.min(PLATFORM_HISTORY_MAX, Math.max(1, q.limit === undefined ? PLATFORM_HISTORY_DEFAULT : Number(q.limit)));
    const { messages } = this.ctx.store;
    if (q.after !== undefined) {
      const rows = await messages.afterInRoom(room._id, q.after, limit + 1);
      const page = rows.slice(0, limit);
      return { messages: page.reverse(), limit, nextCursor: rows.length > limit ? page[0]!._id : null };
    }
    const rows = q.before !== undefined
      ? await messages.beforeInRoom(room._id, q.before, limit + 1)
      : await messages.pageInRoom(room._id, 0, limit + 1);
    const page = rows.slice(0, limit);
    return { messages: page, limit, nextCursor: rows.length > limit ? page.at(-1)!._id : null };
  }
}
