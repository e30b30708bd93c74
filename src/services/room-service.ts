import {
  ParleyError,
  type AcceptRoomPayload,
  type Actor,
  type DeclineRoomPayload,
  type JoinRoomPayload,
  type Room,
} from '../protocol/index.js';
import type { RoomListing, RoomRepository } from '../store/chat-store.js';
import type { IdGenerator } from './ids.js';
import type { Clock } from './clock.js';
import type { RateGate } from './rate-gate.js';

export interface RoomLimits {
  /** Rooms the user created or accepted (requests others sent it do not count). */
  maxRoomsPerUser: number;
  /** The user's own requests still pending. */
  maxPendingPerUser: number;
}

export interface JoinResult {
  room: Room;
  /** False when the room already existed (idempotent join): nobody is notified again. */
  created: boolean;
  counterpart: string;
}

export interface AcceptResult {
  room: Room;
  /** False when the room was already active: nobody is notified again. */
  changed: boolean;
}

export function counterpartOf(room: Room, userId: string): string {
  return room.customerID === userId ? room.vendorID : room.customerID;
}

export function isMember(room: Room, userId: string): boolean {
  return room.customerID === userId || room.vendorID === userId;
}

const ACTIVE_CACHE_SIZE = 10_000;

const activeKey = (namespace: string, roomToken: string) => `${namespace}\u0000${roomToken}`;

/** Rooms: creation, acceptance, and finding the room an event is about (SPEC §4, §6). */
export class RoomService {
  /**
   * Active rooms by namespace + token. Active rooms are never deleted (only a pending request can be
   * declined) and their members never change; only the platform changes an active room's status (close),
   * and then every node is told to forget the room (`forget`).
   */
  private readonly activeCache = new Map<string, Room>();

  constructor(
    private readonly rooms: RoomRepository,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly gate: RateGate,
    private readonly limits: RoomLimits,
  ) {}

  async join(actor: Actor, payload: JoinRoomPayload): Promise<JoinResult> {
    const { customerID, vendorID, roomToken } = payload;
    if (actor.userId !== customerID && actor.userId !== vendorID) {
      throw new ParleyError('forbidden', 'You can only create a room where you are the customerID or the vendorID.');
    }
    const counterpart = actor.userId === customerID ? vendorID : customerID;
    const existing = await this.rooms.findByToken(actor.namespace, roomToken);
    if (existing) return { room: this.sameRoomOrTaken(existing, payload), created: false, counterpart };

    await this.gate.consume(actor, 'joinRoom');
    const { owned, pendingSent } = await this.rooms.countOwned(actor.namespace, actor.userId);
    if (owned >= this.limits.maxRoomsPerUser) {
      throw new ParleyError('rate_limited', `You already have ${this.limits.maxRoomsPerUser} rooms, the most allowed.`);
    }
    if (pendingSent >= this.limits.maxPendingPerUser) {
      throw new ParleyError(
        'rate_limited',
        `You already have ${this.limits.maxPendingPerUser} requests waiting to be accepted, the most allowed.`,
      );
    }
    const id = this.ids.next();
    const candidate: Room = {
      _id: id,
      roomID: payload.roomId ?? payload.roomID ?? roomToken,
      roomToken,
      customerID,
      vendorID,
      createdBy: actor.userId,
      status: 'pending',
      createdAt: new Date(this.clock.now()).toISOString(),
    };
    const stored = await this.rooms.insert(actor.namespace, candidate);
    if (stored._id !== id) return { room: this.sameRoomOrTaken(stored, payload), created: false, counterpart };
    return { room: stored, created: true, counterpart };
  }

  private sameRoomOrTaken(room: Room, payload: JoinRoomPayload): Room {
    if (room.customerID === payload.customerID && room.vendorID === payload.vendorID) return room;
    throw new ParleyError('room_token_taken', `roomToken "${payload.roomToken}" already names a room of another pair.`);
  }

  async accept(actor: Actor, payload: AcceptRoomPayload): Promise<AcceptResult> {
    const named = [payload.customerID, payload.vendorID].filter((id): id is string => id !== undefined);
    if (named.length > 0 && !named.includes(actor.userId)) {
      throw new ParleyError('forbidden', 'You can only accept a room where you are the customerID or the vendorID.');
    }
    const room = await this.rooms.findByToken(actor.namespace, payload.roomToken);
    if (!room) throw notFound(payload.roomToken);
    if (!isMember(room, actor.userId)) throw new ParleyError('forbidden', 'You are not a member of this room.');
    if (
      (payload.customerID !== undefined && payload.customerID !== room.customerID) ||
      (payload.vendorID !== undefined && payload.vendorID !== room.vendorID)
    ) {
      throw new ParleyError('forbidden', 'customerID/vendorID do not match the members of this room.');
    }
    if (room.createdBy === actor.userId) {
      throw new ParleyError('forbidden', 'Only the member who did not create the room can accept it.');
    }
    if (room.status === 'active') return { room, changed: false };
    assertNotClosed(room);
    await this.gate.consume(actor, 'other');
    const { owned } = await this.rooms.countOwned(actor.namespace, actor.userId);
    if (owned >= this.limits.maxRoomsPerUser) {
      throw new ParleyError('rate_limited', `You already have ${this.limits.maxRoomsPerUser} rooms, the most allowed; this request stays pending.`);
    }
    const changed = await this.rooms.activate(room._id);
    const active: Room = { ...room, status: 'active' };
    this.remember(actor.namespace, active);
    return { room: active, changed };
  }

