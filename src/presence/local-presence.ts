import type { PresenceRegistry } from './presence-registry.js';

/** Presence for a single node: socket ids per user per namespace, in this process. */
export class LocalPresence implements PresenceRegistry {
  private readonly sockets = new Map<string, Set<string>>();

  private key(namespace: string, userId: string): string {
    return `${namespace}\u0000${userId}`;
  }

  async add(namespace: string, userId: string, socketId: string): Promise<boolean> {
    const key = this.key(namespace, userId);
    let set = this.sockets.get(key);
    if (!set) {
      set = new Set();
      this.sockets.set(key, set);
    }
    set.add(socketId);
    return set.size === 1;
  }

  async remove(namespace: string, userId: string, socketId: string): Promise<boolean> {
    const key = this.key(namespace, userId);
    const set = this.sockets.get(key);
    if (!set || !set.delete(socketId)) return false;
    if (set.size > 0) return false;
    this.sockets.delete(key);
    return true;
  }

  async onlineAmong(namespace: string, userIds: readonly string[]): Promise<Set<string>> {
    return new Set(userIds.filter((id) => this.sockets.has(this.key(namespace, id))));
  }

  async socketCount(namespace: string, userId: string): Promise<number> {
    return this.sockets.get(this.key(namespace, userId))?.size ?? 0;
  }

  onExpired(): void {
    // A single node cannot outlive itself: nothing ever expires here.
  }

  async close(): Promise<void> {
    this.sockets.clear();
  }
}
