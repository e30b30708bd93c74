import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { ContactMasker } from './moderation/contact-masker.js';
import { SendScreen } from './moderation/send-screen.js';
import type { PresenceRegistry } from './presence/presence-registry.js';
import type { RateGate } from './services/rate-gate.js';
import { BlockAwarePresence, BlockAwareRooms, BlockService } from './services/block-service.js';
import type { Clock } from './services/clock.js';
import type { IdGenerator } from './services/ids.js';
import { LifecycleService } from './services/lifecycle-service.js';
import { MessageService } from './services/message-service.js';
import type { MessageWriter } from './services/message-writer.js';
import { ReportService } from './services/report-service.js';
import type { ChatStore } from './store/chat-store.js';
import type { AttachmentService } from './uploads/attachment-service.js';

export interface ChatServiceDeps {
  store: ChatStore;
  presence: PresenceRegistry;
  writer: MessageWriter;
  ids: IdGenerator;
  clock: Clock;
  gate: RateGate;
  attachments: AttachmentService;
  log: Logger;
}

/** The chat's rules (SPEC §4–§9) with moderation (§13) and attachments (§12) woven in. */
export function createChatServices(config: Config, deps: ChatServiceDeps) {
  const { store, writer, ids, clock, gate, attachments, log } = deps;
  const { moderation } = store;
  const rooms = new BlockAwareRooms(store.rooms, ids, clock, gate, {
    maxRoomsPerUser: config.maxRoomsPerUser,
    maxPendingPerUser: config.maxPendingPerUser,
  });
  const masker = new ContactMasker({ allowedLinkDomains: config.allowedLinkDomains });
  const screen = new SendScreen(moderation.sendPolicy, moderation.lifecycle, masker, config.contactMasking === 'mask');
  const messages = new MessageService(store.messages, store.reads, rooms, writer, ids, clock, gate, config.syncPageSize, { screen, attachments });
  const presence = new BlockAwarePresence(moderation.blocks, deps.presence, rooms, store.lastSeen, clock);
  const blocks = new BlockService(moderation.blocks, rooms, clock, gate);
  rooms.useBlocks(blocks);
  const lifecycle = new LifecycleService(rooms, moderation.lifecycle, screen, clock, gate, config.editWindowMs);
  const reports = new ReportService(rooms, store.rooms, moderation.reports, moderation.lifecycle, lifecycle, ids, clock, gate);
  // Deleting a message (§13) removes its attachment's files (§12). The delete stands if that fails: the
  // orphan sweep takes a deleted message's files at its next run.
  lifecycle.onDeleted(async (_namespace, message) => {
    await attachments.removeForMessages([message._id]).catch((err: unknown) => {
      log.warn({ err, messageId: message._id }, 'removing a deleted message’s attachment failed; the sweep will retry');
    });
  });
  return { rooms, messages, presence, blocks, lifecycle, reports };
}
