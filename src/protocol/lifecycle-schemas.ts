import { z } from 'zod';
import { messageId, roomKey, storableText as text, userId } from './schemas.js';

/** Message lifecycle and moderation payloads (§13). */
export const REPORT_REASON_MAX = 500;

export const EMOJI_MAX = 16;

/** The edit payload; the text limit comes from config, like `message`'s. */
export function editMessageSchema(maxMessageLength: number) {
  return z.object({
    roomToken: roomKey,
    messageId,
    message: text().refine((value) => {
      const length = value.trim().length;
      return length >= 1 && length <= maxMessageLength;
    }, `text must be 1–${maxMessageLength} characters after trimming`),
  });
}
export type EditMessagePayload = z.infer<ReturnType<typeof editMessageSchema>>;

export const deleteMessageSchema = z.object({ roomToken: roomKey, messageId });
export type DeleteMessagePayload = z.infer<typeof deleteMessageSchema>;

export const reactSchema = z.object({
  roomToken: roomKey,
  messageId,
  emoji: text()
    .min(1)
    .max(EMOJI_MAX)
    .regex(/^\S+$/u, 'must contain no whitespace'),
  on: z.boolean().default(true),
});
export type ReactPayload = z.infer<typeof reactSchema>;

export const blockUserSchema = z.object({ userId });
export type BlockUserPayload = z.infer<typeof blockUserSchema>;

export const reportSchema = z.object({
  roomToken: roomKey,
  messageId: z.preprocess((v) => (v === '' || v === null ? undefined : v), messageId.optional()),
  reason: text().refine((r) => r.trim().length >= 1 && r.length <= REPORT_REASON_MAX, {
    message: `must be 1–${REPORT_REASON_MAX} characters`,
  }),
});
export type ReportPayload = z.infer<typeof reportSchema>;

export const reportActions = ['dismiss', 'delete-message', 'ban-user'] as const;
export type ReportAction = (typeof reportActions)[number];

export const resolveReportSchema = z.object({
  action: z.enum(reportActions),
  note: text().max(REPORT_REASON_MAX).optional(),
});
export type ResolveReportPayload = z.infer<typeof resolveReportSchema>;

export const reportStatuses = ['open', 'resolved'] as const;
export type ReportStatus = (typeof reportStatuses)[number];
