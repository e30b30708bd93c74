import { randomUUID } from 'node:crypto';
import type { Actor, Attachment, Message, MessagePayload, MessageType, ReadPayload, Room, SyncPayload } from '../protocol/index.js';
import { ParleyError } from '../protocol/index.js';
import type { MessageRepository, ReadRepository } from '../store/chat-store.js';
import type { Clock } from './clock.js';
import { idTime, type IdGenerator } from './ids.js';
import type { MessageWriter } from './message-writer.js';
import type { RateGate } from './rate-gate.js';
import { assertNotClosed, counterpartOf, type RoomService } from './room-service.js';

export interface SendResult {
  message: Message;
  /** False when the clientMsgId was seen before: the original is returned and nothing is broadcast. */
  created: boolean;
  room: Room | undefined;
}

export interface ReadResult {
  room: Room;
  /** Whether the read mark moved; a receipt goes out only then. */
  advanced: boolean;
  dt: string;
}

/** Ties uploads to media messages named by `attachmentId` (SPEC §12). */
export interface AttachmentClaims {
  /** Checks the rules and marks the attachment taken by `claim`, or throws. */
  claim(actor: Actor, attachmentId: string, type: MessageType, claim: string): Promise<Attachment>;
  bind(attachmentId: string, claim: string, messageId: string): Promise<void>;
  release(attachmentId: string, claim: string): Promise<void>;
}

/** Messages, receipts and catch-up (SPEC §5, §9). */
export class MessageService {
  constructor(
    private readonly messages: MessageRepository,
    private readonly reads: ReadRepository,
    private readonly rooms: RoomService,
    private readonly writer: MessageWriter,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly gate: RateGate,
    private readonly syncPageSize: number,
    private readonly attachments?: AttachmentClaims,
  ) {}

  async send(actor: Actor, payload: MessagePayload): Promise<SendResult> {
    let room: Room;
    let attachment: Attachment | undefined;
    const claim = payload.attachmentId === undefined ? undefined : `claim:${randomUUID()}`;
    try {
      room = await this.rooms.activeRoom(actor, payload.roomToken);
      // The attachment's rules (forbidden, not_found, invalid_payload) come before rate_limited, as room rules do.
      if (claim !== undefined) attachment = await this.claimAttachment(actor, payload, claim);
      await this.gate.consume(actor, 'message').catch(async (err: unknown) => {
        if (attachment && claim) await this.attachments?.release(attachment.id, claim).catch(() => {});
        throw err;
      });
    } catch (err) {
      // A retry gets its original back even if its room, or its budget, has changed since. Looking it up
      // only here keeps a query off the common path: the insert itself refuses a repeated clientMsgId.
      const original = await this.original(actor, payload.clientMsgId);
      if (original) return { message: original, created: false, room: undefined };
      throw err;
    }
    if (attachment && claim) return this.sendWithAttachment(actor, payload, room, attachment, claim);
    return this.write(actor, payload, room, undefined);
  }

  private async claimAttachment(actor: Actor, payload: MessagePayload, claim: string): Promise<Attachment> {
    if (!this.attachments) throw new ParleyError('invalid_payload', 'Uploads are not enabled on this server.');
    return this.attachments.claim(actor, payload.attachmentId!, payload.type, claim);
  }

  /** The claim becomes the message's once it is stored; a failed or repeated send frees the attachment. */
  private async sendWithAttachment(actor: Actor, payload: MessagePayload, room: Room, attachment: Attachment, claim: string) {
    const attachments = this.attachments!;
    let result: SendResult;
    try {
      result = await this.write(actor, payload, room, attachment);
    } catch (err) {
      await attachments.release(attachment.id, claim).catch(() => {});
      throw err;
    }
    // Binding is bookkeeping only (the stored message names the attachment): its failure fails nothing.
    if (result.created) await attachments.bind(attachment.id, claim, result.message._id).catch(() => {});
    else await attachments.release(attachment.id, claim).catch(() => {});
    return result;
  }

  private async write(actor: Actor, payload: MessagePayload, room: Room, attachment: Attachment | undefined): Promise<SendResult> {
    // No await between taking the id and queueing the write: id order is storage order.
    const id = this.ids.next();
    const candidate: Message = {
      _id: id,
      message: attachment ? attachment.url : payload.message!,
      message_type: payload.type,
      senderId: actor.userId,
      receiverId: counterpartOf(room, actor.userId),
      room_id: room._id,
      roomToken: room.roomToken,
      dt: idTime(id),
    };
    if (payload.clientMsgId !== undefined) candidate.clientMsgId = payload.clientMsgId;
    if (attachment) candidate.attachment = attachment;
    const toStore = { ...candidate, namespace: actor.namespace };
    const stored = await this.writer.write(toStore);
    // A concurrent send with the same clientMsgId may have won the race: then this one is the retry. (The
    // store may have given the message a greater id, so that ids commit in order: it is in toStore.)
    const created = stored._id === toStore._id;
    return { message: stored, created, room: created ? room : undefined };
  }

  private async original(actor: Actor, clientMsgId: string | undefined): Promise<Message | undefined> {
    if (clientMsgId === undefined) return undefined;
    return this.messages.findByClientMsgId(actor.namespace, actor.userId, clientMsgId);
  }

  async typing(actor: Actor, roomToken: string | undefined): Promise<Room> {
    const room = await this.rooms.activeRoom(actor, roomToken);
    await this.gate.consume(actor, 'typing');
    return room;
  }

  async markRead(actor: Actor, payload: ReadPayload): Promise<ReadResult> {
    const room = await this.rooms.memberRoom(actor, payload.roomToken);
    assertNotClosed(room);
    const message = await this.messages.findInRoom(room._id, payload.messageId);
    if (!message) throw new ParleyError('not_found', `No message "${payload.messageId}" in this room.`);
    await this.gate.consume(actor, 'other');
    const advanced = await this.reads.markRead(room._id, actor.userId, message._id);
    return { room, advanced, dt: new Date(this.clock.now()).toISOString() };
  }

  async sync(actor: Actor, payload: SyncPayload): Promise<{ messages: Message[]; hasMore: boolean }> {
    const room = payload.roomToken !== undefined ? await this.rooms.memberRoom(actor, payload.roomToken) : undefined;
    await this.gate.consume(actor, 'other');
    const since = payload.since ?? '';
    const limit = this.syncPageSize + 1;
    const rows = room
      ? await this.messages.afterInRoom(room._id, since, limit)
      : await this.messages.afterForUser(actor.namespace, actor.userId, since, limit);
    const hasMore = rows.length > this.syncPageSize;
    return { messages: hasMore ? rows.slice(0, this.syncPageSize) : rows, hasMore };
  }
}
