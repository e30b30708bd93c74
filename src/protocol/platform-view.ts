import type { Message } from './types.js';

/**
 * A message as the platform (server to server, webhooks, reports) sees it: masked ones keep `original`, the
 * text as sent. Imported from here, not re-exported by the protocol index (the platform API declares the same
 * shape for its own clients).
 */
export type PlatformMessage = Message & { original?: string };

/** A member of a room as the platform's GET room shows it. */
export interface RoomMember {
  userId: string;
  online: boolean;
  lastSeen: string | null;
  lastReadId: string | null;
  unread: number;
}
