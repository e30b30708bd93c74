import { ParleyError, type Actor, type JoinRoomPayload, type RoomSummary } from '../protocol/index.js';
import type { BlockRepository } from '../store/kysely-moderation.js';
import type { Clock } from './clock.js';
import { PresenceService, type PresenceChange } from './presence-service.js';
import type { RateGate } from './rate-gate.js';
import { RoomService, type JoinResult } from './room-service.js';

export interface BlockChange {
  /** False when nothing changed (blocked twice, or not blocked): nobody is notified. */
  changed: boolean;
  /** The two share a room, so the blocked user has (or had) the blocker's presence. */
  counterparts: boolean;
}

/** block-user / unblock-user (§13). Blocks are rows in the store, so every node and restart sees them. */
export class BlockService {
  constructor(
    private readonly blocks: BlockRepository,
    private readonly rooms: RoomService,
    private readonly clock: Clock,
    private readonly gate: RateGate,
  ) {}

  async block(actor: Actor, userId: string): Promise<BlockChange> {
    this.assertOther(actor, userId);
    await this.gate.consume(actor, 'other');
    const changed = await this.blocks.block(actor.namespace, actor.userId, userId, new Date(this.clock.now()).toISOString());
    return { changed, counterparts: changed && (await this.shareRoom(actor, userId)) };
  }

  async unblock(actor: Actor, userId: string): Promise<BlockChange> {
    this.assertOther(actor, userId);
    await this.gate.consume(actor, 'other');
    const changed = await this.blocks.unblock(actor.namespace, actor.userId, userId);
    return { changed, counterparts: changed && (await this.shareRoom(actor, userId)) };
  }

  /** Room creation: refused when the counterpart blocks the caller. */
  async assertMayCreateRoom(actor: Actor, payload: JoinRoomPayload): Promise<void> {
    if (actor.userId !== payload.customerID && actor.userId !== payload.vendorID) return; // the room rules answer
    const other = actor.userId === payload.customerID ? payload.vendorID : payload.customerID;
    const blockers = await this.blocks.blockersOf(actor.namespace, actor.userId, [other]);
    if (blockers.size > 0) throw new ParleyError('forbidden', 'This user has blocked you: you cannot open a room with them.');
  }

  private assertOther(actor: Actor, userId: string): void {
    if (userId === actor.userId) throw new ParleyError('invalid_payload', 'Invalid block payload: userId: you cannot block yourself.');
  }

  private async shareRoom(actor: Actor, userId: string): Promise<boolean> {
    return (await this.rooms.counterparts(actor)).includes(userId);
  }
}

/**
 * Presence with blocks: a user never learns the presence of someone who blocks them (no `online`/`offline`,
 * not in `list-online-user`, `online: false` and no `lastSeen` in `list-room`), and a blocker's room list
 * marks rooms with blocked counterparts `blocked: true`.
 */
export class BlockAwarePresence extends PresenceService {
  constructor(
    private readonly blocks: BlockRepository,
    ...presence: ConstructorParameters<typeof PresenceService>
  ) {
    super(...presence);
  }

  override async connect(actor: Actor): Promise<PresenceChange> {
    return this.visible(actor.namespace, actor.userId, await super.connect(actor));
  }

  override async disconnect(actor: Actor): Promise<PresenceChange> {
    return this.visible(actor.namespace, actor.userId, await super.disconnect(actor));
  }

  override async wentOffline(namespace: string, userId: string): Promise<PresenceChange> {
    return this.visible(namespace, userId, await super.wentOffline(namespace, userId));
  }

  override async onlineCounterparts(actor: Actor): Promise<string[]> {
    const online = await super.onlineCounterparts(actor);
    const hidden = await this.blocks.blockersOf(actor.namespace, actor.userId, online);
    return online.filter((id) => !hidden.has(id));
  }

  override async roomSummaries(actor: Actor): Promise<RoomSummary[]> {
    return this.withBlocks(actor.namespace, actor.userId, await super.roomSummaries(actor));
  }

  override async summariesFor(namespace: string, userId: string, limit: number): Promise<RoomSummary[]> {
    return this.withBlocks(namespace, userId, await super.summariesFor(namespace, userId, limit));
  }

  /** `blocked: true` where the user blocks the counterpart; no presence of a counterpart who blocks the user. */
  private async withBlocks(namespace: string, userId: string, rooms: RoomSummary[]): Promise<RoomSummary[]> {
    const others = [...new Set(rooms.map((r) => r.counterpart.userId))];
    if (others.length === 0) return rooms;
    const [blocked, blockers] = await Promise.all([
      this.blocks.blockedBy(namespace, userId, others),
      this.blocks.blockersOf(namespace, userId, others),
    ]);
    return rooms.map((room) => {
      const other = room.counterpart.userId;
      const shown = blockers.has(other) ? { ...room, counterpart: { ...room.counterpart, online: false, lastSeen: null } } : room;
      return blocked.has(other) ? { ...shown, blocked: true as const } : shown;
    });
  }

  override async audienceOf(namespace: string, subject: string, audience: string[]): Promise<string[]> {
    if (audience.length === 0) return audience;
    const hidden = await this.blocks.blockedBy(namespace, subject, audience);
    return hidden.size === 0 ? audience : audience.filter((id) => !hidden.has(id));
  }

  /** The audience of a presence change, without the users the subject blocks. */
  private async visible(namespace: string, subject: string, change: PresenceChange): Promise<PresenceChange> {
    if (change.counterparts.length === 0) return change;
    return { ...change, counterparts: await this.audienceOf(namespace, subject, change.counterparts) };
  }
}

/** Rooms with blocks: a user blocked by the counterpart cannot open a room with them. */
export class BlockAwareRooms extends RoomService {
  private blocks: BlockService | undefined;

  /** Set once the block service exists (it needs the rooms itself). */
  useBlocks(blocks: BlockService): void {
    this.blocks = blocks;
  }

  override async join(actor: Actor, payload: JoinRoomPayload): Promise<JoinResult> {
    await this.blocks?.assertMayCreateRoom(actor, payload);
    return super.join(actor, payload);
  }
}
