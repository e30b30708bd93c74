import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Clock } from '../services/clock.js';
import type { PresenceService } from '../services/presence-service.js';
import type { ChatStore } from '../store/chat-store.js';
import type { Delivery } from '../store/platform-repository.js';
import { WebhookDispatcher } from './dispatcher.js';
import { WebhookSender, type Sender } from './sender.js';
import { senderThreadAvailable } from './sender-thread-spawn.js';
import { ThreadedSender } from './threaded-sender.js';
import { webhookMetrics } from './webhook-metrics.js';
import type { Metrics } from '../metrics/metrics.js';

/** The node's webhook machinery; inert when no URL is configured. */
export interface Webhooks {
  start(): void;
  nudge(): void;
  /** A failed delivery attempted once, now (`retried`); a delivery in another state is left as it is. */
  retryNow(id: string): Promise<{ delivery: Delivery; retried: boolean } | undefined>;
  close(): Promise<void>;
}

export function createWebhooks(
  config: Config,
  deps: { store: ChatStore; presence: PresenceService; clock: Clock; log: Logger; metrics: Metrics },
): Webhooks {
  if (config.webhookUrls.length === 0 || !config.webhookSecret) {
    return {
      start: () => {},
      nudge: () => {},
      // Deliveries recorded while webhooks were on can still be retried by hand once they are on again.
      retryNow: async (id) => {
        const delivery = await deps.store.platform.deliveries.get(id);
        return delivery && { delivery, retried: false };
      },
      close: async () => {},
    };
  }
  return new WebhookDispatcher(
    {
      deliveries: deps.store.platform.deliveries,
      unread: deps.store.platform.unread,
      sender: createSender(config, deps.log),
      online: (namespace, userId) => deps.presence.isOnline(namespace, userId),
      clock: deps.clock,
      log: deps.log.child({ module: 'webhooks' }),
      onAttempt: webhookMetrics(deps.metrics.registry),
    },
    { ...dispatchOptions(config), deliver: config.webhookDeliver },
  );
}

export function dispatchOptions(config: Config) {
  return {
    urls: config.webhookUrls,
    pollMs: config.webhookPollMs,
    timeoutMs: config.webhookTimeoutMs,
    retryBaseMs: config.webhookRetryBaseMs,
    unreadDelayMs: config.unreadNotifyDelayMs,
  };
}

/** The sender the configuration asks for (webhookSecret set). */
export function createSender(config: Config, log: Logger): Sender {
  const secret = config.webhookSecret!;
  if (!config.webhookSenderThread) return new WebhookSender(secret, config.webhookTimeoutMs);
  if (!senderThreadAvailable()) {
    log.info('webhook attempts run on the event loop: the sender thread needs the build (npm run build)');
    return new WebhookSender(secret, config.webhookTimeoutMs);
  }
  return new ThreadedSender(secret, config.webhookTimeoutMs, log.child({ module: 'webhook-sender' }));
}
