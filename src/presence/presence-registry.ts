/**
 * Who is connected, counted per socket so several devices (and several nodes) make one presence.
 * The local registry serves one node; the Redis registry is shared by every node.
 */
export interface PresenceTransition {
  /** The user's first socket anywhere appeared (add), or its last one went (remove). */
  changed: boolean;
  /**
   * Of a change: its number in the user's sequence of online/offline changes. A change whose notice is sent
   * after awaits is stale once `isCurrent` says another change came after it (e.g. a quick reconnect on
   * another node): its notice must then not be sent, or it would overtake the newer one.
   */
  version: number;
}

export interface PresenceRegistry {
  /** Registers a socket; `changed` when it is the user's first socket in the namespace anywhere. */
  add(namespace: string, userId: string, socketId: string): Promise<PresenceTransition>;
  /** Unregisters a socket; `changed` when it was the user's last socket in the namespace anywhere. */
  remove(namespace: string, userId: string, socketId: string): Promise<PresenceTransition>;
  /** Whether the change numbered `version` is still the user's latest one. */
  isCurrent(namespace: string, userId: string, version: number): Promise<boolean>;
  onlineAmong(namespace: string, userIds: readonly string[]): Promise<Set<string>>;
  socketCount(namespace: string, userId: string): Promise<number>;
  /**
   * Users whose last socket vanished without a `remove` (their node died): the registry calls the
   * handler once per such user, on one surviving node.
   */
  onExpired(handler: (namespace: string, userId: string) => void): void;
  close(): Promise<void>;
}

export const NO_CHANGE: PresenceTransition = Object.freeze({ changed: false, version: 0 });
