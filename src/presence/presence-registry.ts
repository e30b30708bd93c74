/**
 * Who is connected, counted per socket so several devices (and several nodes) make one presence.
 * The local registry serves one node; the Redis registry is shared by every node.
 */
export interface PresenceRegistry {
  /** Registers a socket; true when it is the user's first socket in the namespace anywhere. */
  add(namespace: string, userId: string, socketId: string): Promise<boolean>;
  /** Unregisters a socket; true when it was the user's last socket in the namespace anywhere. */
  remove(namespace: string, userId: string, socketId: string): Promise<boolean>;
  onlineAmong(namespace: string, userIds: readonly string[]): Promise<Set<string>>;
  socketCount(namespace: string, userId: string): Promise<number>;
  /**
   * Users whose last socket vanished without a `remove` (their node died): the registry calls the
   * handler once per such user, on one surviving node.
   */
  onExpired(handler: (namespace: string, userId: string) => void): void;
  close(): Promise<void>;
}
