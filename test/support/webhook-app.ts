import type { ConfigInput } from '../../src/config/schema.js';
import type { Clock } from '../../src/services/clock.js';
import { platformApp } from './platform.js';
import { TEST_WEBHOOK_SECRET, type WebhookReceiver } from './webhook-receiver.js';

/** A platform test app whose webhooks go to `receiver`, with fast retries and polling. */
export function hooked(receiver: WebhookReceiver, extra: Partial<ConfigInput> = {}, clock?: Clock) {
  return platformApp(
    {
      webhookUrls: [receiver.url],
      webhookSecret: TEST_WEBHOOK_SECRET,
      webhookRetryBaseMs: 50,
      webhookPollMs: 50,
      webhookTimeoutMs: 1000,
      ...extra,
    },
    clock ? { clock } : {},
  );
}

/** Real time plus an offset the test moves forward. */
export function fakeClock() {
  const clock = { offset: 0, now: () => Date.now() + clock.offset };
  return clock;
}
