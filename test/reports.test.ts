import { describe, expect, it, onTestFinished } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { activeRoom, chat, createTestApp, type TestApp } from './support/test-app.js';

async function storeOf(t: TestApp) {
  const store = await openStore({ databaseUrl: t.databaseUrl, sqliteSynchronous: 'NORMAL' });
  onTestFinished(() => store.close());
  return store;
}

describe('report (§13)', () => {
  it('stores the report with a snapshot of the room’s last 20 messages up to the reported one', async () => {
    const { t, c, v, room } = await chat();
    const sent = [];
    for (let i = 0; i < 25; i += 1) sent.push((await (i % 2 ? v : c).request('message', { roomToken: 'tok', message: `m${i}` })).data.message);
    const reported = sent[22]!;
    const ack = await c.request('report', { roomToken: 'tok', messageId: reported._id, reason: 'asks to pay outside' });
    expect(ack).toEqual({ success: true, data: { report: { id: expect.stringMatching(/^[0-9A-Z]{26}$/) } } });
    const [report] = await (await storeOf(t)).moderation.reports.list('open', 10);
    expect(report).toMatchObject({
      id: ack.data.report.id,
      namespace: 'customer',
      roomToken: 'tok',
      room_id: room._id,
      reporterId: 'c1',
      reportedUserId: 'v1',
      messageId: reported._id,
      reason: 'asks to pay outside',
      status: 'open',
      resolution: null,
    });
    expect(report!.snapshot.map((m) => m.message)).toEqual(sent.slice(3, 23).map((m) => m.message));
    // Whole room (no messageId): the latest 20, reporting the counterpart.
    const whole = await v.request('report', { roomToken: 'tok', reason: 'spam' });
    const stored = await (await storeOf(t)).moderation.reports.find(whole.data.report.id);
    expect(stored).toMatchObject({ reportedUserId: 'c1', messageId: null });
    expect(stored!.snapshot.at(-1)!._id).toBe(sent[24]!._id);
    expect(stored!.snapshot).toHaveLength(20);
  });

  it('keeps the original text of masked messages in the snapshot, for moderators only', async () => {
    const t = await createTestApp({ contactMasking: 'mask' });
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const sent = (await v.request('message', { roomToken: 'tok', message: 'pay me at a@b.co' })).data.message;
    const ack = await c.request('report', { roomToken: 'tok', messageId: sent._id, reason: 'off-platform payment' });
    const report = await (await storeOf(t)).moderation.reports.find(ack.data.report.id);
    expect(report!.snapshot).toEqual([{ ...sent, original: 'pay me at a@b.co' }]);
  });

  it('refuses strangers, messages of other rooms and bad reasons; stores nothing then', async () => {
    const { t, c } = await chat();
    const s = await t.connect('stranger');
    expect((await s.request('report', { roomToken: 'tok', reason: 'x' })).error.code).toBe('forbidden');
    expect((await c.request('report', { roomToken: 'nope', reason: 'x' })).error.code).toBe('not_found');
    expect((await c.request('report', { roomToken: 'tok', messageId: '01ZZZZZZZZZZZZZZZZZZZZZZZZ', reason: 'x' })).error.code).toBe('not_found');
    for (const reason of ['', '   ', 'x'.repeat(501), 42]) {
      expect((await c.request('report', { roomToken: 'tok', reason })).error.code).toBe('invalid_payload');
    }
    expect((await c.request('report', { roomToken: 'tok', reason: 'x'.repeat(500) })).success).toBe(true);
    expect(await (await storeOf(t)).moderation.reports.list(undefined, 100)).toHaveLength(1);
  });
});
