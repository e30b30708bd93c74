import pino from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { createSender } from '../src/webhooks/create-webhooks.js';
import { WebhookSender } from '../src/webhooks/sender.js';
import { SENDER_THREAD_NICE, ThreadedSender } from '../src/webhooks/threaded-sender.js';
import { niceByThread } from './support/thread-nice.js';
import { TEST_WEBHOOK_SECRET, WebhookReceiver } from './support/webhook-receiver.js';

const log = pino({ level: 'silent' });

function threaded(timeoutMs = 1000): ThreadedSender {
  const sender = new ThreadedSender(TEST_WEBHOOK_SECRET, timeoutMs, log);
  onTestFinished(() => sender.close());
  return sender;
}

describe('webhook sender thread', () => {
  it('sends signed attempts from its thread, many at once, each with its own result', async () => {
    const receiver = await WebhookReceiver.start();
    receiver.answer = (hook) => (hook.id.endsWith('-bad') ? 500 : 204);
    const sender = threaded();
    const stop = new AbortController();
    const at = new Date();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => sender.send(receiver.url, `msg_${i}${i % 10 === 3 ? '-bad' : ''}`, at, JSON.stringify({ type: 't', i }), stop.signal)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(36);
    expect(results[3]).toEqual({ ok: false, status: 500, error: 'HTTP 500' });
    expect(results[4]).toEqual({ ok: true, status: 204, error: null });
    for (const hook of receiver.received) expect(receiver.verify(hook)).toEqual(JSON.parse(hook.raw));
    expect(new Set(receiver.received.map((h) => h.id)).size).toBe(40);
  });

  it(`runs below the chat: its thread has nice ${SENDER_THREAD_NICE}, the others keep the process priority`, async () => {
    if (process.platform !== 'linux') return;
    const receiver = await WebhookReceiver.start();
    const sender = threaded();
    expect(await sender.send(receiver.url, 'msg_nice', new Date(), '{}', new AbortController().signal)).toMatchObject({ ok: true });
    const nice = niceByThread();
    expect([...nice.values()].filter((n) => n === SENDER_THREAD_NICE).length).toBeGreaterThanOrEqual(1);
    expect(nice.get(String(process.pid))).toBe(0);
  });

  it('a hanging endpoint fails at the timeout, and stopping answers every attempt in flight at once', async () => {
    const receiver = await WebhookReceiver.start();
    receiver.answer = () => 'hang';
    const sender = threaded(300);
    const first = await sender.send(receiver.url, 'msg_slow', new Date(), '{}', new AbortController().signal);
    expect(first).toEqual({ ok: false, status: null, error: 'no answer within 300 ms' });

    const slow = threaded(60_000);
    const stop = new AbortController();
    const pending = Promise.all([1, 2, 3].map((i) => slow.send(receiver.url, `msg_${i}`, new Date(), '{}', stop.signal)));
    await receiver.until((all) => all.length >= 4);
    stop.abort();
    expect((await pending).map((r) => r.error)).toEqual(['stopping', 'stopping', 'stopping']);
    expect(await slow.send(receiver.url, 'msg_late', new Date(), '{}', stop.signal)).toMatchObject({ ok: false, error: 'stopping' });
  });

  it('a thread that dies fails its attempts in flight, and the next attempt starts a new one', async () => {
    const receiver = await WebhookReceiver.start();
    receiver.answer = (hook) => (hook.id === 'msg_hang' ? 'hang' : 204);
    const sender = threaded(60_000);
    const stop = new AbortController().signal;
    const inFlight = sender.send(receiver.url, 'msg_hang', new Date(), '{}', stop);
    await receiver.until((all) => all.length === 1);
    // A fault: the thread ends under the dispatcher (a crash, an out-of-memory kill of the thread).
    await (sender as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    expect(await inFlight).toMatchObject({ ok: false, status: null, error: expect.stringContaining('webhook sender thread exited') });
    // Not a new thread per attempt while it keeps dying: a pause first (the attempts are retried on schedule).
    expect(await sender.send(receiver.url, 'msg_soon', new Date(), '{}', stop)).toMatchObject({ ok: false, error: 'webhook sender thread restarting' });
    await expect
      .poll(() => sender.send(receiver.url, `msg_after_${Date.now()}`, new Date(), '{}', stop), { timeout: 5000, interval: 200 })
      .toEqual({ ok: true, status: 204, error: null });
  });

  it('is the default; WEBHOOK_SENDER_THREAD=false sends from the event loop', () => {
    const base = { WEBHOOK_URLS: 'http://127.0.0.1:9/hooks', WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, NODE_ENV: 'test' };
    const onThread = createSender(loadConfig({ env: base }), log);
    const inline = createSender(loadConfig({ env: { ...base, WEBHOOK_SENDER_THREAD: 'false' } }), log);
    onTestFinished(() => [onThread, inline].forEach((s) => s.close()));
    expect(onThread).toBeInstanceOf(ThreadedSender);
    expect(inline).toBeInstanceOf(WebhookSender);
  });
});
