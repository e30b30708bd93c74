/**
 * Presence shared by every node through Redis.
 *
 * Layout (P = keyPrefix, default `parley:{presence}:`; the hash tag keeps every key in one cluster slot):
 *   P u:["<ns>","<user>"]    HASH  one field `<instance>\0<socketId>` per socket of the user, on any node
 *   P u:["<ns>","<user>"]#v  STRING the number of the user's latest online/offline change (kept a day once offline)
 *   P node:<instance>        SET   this instance's sockets, as `<user key>\0<socketId>`
 *   P hb:<instance>          STRING heartbeat, PX = keyTtl
 *   P nodes                  SET   instances that may hold sockets
 *   P sweep-lock             STRING the instance sweeping right now, PX = sweep period
 * `<instance>` is `<nodeId>:<random>`, so a restarted process never adopts its predecessor's sockets.
 * Every change is one Lua script, so `add`/`remove` from racing nodes see exactly one first/last socket,
 * and a sweep and an `add`/`remove` never interleave. Scripts go out as EVAL (not EVALSHA, whose NOSCRIPT
 * retry could reorder them): on the one connection Redis runs them in the order they were issued.
 *
 * Timers, from `ttlSeconds` = B, the bound below (`presenceTimings`): the heartbeat key lives 4/5 B and is
 * refreshed every B/8; every B/6 each instance tries the sweep lock, and the holder drops every instance whose
 * heartbeat key has expired and calls the `onExpired` handlers for each user who thereby lost their last socket
 * (once per user, on that node).
 *
 * EXPIRY BOUND: when a node dies (SIGKILL) at time T, its last heartbeat was at H > T − B/8, so its key
 * expires at H + 4B/5 ≤ T + 4B/5; every survivor tries to sweep every B/6, and the lock is then free (a lock
 * left by the dead node expires by T + B/6, before its heartbeat does). So the handlers run within
 * **4B/5 + B/6 ≈ 0.97 × B** after the death (29 s for the default 30 s), plus a Redis round trip and timer
 * delays — as long as one survivor is running and reaching Redis. Conversely a node is never swept while it
 * heartbeats: a gap of up to 4B/5 − B/8 ≈ 2/3 B (event-loop stall, Redis blip) is harmless.
 *
 * Self-healing: each heartbeat compares the size of this instance's Redis set with the sockets it holds
 * locally. If they differ (this node was swept after a stall longer than the ttl, or Redis lost its data)
 * the instance re-registers its live sockets and drops stale ones. Users dropped that way fire
 * `onExpired`; users restored that way do not fire anything (their counterparts saw them go offline
 * and will see them online on their next `list-online-user`).
 *
 * The Redis client is the caller's: it must be a plain (non-subscriber) connection without ioredis'
 * own `keyPrefix`, and `close()` does not quit it. Errors in timers are logged, never thrown;
 * method calls reject when Redis does (the caller answers `internal`).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { NO_CHANGE, type PresenceRegistry, type PresenceTransition } from './presence-registry.js';
import { ADD, CLOSE, HEARTBEAT, REMOVE, RESYNC, SWEEP, UNLOCK } from './redis-presence-scripts.js';

function transition(reply: unknown): PresenceTransition {
  const version = Number(reply);
  return version > 0 ? { changed: true, version } : NO_CHANGE;
}

export interface RedisPresenceOptions {
  nodeId: string;
  ttlSeconds: number;
  keyPrefix?: string;
  logger?: { warn(obj: object, msg?: string): void };
}

type ExpiredHandler = (namespace: string, userId: string) => void;

export interface PresenceTimings {
  /** Lifetime of a heartbeat key. */
  keyTtlMs: number;
  heartbeatMs: number;
  sweepMs: number;
  /** A dead node's users are announced offline within this (before timer delays and a round trip). */
  boundMs: number;
}

/** The timers for an offline bound of `ttlSeconds` (see EXPIRY BOUND above). */
export function presenceTimings(ttlSeconds: number): PresenceTimings {
  const bound = Math.round(ttlSeconds * 1000);
  const keyTtlMs = Math.max(3, Math.floor((bound * 4) / 5));
  const heartbeatMs = Math.max(1, Math.floor(bound / 8));
  const sweepMs = Math.max(1, Math.floor(bound / 6));
  return { keyTtlMs, heartbeatMs, sweepMs, boundMs: keyTtlMs + sweepMs };
}

const SWEEP_BUDGET = 1000;

