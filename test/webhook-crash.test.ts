import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MessageLoad, openRooms } from './support/message-load.js';
import { startServer, writeConfig } from './support/server-process.js';
import { tempDir } from './support/test-app.js';
import { TEST_WEBHOOK_SECRET, WebhookReceiver } from './support/webhook-receiver.js';

describe('webhook outbox under SIGKILL', () => {
  it('every acknowledged message has its message.created after a SIGKILL and a restart on the same file', async () => {
    const receiver = await WebhookReceiver.start();
    // Before the crash the endpoint is flaky (every other request fails), so the outbox holds a backlog.
    let n = 0;
    receiver.answer = () => (n++ % 2 === 0 ? 204 : 500);
    const dir = tempDir();
    const dbPath = join(dir, 'crash.db');
    const config = writeConfig(dir, {
      webhookUrls: [receiver.url],
      webhookSecret: TEST_WEBHOOK_SECRET,
      webhookRetryBaseMs: 50,
      webhookPollMs: 50,
      webhookTimeoutMs: 500,
    });
    const first = await startServer(dbPath, config);
    const load = new MessageLoad(await openRooms(first, 2)).start();
    await load.whenAcked(300);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await load.stop();
    const acked = load.with('acked');
    expect(acked.length).toBeGreaterThanOrEqual(300);

    receiver.answer = () => 204;
    await startServer(dbPath, config);
    const delivered = (all: typeof receiver.received) =>
      new Set(all.filter((h) => h.answer === 204 && h.body.type === 'message.created').map((h) => h.body.data.message.clientMsgId));
    await receiver.until((all) => {
      const seen = delivered(all);
      return acked.every((s) => seen.has(s.clientMsgId));
    }, 30_000);
    const byId = new Map(
      receiver.ofType('message.created').map((h) => [h.body.data.message.clientMsgId, h.body.data.message._id] as const),
    );
    for (const sent of acked) expect(byId.get(sent.clientMsgId)).toBe(sent.messageId);
    for (const hook of receiver.received.slice(-5)) expect(receiver.verify(hook)).toBeTruthy();
  }, 90_000);
});
