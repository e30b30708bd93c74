import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { presenceTimings, RedisPresence } from '../src/presence/redis-presence.js';
import { explainSkip, redisUrl } from './support/services.js';

const url = redisUrl();
if (!url) explainSkip('presence-redis', 'TEST_REDIS_URL');

const NS = 'customer';

/** Polls `check` until it holds; fails after `timeoutMs` with `what` in the message. */
async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.skipIf(!url)('RedisPresence against a real Redis', () => {
  let prefix: string;
  let clients: Redis[];
  let registries: RedisPresence[];
  let admin: Redis;

  beforeEach(() => {
    prefix = `parley-test:{${randomUUID()}}:`;
    clients = [];
    registries = [];
    admin = client();
  });

  afterEach(async () => {
    await Promise.all(registries.map((r) => r.close().catch(() => {})));
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    for (const c of clients) c.disconnect();
  });

  function client(): Redis {
    const c = new Redis(url!, { maxRetriesPerRequest: 1 });
    c.on('error', () => {}); // the "dead node" test disconnects on purpose
    clients.push(c);
    return c;
  }

  interface Node {
    presence: RedisPresence;
    redis: Redis;
    expired: string[];
    warnings: string[];
  }

  /** One "node": its own connection, as separate processes would have. */
  function node(nodeId: string, ttlSeconds = 30, expiredLog?: string[]): Node {
    const redis = client();
    const warnings: string[] = [];
    const presence = new RedisPresence(redis, {
      nodeId,
      ttlSeconds,
      keyPrefix: prefix,
      logger: { warn: (_obj, msg) => warnings.push(msg ?? '') },
    });
    const expired = expiredLog ?? [];
    presence.onExpired((ns, userId) => expired.push(`${ns}/${userId}`));
    registries.push(presence);
    return { presence, redis, expired, warnings };
  }

  it('counts devices across nodes: true only for the first and the last socket anywhere', async () => {
    const a = node('a').presence;
    const b = node('b').presence;
    expect((await a.add(NS, 'u1', 's1')).changed).toBe(true);
    expect((await b.add(NS, 'u1', 's2')).changed).toBe(false);
    expect((await a.add(NS, 'u1', 's1')).changed).toBe(false); // the same socket twice is still one socket
    expect((await a.add(NS, 'u1', 's3')).changed).toBe(false);
    expect(await b.socketCount(NS, 'u1')).toBe(3);
    expect((await a.add('artisans', 'u1', 's4')).changed).toBe(true); // namespaces are independent
    expect([...(await b.onlineAmong(NS, ['u1', 'u2', 'u1']))]).toEqual(['u1']);

    expect((await a.remove(NS, 'u1', 's1')).changed).toBe(false);
    expect((await a.remove(NS, 'u1', 's1')).changed).toBe(false); // unknown socket
    expect((await b.remove(NS, 'u1', 'never-added')).changed).toBe(false);
    expect((await a.remove(NS, 'u1', 's3')).changed).toBe(false);
    expect(await a.onlineAmong(NS, ['u1'])).toEqual(new Set(['u1']));
    expect((await b.remove(NS, 'u1', 's2')).changed).toBe(true);
    expect(await a.socketCount(NS, 'u1')).toBe(0);
    expect(await a.onlineAmong(NS, ['u1'])).toEqual(new Set());
    expect(await a.socketCount('artisans', 'u1')).toBe(1);
    expect(await a.onlineAmong(NS, [])).toEqual(new Set());
  });

  it('gives exactly one true when two nodes add, or remove, the same user at once', async () => {
    const a = node('a').presence;
    const b = node('b').presence;
    const users = Array.from({ length: 50 }, (_, i) => `race-${i}`);
    const adds = (await Promise.all(users.flatMap((u) => [a.add(NS, u, `${u}-a`), b.add(NS, u, `${u}-b`)]))).map((t) => t.changed);
    for (let i = 0; i < users.length; i++) expect(adds[2 * i]! !== adds[2 * i + 1]!).toBe(true);
    const removes = (await Promise.all(users.flatMap((u) => [a.remove(NS, u, `${u}-a`), b.remove(NS, u, `${u}-b`)]))).map((t) => t.changed);
    for (let i = 0; i < users.length; i++) expect(removes[2 * i]! !== removes[2 * i + 1]!).toBe(true);
    expect(await a.onlineAmong(NS, users)).toEqual(new Set());
  });

  it('numbers each online/offline change, so a stale change can be told from the latest', async () => {
    const a = node('a').presence;
    const b = node('b').presence;
    const online = await a.add(NS, 'u1', 's1');
    expect(online.changed).toBe(true);
    expect(await b.isCurrent(NS, 'u1', online.version)).toBe(true);
    expect(await b.add(NS, 'u1', 's2')).toEqual({ changed: false, version: 0 }); // a second device changes nothing
    expect(await a.isCurrent(NS, 'u1', online.version)).toBe(true);
    await b.remove(NS, 'u1', 's2');
    const offline = await a.remove(NS, 'u1', 's1');
    expect(offline.changed).toBe(true);
    expect(offline.version).toBeGreaterThan(online.version);
    expect(await a.isCurrent(NS, 'u1', online.version)).toBe(false);
    const back = await b.add(NS, 'u1', 's3'); // a quick reconnect on another node
    expect(await a.isCurrent(NS, 'u1', offline.version)).toBe(false);
    expect(await a.isCurrent(NS, 'u1', back.version)).toBe(true);
    expect(await a.isCurrent(NS, 'nobody', 1)).toBe(false);
  });

  it(
    'expires the users of a dead node on a survivor within ttl (the configured bound), once per user',
    async () => {
      const ttl = 3;
      const { boundMs, keyTtlMs, heartbeatMs } = presenceTimings(ttl);
      expect(boundMs).toBeLessThanOrEqual(ttl * 1000);
      const expired: string[] = []; // shared by both survivors: the sweep must happen on one of them
      const dead = node('dead', ttl);
      node('b', ttl, expired);
      const c = node('c', ttl, expired);
      await dead.presence.add(NS, 'u1', 'd1');
      await dead.presence.add(NS, 'u1', 'd2');
      await dead.presence.add(NS, 'u2', 'd3');
      await dead.presence.add('artisans', 'u2', 'd4');
      await dead.presence.add(NS, 'u3', 'd5');
      await c.presence.add(NS, 'u3', 'c1'); // u3 keeps a socket on a survivor

      dead.redis.disconnect(); // its timers keep running but can reach nothing: it is gone for the others
      const killedAt = Date.now();
      const want = [`${NS}/u1`, `${NS}/u2`, 'artisans/u2'];
      await waitUntil('the expiry of u1 and u2', () => want.every((w) => expired.includes(w)), boundMs + 3000);
      const elapsed = Date.now() - killedAt;

      expect(elapsed).toBeLessThanOrEqual(boundMs + 1000); // slack for timer and CI scheduling jitter
      expect(elapsed).toBeGreaterThan(keyTtlMs - heartbeatMs - 500); // never before the heartbeat can lapse
      // The instance is gone from Redis, so no later sweep can report anyone again.
      await waitUntil('the dead instance to leave the node set', async () => (await admin.scard(`${prefix}nodes`)) === 2, 2000);
      expect([...expired].sort()).toEqual([...want].sort());
      expect(await c.presence.socketCount(NS, 'u1')).toBe(0);
      expect(await c.presence.onlineAmong(NS, ['u1', 'u2', 'u3'])).toEqual(new Set(['u3']));
      expect(await c.presence.socketCount(NS, 'u3')).toBe(1);

      // A Redis outage is logged by the timers, never thrown; method calls reject.
      await waitUntil('a logged heartbeat failure', () => dead.warnings.some((w) => w.includes('heartbeat')), 3000);
      await expect(dead.presence.add(NS, 'u9', 'x')).rejects.toThrow();
    },
    15_000,
  );

  it('close() removes the node’s sockets, reports users left with none, and keeps the client open', async () => {
    const a = node('a');
    const b = node('b');
    await a.presence.add(NS, 'only-a', 'a1');
    await a.presence.add(NS, 'both', 'a2');
    await b.presence.add(NS, 'both', 'b1');

    await a.presence.close();
    await a.presence.close(); // idempotent
    expect(a.expired).toEqual([`${NS}/only-a`]);
    expect(b.expired).toEqual([]);
    expect(await b.presence.onlineAmong(NS, ['only-a', 'both'])).toEqual(new Set(['both']));
    expect(await b.presence.socketCount(NS, 'both')).toBe(1);
    expect(await a.redis.ping()).toBe('PONG'); // the caller owns the client
    const left = await admin.keys(`${prefix}*`);
    expect(left.filter((k) => k.includes(':a:'))).toEqual([]); // no hb:/node: key of the closed instance
    expect(await admin.scard(`${prefix}nodes`)).toBe(1);
    await expect(a.presence.add(NS, 'x', 'y')).rejects.toThrow(/closed/);
    expect((await a.presence.remove(NS, 'both', 'a2')).changed).toBe(false);
    expect((await b.presence.remove(NS, 'both', 'b1')).changed).toBe(true);
  });

  it('re-registers its sockets after Redis lost them (restart without persistence)', async () => {
    const a = node('a', 3);
    await a.presence.add(NS, 'u1', 's1');
    await a.presence.add(NS, 'u2', 's2');
    await a.presence.remove(NS, 'u2', 's2');
    const keys = await admin.keys(`${prefix}*`);
    await admin.del(...keys);
    expect(await a.presence.socketCount(NS, 'u1')).toBe(0);
    await waitUntil('u1 to be re-registered', async () => (await a.presence.socketCount(NS, 'u1')) === 1, 3000);
    expect(await a.presence.onlineAmong(NS, ['u1', 'u2'])).toEqual(new Set(['u1']));
    expect(a.warnings.some((w) => w.includes('re-registered'))).toBe(true);
    expect((await a.presence.remove(NS, 'u1', 's1')).changed).toBe(true);
  });
});