export class RedisPresence implements PresenceRegistry {
  private readonly prefix: string;
  private readonly instance: string;
  private readonly ttlMs: number;
  private readonly sweepMs: number;
  private readonly logger: { warn(obj: object, msg?: string): void };
  /** This instance's sockets (Redis set members), updated in the same tick as the command is issued. */
  private readonly local = new Set<string>();
  private readonly handlers: ExpiredHandler[] = [];
  private readonly timers: NodeJS.Timeout[];
  private readonly running = new Map<string, Promise<void>>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    options: RedisPresenceOptions,
  ) {
    if (!(options.ttlSeconds > 0)) throw new Error('RedisPresence: ttlSeconds must be a positive number');
    if (!options.nodeId) throw new Error('RedisPresence: nodeId is required');
    if (redis.options.keyPrefix) {
      throw new Error('RedisPresence: use its keyPrefix option, not the ioredis keyPrefix (Lua builds keys)');
    }
    this.prefix = options.keyPrefix ?? 'parley:{presence}:';
    this.instance = `${options.nodeId}:${randomBytes(6).toString('hex')}`;
    const timings = presenceTimings(options.ttlSeconds);
    this.ttlMs = timings.keyTtlMs;
    this.sweepMs = timings.sweepMs;
    this.logger = options.logger ?? { warn: (obj, msg) => console.warn(msg ?? 'redis presence', obj) };
    this.timers = [
      setInterval(() => this.tick(() => this.heartbeat(), 'heartbeat'), timings.heartbeatMs),
      setInterval(() => this.tick(() => this.sweep(), 'sweep'), timings.sweepMs),
    ];
    for (const timer of this.timers) timer.unref();
    this.tick(() => this.heartbeat(), 'heartbeat');
  }

  async add(namespace: string, userId: string, socketId: string): Promise<PresenceTransition> {
    if (this.closing) throw new Error('presence registry is closed');
    const { user, field, member } = this.keys(namespace, userId, socketId);
    this.local.add(member);
    const keys = [user, this.nodeKey(), this.hbKey(), this.nodesKey()];
    return transition(await this.redis.eval(ADD, 4, ...keys, field, member, this.ttlMs, this.instance));
  }

  async remove(namespace: string, userId: string, socketId: string): Promise<PresenceTransition> {
    if (this.closing) return NO_CHANGE;
    const { user, field, member } = this.keys(namespace, userId, socketId);
    this.local.delete(member);
    return transition(await this.redis.eval(REMOVE, 2, user, this.nodeKey(), field, member));
  }

  async isCurrent(namespace: string, userId: string, version: number): Promise<boolean> {
    return (await this.redis.get(`${this.userKey(namespace, userId)}#v`)) === String(version);
  }

  async onlineAmong(namespace: string, userIds: readonly string[]): Promise<Set<string>> {
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.exists(this.userKey(namespace, id));
    const results = (await pipeline.exec()) ?? [];
    const online = new Set<string>();
    results.forEach(([err, exists], i) => {
      if (err) throw err;
      if (exists === 1) online.add(ids[i]!);
    });
    return online;
  }

  async socketCount(namespace: string, userId: string): Promise<number> {
    return this.redis.hlen(this.userKey(namespace, userId));
  }

  onExpired(handler: ExpiredHandler): void {
    this.handlers.push(handler);
  }

  /** Stops the timers and removes this node's sockets; `onExpired` fires here for users left with none. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      await Promise.all(this.running.values());
      this.local.clear();
      const expired = await this.redis.eval(CLOSE, 3, this.nodeKey(), this.hbKey(), this.nodesKey(), this.instance);
      this.notify(expired);
    })();
    return this.closing;
  }

  private async heartbeat(): Promise<void> {
    const expected = this.local.size;
    const count = await this.redis.eval(HEARTBEAT, 3, this.hbKey(), this.nodesKey(), this.nodeKey(), this.ttlMs, this.instance);
    if (count === expected) return;
    // Snapshot and command in one tick: adds/removes issued later reach Redis after this script.
    const members = [...this.local];
    const expired = await this.redis.eval(RESYNC, 3, [this.nodeKey(), this.hbKey(), this.nodesKey(), String(this.ttlMs), this.instance, ...members]);
    this.logger.warn(
      { instance: this.instance, inRedis: count, local: members.length },
      'presence: this node’s sockets were missing from Redis (swept after a stall, or Redis lost data); re-registered them',
    );
    this.notify(expired);
  }

  private async sweep(): Promise<void> {
    const lock = `${this.prefix}sweep-lock`;
    if ((await this.redis.set(lock, this.instance, 'PX', this.sweepMs, 'NX')) !== 'OK') return;
    try {
      for (;;) {
        const [more, expired] = (await this.redis.eval(SWEEP, 1, this.nodesKey(), this.prefix, SWEEP_BUDGET)) as [number, string[]];
        this.notify(expired);
        if (more !== 1) break;
      }
    } finally {
      await this.redis.eval(UNLOCK, 1, lock, this.instance);
    }
  }

  /** Runs a timer job unless the previous run of it is still going; a failure (Redis down) is logged. */
  private tick(job: () => Promise<void>, name: string): void {
    if (this.running.has(name) || this.closing) return;
    const run = job()
      .catch((err: unknown) => this.logger.warn({ err, instance: this.instance }, `presence ${name} failed`))
      .finally(() => this.running.delete(name));
    this.running.set(name, run);
  }

  private notify(expired: unknown): void {
    if (!Array.isArray(expired)) return;
    for (const key of expired as string[]) {
      const [namespace, userId] = JSON.parse(key.slice(this.prefix.length + 2)) as [string, string];
      for (const handler of this.handlers) {
        try {
          const result: unknown = handler(namespace, userId);
          if (result instanceof Promise) result.catch((err: unknown) => this.logger.warn({ err }, 'presence onExpired handler failed'));
        } catch (err) {
          this.logger.warn({ err }, 'presence onExpired handler failed');
        }
      }
    }
  }

  private keys(namespace: string, userId: string, socketId: string) {
    const user = this.userKey(namespace, userId);
    return { user, field: `${this.instance}\0${socketId}`, member: `${user}\0${socketId}` };
  }

  private userKey(namespace: string, userId: string): string {
    return `${this.prefix}u:${JSON.stringify([namespace, userId])}`;
  }

  private nodeKey(): string {
    return `${this.prefix}node:${this.instance}`;
  }

  private hbKey(): string {
    return `${this.prefix}hb:${this.instance}`;
  }

  private nodesKey(): string {
    return `${this.prefix}nodes`;
  }
}
