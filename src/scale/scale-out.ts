import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import type { Config } from '../config/schema.js';
import type { SharedBudgets } from '../limits/token-bucket-gate.js';
import { LocalPresence } from '../presence/local-presence.js';
import type { PresenceRegistry } from '../presence/presence-registry.js';

/** What differs between one node and many: presence, the Socket.IO adapter, and their health. */
export interface ScaleOut {
  readonly presence: PresenceRegistry;
  /** Installs the cross-node adapter on the Socket.IO server (no-op on a single node). */
  attach(io: Server): void;
  /** Readiness probes of what the cross-node machinery depends on, by name (none on a single node). */
  readonly readiness: Readonly<Record<string, () => Promise<void>>>;
  /** Where per-user rate budgets are shared between nodes (none on a single node). */
  readonly budgets?: SharedBudgets;
  close(): Promise<void>;
}

export async function createScaleOut(config: Config, nodeId: string, log: Logger): Promise<ScaleOut> {
  if (config.redisUrl === undefined) {
    const presence = new LocalPresence();
    return { presence, attach: () => {}, readiness: {}, close: () => presence.close() };
  }
  const { createRedisScaleOut } = await import('./redis-scale-out.js');
  return createRedisScaleOut(config.redisUrl, {
    nodeId,
    ttlSeconds: config.presenceTtlSeconds,
    keyPrefix: config.redisKeyPrefix,
    streamMaxLen: config.redisStreamMaxLen,
    log,
  });
}
