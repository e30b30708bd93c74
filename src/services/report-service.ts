import {
  ParleyError,
  type Actor,
  type Report,
  type ReportPayload,
  type ReportStatus,
  type ResolveReportPayload,
} from '../protocol/index.js';
import type { LifecycleRepository } from '../store/kysely-lifecycle.js';
import type { ReportRepository } from '../store/kysely-moderation.js';
import type { RoomRepository } from '../store/chat-store.js';
import type { Clock } from './clock.js';
import type { IdGenerator } from './ids.js';
import type { LifecycleService, UpdateResult } from './lifecycle-service.js';
import type { RateGate } from './rate-gate.js';
import { counterpartOf, type RoomService } from './room-service.js';

/** How many messages a report keeps: the room's last ones up to the reported message. */
export const SNAPSHOT_SIZE = 20;

/** Bans a user (the platform's §10 ban), for the `ban-user` resolution. */
export type BanUser = (namespace: string, userId: string, reason: string) => Promise<void>;

export interface ResolveResult {
  report: Report;
  /** The tombstone, when the resolution deleted the message (members must be told). */
  deleted?: UpdateResult;
}

/** `report` (§13) and the moderators' queue (§10). */
export class ReportService {
  private banUser: BanUser | undefined;

  constructor(
    private readonly rooms: RoomService,
    private readonly roomStore: RoomRepository,
    private readonly reports: ReportRepository,
    private readonly messages: LifecycleRepository,
    private readonly lifecycle: LifecycleService,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly gate: RateGate,
  ) {}

  /** The platform's ban, once it exists; without it `ban-user` is refused. */
  useBan(ban: BanUser): void {
    this.banUser = ban;
  }

  async report(actor: Actor, payload: ReportPayload): Promise<Report> {
    const room = await this.rooms.memberRoom(actor, payload.roomToken);
    let reportedUserId = counterpartOf(room, actor.userId);
    if (payload.messageId !== undefined) {
      const message = await this.messages.find(room._id, payload.messageId);
      if (!message) throw new ParleyError('not_found', `No message "${payload.messageId}" in this room.`);
      if (message.senderId !== actor.userId && message.message_type !== 'system') reportedUserId = message.senderId;
    }
    await this.gate.consume(actor, 'other');
    const report: Report = {
      id: this.ids.next(),
      namespace: actor.namespace,
      roomToken: room.roomToken,
      room_id: room._id,
      reporterId: actor.userId,
      reportedUserId,
      messageId: payload.messageId ?? null,
      reason: payload.reason,
      status: 'open',
      createdAt: new Date(this.clock.now()).toISOString(),
      snapshot: await this.messages.snapshot(room._id, payload.messageId, SNAPSHOT_SIZE),
      resolution: null,
    };
    await this.reports.insert(actor.namespace, report);
    return report;
  }

  list(status: ReportStatus | undefined, limit: number): Promise<Report[]> {
    return this.reports.list(status, limit);
  }

  /** Resolving twice answers with the report as first resolved, and does nothing again. */
  async resolve(id: string, payload: ResolveReportPayload): Promise<ResolveResult> {
    const report = await this.reports.find(id);
    if (!report) throw new ParleyError('not_found', `No report "${id}".`);
    if (report.status === 'resolved') return { report };
    let deleted: UpdateResult | undefined;
    if (payload.action === 'delete-message') {
      if (report.messageId === null) throw new ParleyError('invalid_payload', 'action: this report names no message to delete.');
      const room = await this.roomStore.findByToken(report.namespace, report.roomToken);
      if (!room) throw new ParleyError('not_found', `The room of report "${id}" no longer exists.`);
      deleted = await this.lifecycle.deleteByModerator(report.namespace, room, report.messageId);
    } else if (payload.action === 'ban-user') {
      if (!this.banUser) throw new ParleyError('invalid_payload', 'action: banning is not available on this server.');
      await this.banUser(report.namespace, report.reportedUserId, payload.note ?? `report ${id}: ${report.reason}`);
    }
    await this.reports.resolve(id, payload.action, payload.note ?? null, new Date(this.clock.now()).toISOString());
    return { report: (await this.reports.find(id))!, ...(deleted ? { deleted } : {}) };
  }
}
