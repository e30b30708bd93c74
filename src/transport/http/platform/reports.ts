import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parsePayload, reportStatuses, resolveReportSchema } from '../../../protocol/index.js';
import { errors, jsonSchema, messageSchema, security, tags } from './openapi.js';
import type { PlatformDeps } from './index.js';

const REPORTS_MAX = 1000;
const REPORTS_DEFAULT = 100;

const reportsQuerySchema = z.object({
  status: z.enum(reportStatuses).optional(),
  limit: z.string().regex(/^[0-9]+$/, 'must be a whole number (digits only)').optional(),
});
const reportPathSchema = z.object({ id: z.string().regex(/^[0-9A-Za-z]{1,64}$/, 'must be a report id') });

const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const reportSchema = {
  type: 'object',
  properties: {
    id: str,
    namespace: str,
    roomToken: str,
    room_id: str,
    reporterId: str,
    reportedUserId: str,
    messageId: nullableStr,
    reason: str,
    status: { type: 'string', enum: [...reportStatuses] },
    createdAt: { type: 'string', format: 'date-time' },
    snapshot: { type: 'array', items: messageSchema, description: "the room's last 20 messages up to the reported one, oldest first" },
    resolution: {
      anyOf: [
        { type: 'object', properties: { action: str, note: nullableStr, resolvedAt: { type: 'string', format: 'date-time' } } },
        { type: 'null' },
      ],
    },
  },
} as const;
const envelope = (data: object) => ({
  type: 'object',
  properties: { success: { type: 'boolean', enum: [true] }, data: { type: 'object', properties: data } },
});

/** The moderators' report queue (§10, §13). */
export function registerReportRoutes(scope: FastifyInstance, deps: PlatformDeps): void {
  scope.get(
    '/reports',
    {
      schema: {
        tags,
        security,
        summary: 'Reports, oldest first',
        description: 'Reports made by users with `report`, each with its snapshot of the room. `status` filters (open | resolved); `limit` 1–1000, default 100.',
        querystring: jsonSchema(reportsQuerySchema),
        response: { 200: envelope({ reports: { type: 'array', items: reportSchema } }), ...errors(400) },
      },
    },
    async (req) => {
      const { status, limit } = parsePayload(reportsQuerySchema, req.query, 'reports query');
      const n = Math.min(REPORTS_MAX, Math.max(1, limit === undefined ? REPORTS_DEFAULT : Number(limit)));
      return { success: true, data: { reports: await deps.reports.list(status, n) } };
    },
  );

  scope.post(
    '/reports/:id/resolve',
    {
      schema: {
        tags,
        security,
        summary: 'Resolve a report',
        description:
          '`dismiss` closes it; `delete-message` also makes the reported message a tombstone (members get `message-updated`); ' +
          '`ban-user` also bans the reported user (as PUT …/ban). Resolving a resolved report answers with it unchanged.',
        params: jsonSchema(reportPathSchema),
        body: jsonSchema(resolveReportSchema),
        response: { 200: envelope({ report: reportSchema }), ...errors(400, 404) },
      },
    },
    async (req) => {
      const { id } = parsePayload(reportPathSchema, req.params, 'path');
      const body = parsePayload(resolveReportSchema, req.body ?? {}, 'resolve body');
      const { report, deleted } = await deps.reports.resolve(id, body);
      if (deleted?.changed) deps.notifier(report.namespace)?.messageUpdated(deleted.message, deleted.room);
      return { success: true, data: { report } };
    },
  );
}
