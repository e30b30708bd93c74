import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { JwtAuthenticator, TrustedAuthenticator, type Authenticator } from './auth/authenticator.js';
import { loadConfig } from './config/load-config.js';
import type { Config, ConfigInput } from './config/schema.js';
import { TokenBucketGate } from './limits/token-bucket-gate.js';
import { Metrics } from './metrics/metrics.js';
import { messageSchema } from './protocol/index.js';
import { createScaleOut } from './scale/scale-out.js';
import { systemClock, type Clock } from './services/clock.js';
import { HistoryService } from './services/history-service.js';
import { createIdGenerator } from './services/ids.js';
import { MessageService } from './services/message-service.js';
import { MessageWriter } from './services/message-writer.js';
import { PresenceService } from './services/presence-service.js';
import { RoomService } from './services/room-service.js';
import { openStore } from './store/open-store.js';
import { buildHttpServer } from './transport/http/http-server.js';
import { SocketServer } from './transport/socket/socket-server.js';
import type { AttachmentService } from './uploads/attachment-service.js';
import { createUploads } from './uploads/create-uploads.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface AppOptions {
  /** A ready config; otherwise it is loaded from file + env + overrides. */
  config?: Config;
  overrides?: Partial<ConfigInput>;
  env?: Record<string, string | undefined>;
  clock?: Clock;
  logger?: Logger;
}

export interface ParleyApp {
  readonly config: Config;
  readonly metrics: Metrics;
  /** Attachments: removeForMessages / removeForUser for deletion and erasure; sweeps. */
  readonly uploads: AttachmentService;
  /** Runs the orphan-attachment sweep now (it also runs every uploadSweepIntervalMs). */
  sweepUploads(): Promise<number>;
  start(): Promise<{ port: number; url: string }>;
  /** Graceful: refuse new events, finish and ack in-flight ones, close sockets, close storage. */
  close(): Promise<void>;
}

function createAuthenticator(config: Config, clock: Clock): Authenticator {
  if (config.authMode === 'trusted') return new TrustedAuthenticator();
  return new JwtAuthenticator({
    ...(config.jwtSecret ? { secret: config.jwtSecret } : {}),
    ...(config.jwtPublicKey ? { publicKey: config.jwtPublicKey } : {}),
    ...(config.jwtJwksFile ? { jwksFile: config.jwtJwksFile } : {}),
    ...(config.jwtIssuer ? { issuer: config.jwtIssuer } : {}),
    ...(config.jwtAudience ? { audience: config.jwtAudience } : {}),
    clockToleranceSeconds: config.jwtClockToleranceSeconds,
    clock,
  });
}

/** The composition root: builds every object and wires them. Nothing here is shared between apps. */
export async function createApp(options: AppOptions = {}): Promise<ParleyApp> {
  const config = options.config ?? loadConfig({ env: options.env, overrides: options.overrides });
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? pino({ name: 'parley', level: config.logLevel });
  if (config.authMode === 'trusted') {
    log.warn('AUTH_MODE=trusted: any client can claim any user id. Use AUTH_MODE=jwt on a public network.');
  }

  const store = await openStore({ databaseUrl: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous });
  const scale = await createScaleOut(config, randomUUID(), log).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const metrics = new Metrics();
  const ids = createIdGenerator(clock);
  const gate = new TokenBucketGate(config.rateLimits);
  const writer = new MessageWriter(store.messages, {
    batchSize: config.writeBatchSize,
    delayMs: config.writeBatchDelayMs,
    onFlush: (rows, seconds) => {
      metrics.messagesStored.inc(rows);
      metrics.storeSeconds.observe(seconds);
    },
  });
  const uploads = await createUploads(config, store.attachments, clock, log.child({ module: 'uploads' }), metrics.registry).catch(async (err: unknown) => {
    await scale.close();
    await store.close();
    throw err;
  });
  const rooms = new RoomService(store.rooms, ids, clock, gate, { maxRoomsPerUser: config.maxRoomsPerUser });
  const messages = new MessageService(store.messages, store.reads, rooms, writer, ids, clock, gate, config.syncPageSize, uploads.service);
  const presence = new PresenceService(scale.presence, rooms, store.lastSeen, clock);
  const history = new HistoryService(store.rooms, store.messages, config.namespaces);
  const authenticator = createAuthenticator(config, clock);

  const http = await buildHttpServer({
    history,
    authenticator,
    metrics,
    log: log.child({ module: 'http' }),
    readiness: { storage: () => store.ping(), ...scale.readiness, ...(uploads.probe ? { uploads: uploads.probe } : {}) },
    corsOrigins: config.corsOrigins,
    historyRate: config.rateLimits.history,
    demoDir: config.serveDemo ? resolve(here, '../public') : undefined,
    uploads: {
      uploads: uploads.service,
      authenticator,
      namespaces: config.namespaces,
      publicUrl: config.publicUrl,
      maxFileBytes: Math.max(...Object.values(config.uploadLimits)),
    },
  });
  const sockets = new SocketServer(http.server, config, {
    services: { rooms, messages, presence, messageSchema: messageSchema(config.maxMessageLength) },
    authenticator,
    metrics,
    log: log.child({ module: 'socket' }),
  });
  scale.attach(sockets.io);
  scale.presence.onExpired((namespace, userId) => {
    void presence
      .wentOffline(namespace, userId)
      .then((change) => sockets.notifier(namespace)?.presence(userId, 'offline', change.counterparts))
      .catch((err: unknown) => log.error({ err }, 'announcing an expired user failed'));
  });

  let closing: Promise<void> | undefined;
  return {
    config,
    metrics,
    uploads: uploads.service,
    sweepUploads: () => uploads.sweeper.sweepNow(),
    async start() {
      await http.listen({ port: config.port, host: config.host });
      const address = http.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      return { port, url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}` };
    },
    close() {
      closing ??= (async () => {
        await sockets.drain(config.shutdownTimeoutMs);
        await writer.drain();
        await sockets.close();
        await http.close();
        await scale.close();
        await uploads.close();
        await store.close();
      })();
      return closing;
    },
  };
}
