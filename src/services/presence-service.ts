import type { Actor, RoomSummary } from '../protocol/index.js';
import type { PresenceRegistry } from '../presence/presence-registry.js';
import type { LastSeenRepository, RoomListing } from '../store/chat-store.js';
import type { Clock } from './clock.js';
import { counterpartOf, type RoomService } from './room-service.js';

export interface PresenceChange {
  /** The user's first socket appeared, or the last one went: counterparts must be told. */
  changed: boolean;
  counterparts: string[];
}

const UNCHANGED: PresenceChange = Object.freeze({ changed: false, counterparts: [] as string[] });

/** Online/offline per user (not per socket), and the room list with each counterpart's presence. */
export class PresenceService {
  constructor(
    private readonly registry: PresenceRegistry,
    private readonly rooms: RoomService,
    private readonly lastSeen: LastSeenRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * Each change is announced only if it is still the user's latest once its counterparts are known: a
   * notice decided before awaits must not overtake a newer one (a quick reconnect, maybe on another node).
   * The caller sends the notice as soon as this resolves.
   */
  async connect(actor: Actor): Promise<PresenceChange> {
    const change = await this.registry.add(actor.namespace, actor.userId, actor.socketId);
    if (!change.changed) return UNCHANGED;
    const counterparts = await this.rooms.counterparts(actor);
    return this.ifCurrent(actor.namespace, actor.userId, change.version, counterparts);
  }

  async disconnect(actor: Actor): Promise<PresenceChange> {
    const change = await this.registry.remove(actor.namespace, actor.userId, actor.socketId);
    if (!change.changed) return UNCHANGED;
    const counterparts = await this.recordOffline(actor.namespace, actor.userId);
    return this.ifCurrent(actor.namespace, actor.userId, change.version, counterparts);
  }

  /** For a user whose last socket vanished with its node: announced unless the user is back online. */
  async wentOffline(namespace: string, userId: string): Promise<PresenceChange> {
    const counterparts = await this.recordOffline(namespace, userId);
    if ((await this.registry.onlineAmong(namespace, [userId])).has(userId)) return UNCHANGED;
    return { changed: true, counterparts };
  }

  private async recordOffline(namespace: string, userId: string): Promise<string[]> {
    await this.lastSeen.setLastSeen(namespace, userId, new Date(this.clock.now()).toISOString());
    return this.rooms.counterparts({ namespace, userId });
  }

  private async ifCurrent(namespace: string, userId: string, version: number, counterparts: string[]): Promise<PresenceChange> {
    return (await this.registry.isCurrent(namespace, userId, version)) ? { changed: true, counterparts } : UNCHANGED;
  }

  isOnline(namespace: string, userId: string): Promise<boolean> {
    return this.registry.onlineAmong(namespace, [userId]).then((set) => set.has(userId));
  }

  socketCount(namespace: string, userId: string): Promise<number> {
    return this.registry.socketCount(namespace, userId);
  }

  async onlineCounterparts(actor: Actor): Promise<string[]> {
    const counterparts = await this.rooms.counterparts(actor);
    const online = await this.registry.onlineAmong(actor.namespace, counterparts);
    return counterparts.filter((id) => online.has(id));
  }

  onlineAmong(namespace: string, userIds: readonly string[]): Promise<Set<string>> {
    return this.registry.onlineAmong(namespace, [...userIds]);
  }

  /** A user's rooms as in list-room, for the platform API (any user, a given limit). */
  summariesFor(namespace: string, userId: string, limit: number): Promise<RoomSummary[]> {
    return this.summaries({ namespace, userId }, this.rooms.listFor(namespace, userId, limit));
  }

  roomSummaries(actor: Actor): Promise<RoomSummary[]> {
    return this.summaries(actor, this.rooms.list(actor));
  }

  private async summaries(actor: Pick<Actor, 'namespace' | 'userId'>, listed: Promise<RoomListing[]>): Promise<RoomSummary[]> {
    const listings = await listed;
    const others = [...new Set(listings.map((room) => counterpartOf(room, actor.userId)))];
    const [online, seen] = await Promise.all([
      this.registry.onlineAmong(actor.namespace, others),
      this.lastSeen.lastSeen(actor.namespace, others),
    ]);
    return listings.map(({ counterpartLastReadId, ...room }) => {
      const userId = counterpartOf(room, actor.userId);
      const counterpart = { userId, online: online.has(userId), lastSeen: seen.get(userId) ?? null, lastReadId: counterpartLastReadId };
      return { ...room, counterpart };
    });
  }
}
