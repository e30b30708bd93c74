import SQLite from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import pino from 'pino';
import { openDeliveryStore } from '../src/webhooks/standalone.js';
import type { ClaimedDelivery, ClaimQuery } from '../src/store/platform-repository.js';
import { hooked } from './support/webhook-app.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

const at = (ms: number) => new Date(Date.now() + ms).toISOString();
const byRoom = (claimed: ClaimedDelivery[]) => {
  const rooms = new Map<string, string[]>();
  for (const d of claimed) rooms.set(d.orderKey, [...(rooms.get(d.orderKey) ?? []), d.id]);
  return rooms;
};

describe('webhook claims: each room in order, bounded per pass (§11)', () => {
  it("claims the oldest rooms' first deliveries and a prefix of what follows each, never more than maxRows beyond the heads", async () => {
    const receiver = await WebhookReceiver.start();
    // Recorded only: this test is the dispatcher.
    const t = await hooked(receiver, { webhookDeliver: false });
    for (const room of ['a', 'b', 'c']) {
      await t.api.putRoom('customer', room, { customerID: `c-${room}`, vendorID: 'v1' });
      for (let i = 0; i < 4; i++) await t.api.postMessage('customer', room, { message: `${room}${i}` });
    }
    // A dispatcher's store (on SQLite it derives the messages' events first).
    const store = await openDeliveryStore(t.app.config, pino({ level: 'silent' }));
    onTestFinished(() => store.close());
    await store.platform.deliveries.collect(1000);
    const deliveries = store.platform.deliveries;
    const urls = t.app.config.webhookUrls;
    const claim = (q: Partial<ClaimQuery>) =>
      deliveries.claimDue({ now: at(0), leaseUntil: at(60_000), rooms: 100, urls, perRoom: 50, maxRows: 1000, ...q });

    // What each room has pending, in order (claimed once leases no longer count: `now` past them).
    const all = byRoom(await deliveries.claimDue({ now: at(120_000), leaseUntil: at(120_001), rooms: 100, urls, perRoom: 50, maxRows: 1000 }));
    expect([...all.values()].map((ids) => ids.length)).toEqual([5, 5, 5]);
    for (const ids of all.values()) expect(ids).toEqual([...ids].sort());
    const [a, b, c] = [...all.values()];
    const later = at(120_002);

    // Two rooms, three each: the oldest rooms, their first three.
    const first = await deliveries.claimDue({ now: later, leaseUntil: at(200_000), rooms: 2, urls, perRoom: 3, maxRows: 1000 });
    expect([...byRoom(first).values()]).toEqual([a!.slice(0, 3), b!.slice(0, 3)]);
    // The rooms whose first delivery is leased are out; the third room: its head and maxRows more.
    const second = await deliveries.claimDue({ now: later, leaseUntil: at(200_000), rooms: 100, urls, perRoom: 50, maxRows: 2 });
    expect([...byRoom(second).values()]).toEqual([c!.slice(0, 3)]);
    // Delivered and given back as a failed run would: room a resumes after its delivered ones.
    // One call, each success with its own status and time.
    await deliveries.delivered([{ id: first[0]!.id, status: 204, at: later }, { id: first[1]!.id, status: 200, at: at(120_003) }]);
    expect(await deliveries.get(first[0]!.id)).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 204, nextAttemptAt: null });
    expect(await deliveries.get(first[1]!.id)).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200, nextAttemptAt: null });
    expect(await deliveries.get(first[2]!.id)).toMatchObject({ status: 'pending', attempts: 0 });
    await deliveries.release([first[2]!.id]);
    const third = await deliveries.claimDue({ now: later, leaseUntil: at(200_000), rooms: 100, urls, perRoom: 50, maxRows: 1000 });
    expect([...byRoom(third).values()]).toEqual([a!.slice(2)]);
    expect(await claim({ now: later })).toEqual([]);
  });

  it.skipIf(process.env.PARLEY_TEST_DATABASE === 'postgres')(
    'on SQLite, gives back the rest of a room whose first delivery another dispatcher leased between read and lease',
    async () => {
      const receiver = await WebhookReceiver.start();
      const t = await hooked(receiver, { webhookDeliver: false });
      for (const room of ['a', 'b']) {
        await t.api.putRoom('customer', room, { customerID: `c-${room}`, vendorID: 'v1' });
        for (let i = 0; i < 2; i++) await t.api.postMessage('customer', room, { message: `${room}${i}` });
      }
      const store = await openDeliveryStore(t.app.config, pino({ level: 'silent' }));
      onTestFinished(() => store.close());
      await store.platform.deliveries.collect(1000);
      // Another dispatcher's connection, holding the write lock while this one reads its candidates.
      const other = new SQLite(t.app.config.databaseUrl.slice('sqlite:'.length));
      onTestFinished(() => {
        other.close();
      });
      const rows = other.prepare("select id, order_key from webhook_deliveries where status = 'pending' order by id").all() as { id: string; order_key: string }[];
      const keys = [...new Set(rows.map((r) => r.order_key))]; // room a was opened first
      const [a, b] = keys.map((key) => rows.filter((r) => r.order_key === key).map((r) => r.id));
      expect(a).toHaveLength(3);
      other.exec('BEGIN IMMEDIATE');
      const claiming = store.platform.deliveries.claimDue({ now: at(0), leaseUntil: at(60_000), rooms: 10, urls: t.app.config.webhookUrls, perRoom: 10, maxRows: 100 });
      // The candidates are read (both rooms); the lease waits for the lock, which the other takes room a's head with.
      other.prepare('update webhook_deliveries set lease_until = ? where id = ?').run(at(60_000), a![0]);
      other.exec('COMMIT');
      const claimed = await claiming;
      expect(claimed.map((d) => d.id)).toEqual(b);
      const leased = other.prepare('select id from webhook_deliveries where lease_until is not null order by id').all() as { id: string }[];
      expect(leased.map((r) => r.id)).toEqual([a![0], ...b!].sort());
    },
  );
});
