/** Tables of the platform API and webhooks (migration 0004). */

/** The outbox: one row per event, written in the transaction of the change it reports. */
export interface WebhookEventsTable {
  /** ULID: event order. */
  id: string;
  type: string;
  namespace: string;
  /** JSON `{ type, timestamp, data }`: the body every URL receives. */
  payload: string;
  created_at: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One per event and URL; its id is the `webhook-id` header, the same on every retry. */
export interface WebhookDeliveriesTable {
  /** ULID, in event order: per-room order compares these ids. */
  id: string;
  event_id: string;
  url: string;
  /** `<namespace>/<roomToken>` or '' (events of no room): deliveries of one key and URL go in id order. */
  order_key: string;
  status: DeliveryStatus;
  attempts: number;
  /** ISO times (fixed width, so text order is time order on both backends). */
  next_attempt_at: string;
  lease_until: string | null;
  first_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
}

/** A receiver with a message it has not read yet: evaluated for `message.unread` once `due_at` passes. */
export interface UnreadCandidatesTable {
  namespace: string;
  room_id: string;
  user_id: string;
  room_token: string;
  first_unread_id: string;
  due_at: string;
  /**
   * 0: waiting until due_at; 1: `message.unread` went out (no other until the read mark passes
   * first_unread_id); 2: idle (everything read), re-armed by the next message.
   */
  notified: number;
}

export interface BansTable {
  namespace: string;
  user_id: string;
  reason: string | null;
  /** ISO time, or null: until lifted. */
  until: string | null;
  created_at: string;
}

/** SQLite: the messages whose events are derived (ids up to last_id; webhooks off: an open gap). */
export interface WebhookFeedTable {
  name: string;
  last_id: string;
}

/** Messages written while webhooks were off: ids in (from_id, to_id], to_id null while still off. */
export interface WebhookFeedGapsTable {
  from_id: string;
  to_id: string | null;
}

export interface PlatformTables {
  webhook_feed: WebhookFeedTable;
  webhook_feed_gaps: WebhookFeedGapsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  unread_candidates: UnreadCandidatesTable;
  bans: BansTable;
}
