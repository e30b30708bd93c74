import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisPresence } from '../presence/redis-presence.js';
import type { ScaleOut } from './scale-out.js';

/**
 * Many nodes: the Redis streams adapter (it survives Redis blips and supports connection state
 * recovery) carries broadcasts; presence counts live in Redis.
 */
export async function createRedisScaleOut(
  url: string,
  options: { nodeId: string; ttlSeconds: number; log: Logger },
): Promise<ScaleOut> {
  const log = options.log.child({ module: 'redis' });
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis error'));
  await redis.connect();
  const presence = new RedisPresence(redis, { nodeId: options.nodeId, ttlSeconds: options.ttlSeconds, logger: log });
  return {
    presence,
    attach: (io) => {
      io.adapter(createAdapter(redis));
    },
    ping: async () => {
      await redis.ping();
    },
    close: async () => {
      await presence.close().catch((err: unknown) => log.warn({ err }, 'presence cleanup failed'));
      redis.disconnect();
    },
  };
}
