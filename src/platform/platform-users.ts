import { ParleyError, type Message, type Room } from '../protocol/index.js';
import type { PlatformMessage } from '../protocol/platform-view.js';
import { memberView } from '../services/lifecycle-service.js';
import type { Ban } from '../store/platform-repository.js';
import { knownNamespace, nowIso, type PlatformContext } from './platform-context.js';

/**
 * Removes the files of a user's attachments on erasure (the app wires the uploads service's removeForUser).
 * Returns how many attachments were removed.
 */
export interface AttachmentEraser {
  eraseUser(namespace: string, userId: string, messageIds: readonly string[]): Promise<number>;
}

export const noAttachments: AttachmentEraser = { eraseUser: async () => 0 };

export interface UserExport {
  user: { userId: string; namespace: string };
  rooms: Room[];
  messages: Message[];
}

/** Bans, data-subject export and erasure. */
export class PlatformUsers {
  constructor(
    private readonly ctx: PlatformContext,
    private readonly attachments: AttachmentEraser = noAttachments,
  ) {}

  /** Stores the ban (user.banned), then tells and disconnects the user's sockets on every node. */
  async ban(namespace: string, userId: string, body: { reason?: string; until?: string }): Promise<Ban> {
    knownNamespace(this.ctx, namespace);
    const until = body.until === undefined ? null : new Date(body.until).toISOString();
    const ban: Ban = { namespace, userId, reason: body.reason ?? null, until };
    await this.ctx.store.platform.setBan(ban, nowIso(this.ctx));
    if (until === null || Date.parse(until) > this.ctx.clock.now()) {
      this.ctx.notifier(namespace)?.banned(userId, bannedMessage(ban));
    }
    return ban;
  }

  async unban(namespace: string, userId: string): Promise<{ lifted: boolean }> {
    knownNamespace(this.ctx, namespace);
    return { lifted: await this.ctx.store.platform.liftBan(namespace, userId) };
  }

  /** Throws `forbidden` while the user is banned (socket handshakes, history). */
  async assertNotBanned(namespace: string, userId: string): Promise<void> {
    const ban = await this.ctx.store.platform.activeBan(namespace, userId, nowIso(this.ctx));
    if (ban) throw new ParleyError('forbidden', bannedMessage(ban));
  }

  async export(namespace: string, userId: string): Promise<UserExport> {
    knownNamespace(this.ctx, namespace);
    const [rooms, messages] = await Promise.all([
      this.ctx.store.platform.roomsOf(namespace, userId),
      this.ctx.store.platform.sentBy(namespace, userId),
    ]);
    return { user: { userId, namespace }, rooms, messages };
  }

  /**
   * Idempotent: counts the user's messages (all tombstones afterwards) and the attachments removed now.
   * Every message that changed reaches both members' sockets as `message-updated`, like a delete (§13).
   */
  async erase(namespace: string, userId: string): Promise<{ erased: { messages: number; attachments: number } }> {
    knownNamespace(this.ctx, namespace);
    const { messageIds, changed } = await this.ctx.store.platform.erase(namespace, userId, nowIso(this.ctx));
    const attachments = await this.attachments.eraseUser(namespace, userId, messageIds);
    await this.announce(namespace, userId, changed);
    return { erased: { messages: messageIds.length, attachments } };
  }

  private async announce(namespace: string, userId: string, changed: readonly PlatformMessage[]): Promise<void> {
    const notifier = this.ctx.notifier(namespace);
    if (!notifier || changed.length === 0) return;
    // Both kinds of changed message lie in the user's rooms (its own, and those it could react in).
    const rooms = new Map((await this.ctx.store.platform.roomsOf(namespace, userId)).map((room) => [room._id, room]));
    for (const message of changed) {
      const room = rooms.get(message.room_id);
      if (room) notifier.messageUpdated(memberView(message), room);
    }
  }
}

function bannedMessage(ban: Ban): string {
  const until = ban.until ? ` until ${ban.until}` : '';
  const reason = ban.reason ? `: ${ban.reason}` : '';
  return `You are banned${until}${reason}.`;
}
