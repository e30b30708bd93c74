import {
  ClientEvent,
  blockUserSchema,
  deleteMessageSchema,
  parsePayload,
  reactSchema,
  reportSchema,
  type EditMessagePayload,
} from '../../protocol/index.js';
import type { z } from 'zod';
import type { BlockService } from '../../services/block-service.js';
import type { LifecycleService, UpdateResult } from '../../services/lifecycle-service.js';
import type { ReportService } from '../../services/report-service.js';
import type { EventHandler } from './event-binder.js';
import type { Notifier } from './notifier.js';

export interface LifecycleServices {
  lifecycle: LifecycleService;
  blocks: BlockService;
  reports: ReportService;
  editSchema: z.ZodType<EditMessagePayload, unknown>;
}

type LifecycleEventName =
  | typeof ClientEvent.EditMessage
  | typeof ClientEvent.DeleteMessage
  | typeof ClientEvent.React
  | typeof ClientEvent.BlockUser
  | typeof ClientEvent.UnblockUser
  | typeof ClientEvent.Report;

/** The §13 client events: edits, deletes, reactions, blocks and reports. */
export function lifecycleHandlers(services: LifecycleServices, notifier: Notifier): Record<LifecycleEventName, EventHandler> {
  const { lifecycle, blocks, reports } = services;
  const updated = (result: UpdateResult) => ({
    reply: { data: { message: result.message } },
    after: () => {
      if (result.changed) notifier.messageUpdated(result.message, result.room);
    },
  });
  return {
    [ClientEvent.EditMessage]: async (actor, raw) =>
      updated(await lifecycle.edit(actor, parsePayload(services.editSchema, raw, 'edit-message payload'))),

    [ClientEvent.DeleteMessage]: async (actor, raw) =>
      updated(await lifecycle.delete(actor, parsePayload(deleteMessageSchema, raw, 'delete-message payload'))),

    [ClientEvent.React]: async (actor, raw) => updated(await lifecycle.react(actor, parsePayload(reactSchema, raw, 'react payload'))),

    [ClientEvent.BlockUser]: async (actor, raw) => {
      const { userId } = parsePayload(blockUserSchema, raw, 'block-user payload');
      const change = await blocks.block(actor, userId);
      return {
        reply: {},
        // From now on the blocked user sees the blocker as offline.
        after: () => {
          if (change.counterparts) notifier.presence(actor.userId, 'offline', [userId]);
        },
      };
    },

    [ClientEvent.UnblockUser]: async (actor, raw) => {
      const { userId } = parsePayload(blockUserSchema, raw, 'unblock-user payload');
      const change = await blocks.unblock(actor, userId);
      return {
        reply: {},
        // The blocker is connected (it just sent this), so it is online again in the other's eyes.
        after: () => {
          if (change.counterparts) notifier.presence(actor.userId, 'online', [userId]);
        },
      };
    },

    [ClientEvent.Report]: async (actor, raw) => {
      const report = await reports.report(actor, parsePayload(reportSchema, raw, 'report payload'));
      return { reply: { data: { report: { id: report.id } } } };
    },
  };
}
