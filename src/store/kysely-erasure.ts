import type { Kysely } from 'kysely';
import { WebhookEventType } from '../protocol/index.js';
import type { PlatformMessage } from '../protocol/platform-view.js';
import { withdrawReactions } from './kysely-lifecycle.js';
import { messageColumns } from './kysely-messages.js';
import { toPlatformMessage } from './rows.js';
import type { Database, MessagesTable } from './schema.js';
import type { OutboxEvent, WriteHooks } from './write-hooks.js';

export interface Erased {
  /** Every message the user sent in the namespace (all tombstones now). */
  messageIds: string[];
  /** The messages that changed (the user's new tombstones, others' messages that lost its reactions), as now. */
  changed: PlatformMessage[];
}

type Trx = Kysely<Database>;

/** Erasure (§10), in the caller's transaction: messages, reactions, report snapshots, marks and blocks. */
export async function eraseUser(trx: Trx, kind: 'sqlite' | 'postgres', hooks: WriteHooks, namespace: string, userId: string, now: string): Promise<Erased> {
  const tombstones = await tombstoneAll(trx, namespace, userId, now);
  const reacted = await withdrawReactions(trx, kind, namespace, userId);
  const changed = [...tombstones, ...reacted].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(toPlatformMessage);
  await hooks.record(trx, changed.map((message) => updatedEvent(namespace, message)));
  await scrubReports(trx, namespace, userId, now);
  await forgetMarks(trx, namespace, userId);
  const all = await trx.selectFrom('messages').select('id').where('namespace', '=', namespace).where('sender_id', '=', userId).execute();
  return { messageIds: all.map((r) => r.id), changed };
}

/** A tombstone (§13): text, data, attachment, reactions and the masked original go; deletedAt is set once. */
async function tombstoneAll(trx: Trx, namespace: string, userId: string, now: string): Promise<MessagesTable[]> {
  const rows = await trx
    .updateTable('messages')
    .set((eb) => ({ body: '', data: null, attachment: null, masked: null, original: null, reactions: null, deleted_at: eb.fn.coalesce('deleted_at', eb.val(now)) }))
    .where('namespace', '=', namespace)
    .where('sender_id', '=', userId)
    .where((eb) => eb.or([eb('body', '<>', ''), eb('data', 'is not', null), eb('attachment', 'is not', null), eb('deleted_at', 'is', null)]))
    .returning(messageColumns)
    .execute();
  const own = trx.selectFrom('messages').select('id').where('namespace', '=', namespace).where('sender_id', '=', userId);
  await trx.deleteFrom('reactions').where('message_id', 'in', own).execute();
  return rows;
}

function updatedEvent(namespace: string, message: PlatformMessage): OutboxEvent {
  return { type: WebhookEventType.MessageUpdated, namespace, orderKey: `room:${message.roomToken}`, data: { namespace, message } };
}

function roomsOf(trx: Trx, namespace: string, userId: string) {
  return trx
    .selectFrom('rooms')
    .select('id')
    .where('namespace', '=', namespace)
    .where((eb) => eb.or([eb('customer_id', '=', userId), eb('vendor_id', '=', userId)]));
}

/** Report snapshots of the user's rooms: its messages become tombstones there too, its reactions go. */
async function scrubReports(trx: Trx, namespace: string, userId: string, now: string): Promise<void> {
  const reports = await trx
    .selectFrom('reports')
    .select(['id', 'snapshot'])
    .where('namespace', '=', namespace)
    .where('room_id', 'in', roomsOf(trx, namespace, userId))
    .execute();
  for (const report of reports) {
    const snapshot = JSON.stringify((JSON.parse(report.snapshot) as PlatformMessage[]).map((m) => scrubbed(m, userId, now)));
    if (snapshot !== report.snapshot) await trx.updateTable('reports').set({ snapshot }).where('id', '=', report.id).execute();
  }
}

function scrubbed(message: PlatformMessage, userId: string, now: string): PlatformMessage {
  if (message.senderId === userId) {
    const { data: _d, attachment: _a, reactions: _r, masked: _m, original: _o, ...kept } = message;
    return { ...kept, message: '', deletedAt: message.deletedAt ?? now };
  }
  if (!message.reactions) return message;
  const { reactions, ...rest } = message;
  const left = Object.entries(reactions)
    .map(([emoji, users]) => [emoji, users.filter((u) => u !== userId)] as const)
    .filter(([, users]) => users.length > 0);
  return left.length > 0 ? { ...message, reactions: Object.fromEntries(left) } : rest;
}

/** Read marks, unread candidates, last-seen time and blocks (made or received). */
async function forgetMarks(trx: Trx, namespace: string, userId: string): Promise<void> {
  await trx.deleteFrom('room_reads').where('user_id', '=', userId).where('room_id', 'in', roomsOf(trx, namespace, userId)).execute();
  await trx.deleteFrom('unread_candidates').where('namespace', '=', namespace).where('user_id', '=', userId).execute();
  await trx.deleteFrom('user_seen').where('namespace', '=', namespace).where('user_id', '=', userId).execute();
  await trx
    .deleteFrom('blocks')
    .where('namespace', '=', namespace)
    .where((eb) => eb.or([eb('blocker_id', '=', userId), eb('blocked_id', '=', userId)]))
    .execute();
}
