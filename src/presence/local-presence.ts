import { NO_CHANGE, type PresenceRegistry, type PresenceTransition } from './presence-registry.js';

/** Presence for a single node: socket ids per user per namespace, in this process. */
export class LocalPresence implements PresenceRegistry {
  private readonly sockets = new Map<string, Set<string>>();
  /** The latest change per user, numbered from one counter (numbers are never reused). */
  private readonly versions = new Map<string, number>();
  private sequence = 0;

  private key(namespace: string, userId: string): string {
    return `${namespace}\u0000${userId}`;
  }

  async add(namespace: string, userId: string, socketId: string): Promise<PresenceTransition> {
    const key = this.key(namespace, userId);
    let set = this.sockets.get(key);
    if (!set) {
      set = new Set();
      this.sockets.set(key, set);
    }
    set.add(socketId);
    return set.size === 1 ? this.change(key) : NO_CHANGE;
  }

  async remove(namespace: string, userId: string, socketId: string): Promise<PresenceTransition> {
    const key = this.key(namespace, userId);
    const set = this.sockets.get(key);
    if (!set || !set.delete(socketId)) return NO_CHANGE;
    if (set.size > 0) return NO_CHANGE;
    this.sockets.delete(key);
    return this.change(key);
  }

  async isCurrent(namespace: string, userId: string, version: number): Promise<boolean> {
    const key = this.key(namespace, userId);
    const current = this.versions.get(key) === version;
    // An offline user's number is needed only until its change is announced.
    if (current && !this.sockets.has(key)) this.versions.delete(key);
    return current;
  }

  private change(key: string): PresenceTransition {
    const version = ++this.sequence;
    this.versions.set(key, version);
    return { changed: true, version };
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
    this.versions.clear();
  }
}
