import { describe, expect, it } from 'vitest';
import { platformApp } from './support/platform.js';
import { activeRoom } from './support/test-app.js';
import { TEST_WEBHOOK_SECRET, WebhookReceiver } from './support/webhook-receiver.js';

async function reportedChat(overrides: Record<string, unknown> = {}) {
  const t = await platformApp(overrides);
  const c = await t.connect('c1');
  const v = await t.connect('v1');
  await activeRoom(c, v, 'c1', 'v1', 'tok');
  const bad = (await v.request('message', { roomToken: 'tok', message: 'pay me outside' })).data.message;
  const ack = await c.request('report', { roomToken: 'tok', messageId: bad._id, reason: 'off-platform payment' });
  return { t, c, v, bad, id: ack.data.report.id as string };
}

describe('platform report queue (§10, §13)', () => {
  it('lists reports by status, with their snapshot, behind the API key', async () => {
    const { t, bad, id } = await reportedChat();
    expect((await t.raw('GET', 'reports', undefined, null)).status).toBe(401);
    const open = await t.raw('GET', 'reports?status=open');
    expect(open.status).toBe(200);
    expect(open.body.data.reports).toHaveLength(1);
    expect(open.body.data.reports[0]).toMatchObject({ id, status: 'open', reporterId: 'c1', reportedUserId: 'v1', messageId: bad._id });
    expect(open.body.data.reports[0].snapshot.at(-1)).toEqual(bad);
    expect((await t.raw('GET', 'reports?status=resolved')).body.data.reports).toEqual([]);
    expect((await t.raw('GET', 'reports?status=nope')).status).toBe(400);
    expect((await t.raw('GET', 'reports?limit=abc')).status).toBe(400);
    expect((await t.raw('GET', 'reports?limit=0')).body.data.reports).toHaveLength(1);
    const openapi = await (await fetch(`${t.url}/docs/json`)).json();
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/platform/reports', '/v1/platform/reports/{id}/resolve']));
  });

  it('dismiss resolves; a second resolve answers with the first resolution', async () => {
    const { t, id } = await reportedChat();
    const res = await t.raw('POST', `reports/${id}/resolve`, { action: 'dismiss', note: 'fine' });
    expect(res.status).toBe(200);
    expect(res.body.data.report).toMatchObject({ id, status: 'resolved', resolution: { action: 'dismiss', note: 'fine' } });
    const again = await t.raw('POST', `reports/${id}/resolve`, { action: 'ban-user' });
    expect(again.body.data.report.resolution.action).toBe('dismiss');
    // The typed server-side client sees the same.
    expect((await t.api.reports({ status: 'resolved' })).map((r) => r.id)).toEqual([id]);
    expect((await t.api.resolveReport(id, { action: 'dismiss' })).status).toBe('resolved');
    expect((await t.raw('GET', 'reports?status=open')).body.data.reports).toEqual([]);
    expect((await t.raw('POST', 'reports/01ZZZZZZZZZZZZZZZZZZZZZZZZ/resolve', { action: 'dismiss' })).status).toBe(404);
    expect((await t.raw('POST', `reports/${id}/resolve`, { action: 'shrug' })).status).toBe(400);
  });

  it('delete-message tombstones the reported message and tells both members', async () => {
    const { t, c, v, bad, id } = await reportedChat();
    const res = await t.raw('POST', `reports/${id}/resolve`, { action: 'delete-message' });
    expect(res.body.data.report.resolution.action).toBe('delete-message');
    const tombstone = await c.waitFor('message-updated', (m) => m._id === bad._id);
    expect(tombstone).toMatchObject({ _id: bad._id, message: '', deletedAt: expect.any(String) });
    expect(await v.waitFor('message-updated', (m) => m._id === bad._id)).toEqual(tombstone);
  });

  it('ban-user bans the reported user', async () => {
    const { t, v, id } = await reportedChat();
    const res = await t.raw('POST', `reports/${id}/resolve`, { action: 'ban-user', note: 'scam' });
    expect(res.status).toBe(200);
    expect(await v.waitForPrivate('banned')).toMatchObject({ success: false, error: { code: 'forbidden' } });
    const refused = t.open('customer', { query: { userId: 'v1' } });
    expect((await refused.connectError()).data.code).toBe('forbidden');
  });

  it('sends report.created and message.updated webhooks (with original for masked messages)', async () => {
    const receiver = await WebhookReceiver.start();
    const t = await platformApp({
      webhookUrls: [receiver.url],
      webhookSecret: TEST_WEBHOOK_SECRET,
      webhookRetryBaseMs: 50,
      webhookPollMs: 50,
      contactMasking: 'mask',
    });
    const c = await t.connect('c1');
    const v = await t.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const sent = (await v.request('message', { roomToken: 'tok', message: 'mail me: a@b.co' })).data.message;
    expect((await receiver.waitFor('message.created')).body.data.message).toEqual({ ...sent, original: 'mail me: a@b.co' });
    const edited = (await v.request('edit-message', { roomToken: 'tok', messageId: sent._id, message: 'call 555 123 4567' })).data.message;
    const updated = await receiver.waitFor('message.updated');
    expect(updated.body.data).toEqual({ namespace: 'customer', message: { ...edited, original: 'call 555 123 4567' } });
    const ack = await c.request('report', { roomToken: 'tok', messageId: sent._id, reason: 'contact' });
    const created = await receiver.waitFor('report.created');
    expect(created.body.data.namespace).toBe('customer');
    expect(created.body.data.report).toMatchObject({ id: ack.data.report.id, reason: 'contact', status: 'open' });
    expect(created.body.data.report.snapshot.at(-1).original).toBe('call 555 123 4567');
    // The platform's history shows originals too; members never do.
    const history = await t.raw('GET', 'rooms/customer/tok/messages');
    expect(history.body.data.messages[0].original).toBe('call 555 123 4567');
    const member = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(JSON.stringify(member)).not.toContain('555');
  });
});
