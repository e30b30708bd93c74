import type { Actor, RoomSummary } from '../protocol/index.js';
import type { PresenceRegistry } from '../presence/presence-registry.js';
import type { LastSeenRepository } from '../store/chat-store.js';
import type { Clock } from './clock.js';
import { counterpartOf, type RoomService } from './room-service.js';

export interface PresenceChange {
  /** The user's first socket appeared, or the last one went: counterparts must be told. */
  changed: boolean;
  counterparts: string[];
}

/** Online/offline per user (not per socket), and the room list with each counterpart's presence. */
export class PresenceService {
  constructor(
    private readonly registry: PresenceRegistry,
    private readonly rooms: RoomService,
    private readonly lastSeen: LastSeenRepository,
    private readonly clock: Clock,
  ) {}

  async connect(actor: Actor): Promise<PresenceChange> {
    const first = await this.registry.add(actor.namespace, actor.userId, actor.socketId);
    return { changed: first, counterparts: first ? await this.rooms.counterparts(actor) : [] };
  }

  async disconnect(actor: Actor): Promise<PresenceChange> {
    const last = await this.registry.remove(actor.namespace, actor.userId, actor.socketId);
    return last ? this.wentOffline(actor.namespace, actor.userId) : { changed: false, counterparts: [] };
  }

  /** For a user whose last socket is gone (disconnect, or its node died). */
  async wentOffline(namespace: string, userId: string): Promise<PresenceChange> {
    await this.lastSeen.setLastSeen(namespace, userId, new Date(this.clock.now()).toISOString());
    return { changed: true, counterparts: await this.rooms.counterparts({ namespace, userId }) };
  }

  /** Who of `audience` may learn the subject's presence (all of them here; blocks narrow it, see BlockAwarePresence). */
  async audienceOf(_namespace: string, _subject: string, audience: string[]): Promise<string[]> {
    return audience;
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

  async roomSummaries(actor: Actor): Promise<RoomSummary[]> {
    const listings = await this.rooms.list(actor);
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
