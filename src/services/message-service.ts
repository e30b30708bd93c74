import { randomUUID } from 'node:crypto';
import type { Actor, Attachment, Message, MessagePayload, MessageType, ReadPayload, Room, SyncPayload } from '../protocol/index.js';
import { ParleyError } from '../protocol/index.js';
import type { MessageRepository, ReadRepository, StoredMessage } from '../store/chat-store.js';
import type { SendScreen } from '../moderation/send-screen.js';
import type { Clock } from './clock.js';
import type { IdGenerator } from './ids.js';
import type { MessageWriter } from './message-writer.js';
import type { RateGate } from './rate-gate.js';
import { assertNotClosed, counterpartOf, type RoomService } from './room-service.js';

export interface SendResult {
  message: Message;
  /** False when the clientMsgId was seen before: the original is returned and nothing is broadcast. */
  created: boolean;
  room: Room | undefined;
}

/** A send after its checks: answered already (a retry), or handed to the writer. */
type Prepared = { result: SendResult } | { toStore: StoredMessage; room: Room; writing: Promise<Message>; claim: Claim | undefined };

/** An attachment taken for a message being sent: bound to it once stored, released otherwise. */
interface Claim {
  id: string;
  claim: string;
  attachment: Attachment;
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

/** What §13 and §12 add to sending; both absent in the bare chat core. */
export interface SendExtensions {
  /** Blocks, replies and contact masking (§13). */
  screen?: SendScreen | undefined;
  /** Uploads named by `attachmentId` (§12). */
  attachments?: AttachmentClaims | undefined;
}

/** Messages, receipts and catch-up (SPEC §5, §9). */
export class MessageService {
  private readonly screen: SendScreen | undefined;
  private readonly attachments: AttachmentClaims | undefined;

  constructor(
    private readonly messages: MessageRepository,
    private readonly reads: ReadRepository,
    private readonly rooms: RoomService,
    private readonly writer: MessageWriter,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly gate: RateGate,
    private readonly syncPageSize: number,
    extensions: SendExtensions = {},
  ) {
    this.screen = extensions.screen;
    this.attachments = extensions.attachments;
  }

  /**
   * One sender's messages are stored in the order they arrived: screening them (blocks, replies, masking)
   * queries the store, so each waits in its sender's lane until the previous one has been handed to the
   * writer (not until it is written: the writer batches them).
   */
  private readonly lanes = new Map<string, Promise<unknown>>();

  async send(actor: Actor, payload: MessagePayload): Promise<SendResult> {
    const step = await this.inLane(`${actor.namespace}\u0000${actor.userId}`, () => this.prepare(actor, payload));
    if ('result' in step) return step.result;
    const { toStore, room, claim } = step;
    let stored: Message;
    try {
      stored = await step.writing;
    } catch (err) {
      if (claim) await this.attachments?.release(claim.id, claim.claim).catch(() => {});
      throw err;
    }
    // A concurrent send with the same clientMsgId may have won the race: then this one is the retry. (The
    // store may have given the message a greater id, so that ids commit in order: it is in toStore.)
    const created = stored._id === toStore._id;
    if (claim) await this.settleClaim(claim, created ? stored._id : undefined);
    return { message: stored, created, room: created ? room : undefined };
  }

  private inLane<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.lanes.get(key) ?? Promise.resolve();
    const run = previous.then(work);
    const tail = run.catch(() => {});
    this.lanes.set(key, tail);
    void tail.then(() => {
      if (this.lanes.get(key) === tail) this.lanes.delete(key);
    });
    return run;
  }

  private async prepare(actor: Actor, payload: MessagePayload): Promise<Prepared> {
    let room: Room;
    let extras: Partial<StoredMessage> = {};
    let claim: Claim | undefined;
    try {
      room = this.rooms.cachedActiveRoom(actor, payload.roomToken) ?? (await this.rooms.activeRoom(actor, payload.roomToken));
      // The attachment's rules (forbidden, not_found, invalid_payload) come before rate_limited, as room rules do.
      if (payload.attachmentId !== undefined) claim = await this.claimAttachment(actor, payload);
      try {
        // A block (forbidden) and an unknown replyTo (not_found) win over rate_limited, as every rule does.
        const message = claim ? claim.attachment.url : payload.message!;
        if (this.screen) extras = await this.screen.message(actor, room, counterpartOf(room, actor.userId), { ...payload, message });
        const gated = this.gate.consume(actor, 'message');
        if (gated) await gated;
      } catch (err) {
        if (claim) await this.attachments?.release(claim.id, claim.claim).catch(() => {});
        throw err;
      }
    } catch (err) {
      // A retry gets its original back even if its room, or its budget, has changed since. Looking it up
      // only here keeps a query off the common path: the insert itself refuses a repeated clientMsgId.
      const original = await this.original(actor, payload.clientMsgId);
      if (original) return { result: { message: original, created: false, room: undefined } };
      throw err;
    }
    // No await between taking the id and queueing the write: id order is storage order.
    const { id, dt } = this.ids.stamped();
    const candidate: Message = {
      _id: id,
      message: claim ? claim.attachment.url : payload.message!,
      message_type: payload.type,
      senderId: actor.userId,
      receiverId: counterpartOf(room, actor.userId),
      room_id: room._id,
      roomToken: room.roomToken,
      dt,
    };
    if (payload.clientMsgId !== undefined) candidate.clientMsgId = payload.clientMsgId;
    if (claim) candidate.attachment = claim.attachment;
    const toStore = { ...candidate, ...extras, namespace: actor.namespace };
    // Handed to the writer inside the lane (queued in order), awaited outside it.
    const writing = this.writer.write(toStore);
    writing.catch(() => {}); // awaited by send(); never an unhandled rejection meanwhile
    return { toStore, room, writing, claim };
  }

  private async claimAttachment(actor: Actor, payload: MessagePayload): Promise<Claim> {
    if (!this.attachments) throw new ParleyError('invalid_payload', 'Uploads are not enabled on this server.');
    const claim = `claim:${randomUUID()}`;
    const attachment = await this.attachments.claim(actor, payload.attachmentId!, payload.type, claim);
    return { id: attachment.id, claim, attachment };
  }

  /** The claim becomes the message's once it is stored; a repeated send frees the attachment. */
  private async settleClaim(claim: Claim, messageId: string | undefined): Promise<void> {
    const attachments = this.attachments!;
    // Binding is bookkeeping only (the stored message names the attachment): its failure fails nothing.
    if (messageId !== undefined) await attachments.bind(claim.id, claim.claim, messageId).catch(() => {});
    else await attachments.release(claim.id, claim.claim).catch(() => {});
  }

  private async original(actor: Actor, clientMsgId: string | undefined): Promise<Message | undefined> {
    if (clientMsgId === undefined) return undefined;
    return this.messages.findByClientMsgId(actor.namespace, actor.userId, clientMsgId);
  }

  async typing(actor: Actor, roomToken: string | undefined): Promise<Room> {
    const room = await this.rooms.activeRoom(actor, roomToken);
    await this.screen?.assertNotBlocked(actor, room, counterpartOf(room, actor.userId));
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
