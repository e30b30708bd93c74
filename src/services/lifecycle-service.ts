import {
  ParleyError,
  type Actor,
  type DeleteMessagePayload,
  type EditMessagePayload,
  type Message,
  type ReactPayload,
  type Room,
} from '../protocol/index.js';
import type { SendScreen } from '../moderation/send-screen.js';
import type { PlatformMessage } from '../protocol/platform-view.js';
import type { LifecycleRepository } from '../store/kysely-lifecycle.js';
import type { Clock } from './clock.js';
import type { RateGate } from './rate-gate.js';
import { counterpartOf, type RoomService } from './room-service.js';

export interface UpdateResult {
  /** What members see. */
  message: Message;
  /** What the platform sees (with `original` when masked): for webhooks. */
  platform: PlatformMessage;
  /** False when nothing changed (a repeated delete, a reaction already there): nobody is notified. */
  changed: boolean;
  room: Room;
}

/** Called after a message became a tombstone (e.g. to remove its attachment's file). */
export type DeletedHook = (namespace: string, message: PlatformMessage) => Promise<void>;

/** The member's view of a message: never the masked message's original text. */
export function memberView(message: PlatformMessage): Message {
  const { original: _original, ...visible } = message;
  return visible;
}

/** Editing, deleting and reacting to messages (§13). */
export class LifecycleService {
  private deletedHooks: DeletedHook[] = [];

  constructor(
    private readonly rooms: RoomService,
    private readonly messages: LifecycleRepository,
    private readonly screen: SendScreen,
    private readonly clock: Clock,
    private readonly gate: RateGate,
    private readonly editWindowMs: number,
  ) {}

  /** Attachments (§12) register here to remove the files of deleted messages. */
  onDeleted(hook: DeletedHook): void {
    this.deletedHooks.push(hook);
  }

  async edit(actor: Actor, payload: EditMessagePayload): Promise<UpdateResult> {
    const { room, message } = await this.target(actor, payload.roomToken, payload.messageId);
    assertOwn(actor, message, 'edit');
    if (message.deletedAt) throw deleted(payload.messageId);
    if (message.message_type !== 'text') throw new ParleyError('invalid_payload', 'Only text messages can be edited.');
    if (this.clock.now() - Date.parse(message.dt) > this.editWindowMs) {
      throw new ParleyError('forbidden', `Messages can be edited for ${Math.round(this.editWindowMs / 60_000)} minutes after sending.`);
    }
    assertActive(room);
    const screened = await this.screen.text(actor, room, counterpartOf(room, actor.userId), payload.message, 'text');
    await this.gate.consume(actor, 'other');
    const edited = await this.messages.edit(message._id, {
      text: screened.message,
      masked: screened.masked === true,
      original: screened.original ?? null,
      editedAt: this.now(),
    });
    if (!edited) throw deleted(payload.messageId);
    return { message: memberView(edited), platform: edited, changed: true, room };
  }

  async delete(actor: Actor, payload: DeleteMessagePayload): Promise<UpdateResult> {
    const { room, message } = await this.target(actor, payload.roomToken, payload.messageId);
    assertOwn(actor, message, 'delete');
    await this.gate.consume(actor, 'other');
    return this.tombstone(actor.namespace, room, message._id);
  }

  /** A moderator's delete (report resolution): no membership, any sender. */
  async deleteByModerator(namespace: string, room: Room, messageId: string): Promise<UpdateResult> {
    return this.tombstone(namespace, room, messageId);
  }

  private async tombstone(namespace: string, room: Room, messageId: string): Promise<UpdateResult> {
    const { message, changed } = await this.messages.tombstone(messageId, this.now());
    if (changed) for (const hook of this.deletedHooks) await hook(namespace, message);
    return { message: memberView(message), platform: message, changed, room };
  }

  async react(actor: Actor, payload: ReactPayload): Promise<UpdateResult> {
    const { room, message } = await this.target(actor, payload.roomToken, payload.messageId);
    assertActive(room);
    await this.screen.assertNotBlocked(actor, room, counterpartOf(room, actor.userId));
    if (message.deletedAt) throw deleted(payload.messageId);
    await this.gate.consume(actor, 'other');
    const result = await this.messages.react(message._id, payload.emoji, actor.userId, payload.on, this.now());
    if (result.message.deletedAt) throw deleted(payload.messageId);
    return { message: memberView(result.message), platform: result.message, changed: result.changed, room };
  }

  private async target(actor: Actor, roomToken: string, messageId: string) {
    const room = await this.rooms.memberRoom(actor, roomToken);
    const message = await this.messages.find(room._id, messageId);
    if (!message) throw new ParleyError('not_found', `No message "${messageId}" in this room.`);
    return { room, message };
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

/**
 * The sender only. A system message is the platform's, never a member's: not even one whose user id is
 * `system` (ids allow it) may edit or delete it.
 */
function assertOwn(actor: Actor, message: Message, verb: 'edit' | 'delete'): void {
  if (message.message_type === 'system') throw new ParleyError('forbidden', `System messages come from the platform: members cannot ${verb} them.`);
  if (message.senderId !== actor.userId) throw new ParleyError('forbidden', `Only the sender can ${verb} a message.`);
}

function deleted(messageId: string): ParleyError {
  return new ParleyError('not_found', `Message "${messageId}" has been deleted.`);
}

function assertActive(room: Room): void {
  if (room.status !== 'active') throw new ParleyError('room_not_active', `The room is ${room.status}, not active.`);
}
