import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { RedisPresence } from '../presence/redis-presence.js';
import type { ScaleOut } from './scale-out.js';

export interface RedisScaleOutOptions {
  nodeId: string;
  ttlSeconds: number;
  /** Prefix of every key and channel (config `redisKeyPrefix`). */
  keyPrefix: string;
  /** The broadcast stream keeps about this many entries (config `redisStreamMaxLen`). */
  streamMaxLen: number;
  log: Logger;
}

/**
 * During an outage ioredis tries to reconnect every half second and keeps the commands issued meanwhile in a
 * queue, which it fails all at once after every fourth failed attempt: a command waits at most ~2 s for Redis
 * to come back, then fails (→ `internal`) instead of hanging. Failed commands are dropped, not sent later,
 * which keeps presence self-healing simple (the heartbeat compares what Redis holds with what the node has).
 */
const connectionOptions: RedisOptions = {
  maxRetriesPerRequest: 3,
  retryStrategy: () => 500,
  connectTimeout: 5000,
};

/** Logs the moment a connection is lost and the moment it is back, not every failed reconnection attempt. */
function watch(client: Redis, name: string, log: Logger): void {
  let lost = false;
  client.on('error', (err: Error) => {
    if (lost) return;
    lost = true;
    log.warn({ err: err.message, connection: name }, 'redis unreachable; reconnecting');
  });
  client.on('ready', () => {
    if (!lost) return;
    lost = false;
    log.warn({ connection: name }, 'redis reachable again');
  });
}

async function quit(client: Redis): Promise<void> {
  if (client.status !== 'ready') return client.disconnect();
  const timer = setTimeout(() => client.disconnect(), 1000);
  await client.quit().catch(() => {});
  clearTimeout(timer);
}

/**
 * Many nodes: the Redis streams adapter carries broadcasts (it survives Redis blips and supports
 * connection state recovery, see docs/scaling.md); presence counts live in Redis.
 * Two connections of our own: presence, per-user rate budgets and health on one, the adapter's publishing on the other (the
 * adapter opens two more: one reading the stream, one subscribed for its request/response traffic).
 */
export async function createRedisScaleOut(url: string, options: RedisScaleOutOptions): Promise<ScaleOut> {
  const log = options.log.child({ module: 'redis' });
  const redis = new Redis(url, { ...connectionOptions, lazyConnect: true });
  watch(redis, 'presence', log);
  await redis.connect().catch((err: unknown) => {
    redis.disconnect(); // else it keeps reconnecting in the background of a process that failed to start
    throw new Error(`cannot reach Redis (REDIS_URL): ${err instanceof Error ? err.message : String(err)}`);
  });
  const presence = new RedisPresence(redis, {
    nodeId: options.nodeId,
    ttlSeconds: options.ttlSeconds,
    keyPrefix: `${options.keyPrefix}{presence}:`,
    logger: log,
  });
  // Not lazy: the adapter then never calls connect() on its copies, whose rejection nothing would catch.
  const publisher = redis.duplicate({ lazyConnect: false });
  watch(publisher, 'adapter', log);
  return {
    presence,
    attach: (io) => {
      io.adapter(
        createAdapter(publisher, {
          streamName: `${options.keyPrefix}stream`,
          sessionKeyPrefix: `${options.keyPrefix}session:`,
          channelPrefix: `${options.keyPrefix}sio`,
          maxLen: options.streamMaxLen,
        }),
      );
    },
    budgets: { redis, keyPrefix: options.keyPrefix },
    readiness: {
      redis: async () => {
        if (redis.status !== 'ready' || publisher.status !== 'ready') throw new Error('redis is unreachable');
        await redis.ping();
      },
    },
    close: async () => {
      await presence.close().catch((err: unknown) => log.warn({ err }, 'presence cleanup failed'));
      // QUIT, not a hard disconnect: sessions saved and broadcasts sent while closing still reach Redis.
      await Promise.all([publisher, redis].map(quit));
    },
  };
}
