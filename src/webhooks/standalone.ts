import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/load-config.js';
import { Metrics } from '../metrics/metrics.js';
import { systemClock, type Clock } from '../services/clock.js';
import { createIdGenerator } from '../services/ids.js';
import type { ChatStore } from '../store/chat-store.js';
import { openStore } from '../store/open-store.js';
import { createSender, dispatchOptions } from './create-webhooks.js';
import { WebhookDispatcher } from './dispatcher.js';
import { Outbox } from './outbox.js';
import { webhookMetrics } from './webhook-metrics.js';

export interface StandaloneDispatcher {
  readonly metrics: Metrics;
  close(): Promise<void>;
}

/**
 * A dispatcher without a chat server (`npm run dispatcher`): it delivers what the chat nodes record, from
 * the same database, so webhooks take no CPU from the cores that serve sockets. `message.unread` stays
 * with the chat nodes: deciding it needs their presence (its candidates are derived here, on SQLite).
 */
export async function startStandaloneDispatcher(config: Config, log: Logger, clock: Clock = systemClock): Promise<StandaloneDispatcher> {
  if (config.webhookUrls.length === 0 || !config.webhookSecret) {
    throw new ConfigError('config: a dispatcher needs webhookUrls (WEBHOOK_URLS) and webhookSecret (WEBHOOK_SECRET)');
  }
  const store = await openDeliveryStore(config, log, clock);
  const metrics = new Metrics();
  const dispatcher = new WebhookDispatcher(
    {
      deliveries: store.platform.deliveries,
      unread: store.platform.unread,
      sender: createSender(config, log),
      online: async () => false,
      clock,
      log: log.child({ module: 'webhooks' }),
      onAttempt: webhookMetrics(metrics.registry),
    },
    { ...dispatchOptions(config), deliver: true, evaluateUnread: false },
  );
  dispatcher.start();
  return {
    metrics,
    async close() {
      await dispatcher.close();
      await store.close();
    },
  };
}

/**
 * The store as a process that delivers but serves no chat opens it: with the outbox's rules, for what the store
 * derives there (on SQLite, the messages' events and unread candidates; see SqliteMessageFeed).
 */
export function openDeliveryStore(config: Config, log: Logger, clock: Clock = systemClock): Promise<ChatStore> {
  const hooks = new Outbox({ urls: config.webhookUrls, unreadDelayMs: config.unreadNotifyDelayMs, ids: createIdGenerator(clock), clock });
  return openStore({ databaseUrl: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous, log: log.child({ module: 'store' }), hooks });
}
