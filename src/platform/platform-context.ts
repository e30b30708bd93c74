import { ParleyError, type Room } from '../protocol/index.js';
import type { Clock } from '../services/clock.js';
import type { ChatStore } from '../store/chat-store.js';
import type { Notifier } from '../transport/socket/notifier.js';

/** What the platform services share: storage, time, the namespaces, and the notices to members' sockets. */
export interface PlatformContext {
  store: ChatStore;
  clock: Clock;
  namespaces: readonly string[];
  /** The namespace's notifier (bound once the socket server exists). */
  notifier(namespace: string): Notifier | undefined;
  /** Tells every node to forget what it cached about a room whose status changed. */
  roomChanged(namespace: string, roomToken: string): void;
}

export function knownNamespace(ctx: PlatformContext, namespace: string): void {
  if (!ctx.namespaces.includes(namespace)) throw new ParleyError('not_found', `No namespace "${namespace}".`);
}

export async function findRoom(ctx: PlatformContext, namespace: string, roomToken: string): Promise<Room> {
  knownNamespace(ctx, namespace);
  const room = await ctx.store.rooms.findByToken(namespace, roomToken);
  if (!room) throw new ParleyError('not_found', `No room has roomToken "${roomToken}" in namespace "${namespace}".`);
  return room;
}

export function nowIso(ctx: PlatformContext): string {
  return new Date(ctx.clock.now()).toISOString();
}
