import { decodeTime, incrementBase32, ulid } from 'ulid';
import type { StoredMessage } from './chat-store.js';

/**
 * Makes the batch's ids strictly increasing and greater than `floor` (the greatest id already stored for any
 * sender or receiver of the batch, read under the lock the write transaction holds), so ids commit in order:
 * whoever has seen a message has seen every smaller id of its sender and receiver. A message whose id is
 * not above that is given a new one (and the `dt` of the new id); ids from one node's clock normally are.
 * The given objects are updated in place: the caller reads the final `_id`/`dt` from them.
 */
export function orderAbove(messages: StoredMessage[], floor: string): void {
  let last = floor;
  let lastIsOurs = false;
  for (const m of messages) {
    if (m._id <= last) {
      // Past one of our own ids: the next one (its random part is ours). Past another writer's: a fresh
      // id one millisecond later, so two writers pushed past the same floor do not pick the same id.
      m._id = lastIsOurs ? incrementBase32(last) : ulid(decodeTime(last) + 1);
      m.dt = new Date(decodeTime(m._id)).toISOString();
    }
    last = m._id;
    lastIsOurs = true;
  }
}

/** The greatest id (ids are fixed-width ULIDs, so string order is id order); '' for none. */
export function greatest(ids: Iterable<string | null | undefined>): string {
  let max = '';
  for (const id of ids) if (id && id > max) max = id;
  return max;
}
