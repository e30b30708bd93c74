import { ParleyError, type PutRoomBody, type Room, type RoomSummary } from '../protocol/index.js';
import type { IdGenerator } from '../services/ids.js';
import type { PresenceService } from '../services/presence-service.js';
import { counterpartOf } from '../services/room-service.js';
import { findRoom, knownNamespace, nowIso, type PlatformContext } from './platform-context.js';
import type { RoomMember } from '../protocol/platform-view.js';

/** Rooms driven by the marketplace's backend: create/activate idempotently, read, list, close. */
export class PlatformRooms {
  constructor(
    private readonly ctx: PlatformContext,
    private readonly ids: IdGenerator,
    private readonly presence: PresenceService,
  ) {}

  /** PUT: 201 when created, 200 when it exists with that pair (activating it if asked). */
  async put(namespace: string, roomToken: string, body: PutRoomBody): Promise<{ room: Room; created: boolean }> {
    knownNamespace(this.ctx, namespace);
    const { rooms, platform } = this.ctx.store;
    const existing = await rooms.findByToken(namespace, roomToken);
    if (existing) return { room: await this.update(namespace, this.samePair(existing, body), body), created: false };
    const candidate: Room = {
      _id: this.ids.next(),
      roomID: body.roomID ?? roomToken,
      roomToken,
      customerID: body.customerID,
      vendorID: body.vendorID,
      createdBy: body.createdBy ?? body.customerID,
      status: body.status,
      createdAt: nowIso(this.ctx),
    };
    const stored = await rooms.insert(namespace, candidate);
    if (stored._id !== candidate._id) return { room: await this.update(namespace, this.samePair(stored, body), body), created: false };
    if (body.contactMasking !== undefined) await platform.setContactMasking(stored._id, body.contactMasking);
    await this.announceCreated(namespace, stored);
    return { room: stored, created: true };
  }

  private samePair(room: Room, body: PutRoomBody): Room {
    if (room.customerID === body.customerID && room.vendorID === body.vendorID) return room;
    throw new ParleyError('room_token_taken', `roomToken "${room.roomToken}" already names a room of another pair.`);
  }

  /** An existing room: `active` activates a pending or closed one; `pending` never deactivates. */
  private async update(namespace: string, room: Room, body: PutRoomBody): Promise<Room> {
    if (body.contactMasking !== undefined) await this.ctx.store.platform.setContactMasking(room._id, body.contactMasking);
    if (body.status !== 'active' || room.status === 'active') return room;
    const result = await this.ctx.store.platform.setStatus(namespace, room.roomToken, 'active');
    if (!result) return room;
    if (result.changed) {
      this.ctx.roomChanged(namespace, room.roomToken);
      this.ctx.notifier(namespace)?.roomActivated(result.room);
    }
    return result.room;
  }

  /** As if the creator had sent join-room (and, for an active room, the other had accepted). */
  private async announceCreated(namespace: string, room: Room): Promise<void> {
    const notifier = this.ctx.notifier(namespace);
    if (!notifier) return;
    const other = counterpartOf(room, room.createdBy);
    if (room.status === 'pending') notifier.roomRequested(other, room);
    else notifier.roomActivated(room);
    const online = await this.presence.onlineAmong(namespace, [room.customerID, room.vendorID]).catch(() => new Set<string>());
    // A member who blocks the other stays hidden from it (§13), as with join-room.
    const tell = async (subject: string, audience: string) => {
      if (!online.has(subject)) return;
      const told = await this.presence.audienceOf(namespace, subject, [audience]);
      if (told.length > 0) notifier.presence(subject, 'online', told);
    };
    await Promise.all([tell(room.createdBy, other), tell(other, room.createdBy)]);
  }

  async get(namespace: string, roomToken: string): Promise<{ room: Room; members: RoomMember[] }> {
    const room = await findRoom(this.ctx, namespace, roomToken);
    const states = await this.ctx.store.platform.members(room);
    const ids = states.map((s) => s.userId);
    const [online, seen] = await Promise.all([
      this.presence.onlineAmong(namespace, ids),
      this.ctx.store.lastSeen.lastSeen(namespace, ids),
    ]);
    const members = states.map((s) => ({
      userId: s.userId,
      online: online.has(s.userId),
      lastSeen: seen.get(s.userId) ?? null,
      lastReadId: s.lastReadId,
      unread: s.unread,
    }));
    return { room, members };
  }

  async listFor(namespace: string, userId: string, limit: number): Promise<RoomSummary[]> {
    knownNamespace(this.ctx, namespace);
    return this.presence.summariesFor(namespace, userId, limit);
  }

  async close(namespace: string, roomToken: string): Promise<Room> {
    await findRoom(this.ctx, namespace, roomToken);
    const result = await this.ctx.store.platform.setStatus(namespace, roomToken, 'closed');
    if (!result) throw new ParleyError('not_found', `No room has roomToken "${roomToken}" in namespace "${namespace}".`);
    if (result.changed) {
      this.ctx.roomChanged(namespace, roomToken);
      this.ctx.notifier(namespace)?.roomClosed(result.room);
    }
    return result.room;
  }
}