  /** The member who did not create a pending room turns it down: the room is deleted. */
  async decline(actor: Actor, payload: DeclineRoomPayload): Promise<{ room: Room }> {
    const room = await this.rooms.findByToken(actor.namespace, payload.roomToken);
    if (!room) throw notFound(payload.roomToken);
    if (!isMember(room, actor.userId)) throw new ParleyError('forbidden', 'You are not a member of this room.');
    if (room.createdBy === actor.userId) {
      throw new ParleyError('forbidden', 'Only the member who did not create the room can decline it.');
    }
    if (room.status === 'active') throw alreadyAccepted();
    await this.gate.consume(actor, 'other');
    if (!(await this.rooms.deletePending(room._id))) {
      // Accepted or declined meanwhile (another device): say which.
      if ((await this.rooms.findByToken(actor.namespace, payload.roomToken))?.status === 'active') throw alreadyAccepted();
      throw notFound(payload.roomToken);
    }
    return { room };
  }

  /** The room an event names, checked for membership; any status. */
  async memberRoom(actor: Actor, roomToken: string): Promise<Room> {
    const room = await this.findByToken(actor.namespace, roomToken);
    if (!room) throw notFound(roomToken);
    if (!isMember(room, actor.userId)) throw new ParleyError('forbidden', 'You are not a member of this room.');
    return room;
  }

  /** The active room for `message`/`typing`: named by token, or the caller's only active room. */
  async activeRoom(actor: Actor, roomToken: string | undefined): Promise<Room> {
    if (roomToken === undefined) {
      const active = await this.rooms.activeForUser(actor.namespace, actor.userId, 2);
      if (active.length !== 1) {
        throw new ParleyError(
          'room_required',
          `Name the room with roomToken: you have ${active.length === 0 ? 'no' : 'more than one'} active room.`,
        );
      }
      return active[0]!;
    }
    const room = await this.memberRoom(actor, roomToken);
    assertOpen(room);
    return room;
  }

  /** `activeRoom` without a query or a promise, when the room is an active room this node has seen: else undefined. */
  cachedActiveRoom(actor: Actor, roomToken: string | undefined): Room | undefined {
    if (roomToken === undefined) return undefined;
    const room = this.activeCache.get(activeKey(actor.namespace, roomToken));
    return room && isMember(room, actor.userId) ? room : undefined;
  }

  /** Forgets a room whose status changed (closed or reopened by the platform). */
  forget(namespace: string, roomToken: string): void {
    this.activeCache.delete(activeKey(namespace, roomToken));
  }

  private async findByToken(namespace: string, roomToken: string): Promise<Room | undefined> {
    const cached = this.activeCache.get(activeKey(namespace, roomToken));
    if (cached) return cached;
    const room = await this.rooms.findByToken(namespace, roomToken);
    if (room?.status === 'active') this.remember(namespace, room);
    return room;
  }

  private remember(namespace: string, room: Room): void {
    if (this.activeCache.size >= ACTIVE_CACHE_SIZE) this.activeCache.delete(this.activeCache.keys().next().value!);
    this.activeCache.set(activeKey(namespace, room.roomToken), room);
  }

  list(actor: Actor): Promise<RoomListing[]> {
    return this.rooms.listForUser(actor.namespace, actor.userId, this.limits.maxRoomsPerUser);
  }

  listFor(namespace: string, userId: string, limit: number): Promise<RoomListing[]> {
    return this.rooms.listForUser(namespace, userId, limit);
  }

  counterparts(actor: Pick<Actor, 'namespace' | 'userId'>): Promise<string[]> {
    return this.rooms.counterpartsOf(actor.namespace, actor.userId);
  }
}

function alreadyAccepted(): ParleyError {
  return new ParleyError('forbidden', 'The room has been accepted: only a pending request can be declined.');
}

/** `room_not_active` unless the room is active (pending: not accepted yet; closed: by the platform). */
export function assertOpen(room: Room): void {
  if (room.status === 'active') return;
  throw new ParleyError(
    'room_not_active',
    room.status === 'closed' ? 'The room is closed.' : 'The room is pending: the other member has not accepted it yet.',
  );
}

/** `read` (and the like) work in pending rooms but not in closed ones. */
export function assertNotClosed(room: Room): void {
  if (room.status === 'closed') throw new ParleyError('room_not_active', 'The room is closed.');
}

export function notFound(roomToken: string): ParleyError {
  return new ParleyError('not_found', `No room has roomToken "${roomToken}" in this namespace.`);
}
