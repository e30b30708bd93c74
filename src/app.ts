import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { JwtAuthenticator, TrustedAuthenticator, type Authenticator } from './auth/authenticator.js';
import { loadConfig } from './config/load-config.js';
import type { Config, ConfigInput } from './config/schema.js';
import { TokenBucketGate } from './limits/token-bucket-gate.js';
import { Metrics } from './metrics/metrics.js';
import { editMessageSchema, messageSchema } from './protocol/index.js';
import { createChatServices } from './chat-services.js';
import { createScaleOut } from './scale/scale-out.js';
import { systemClock, type Clock } from './services/clock.js';
import { HistoryService } from './services/history-service.js';
import { createIdGenerator } from './services/ids.js';
import { MessageWriter } from './services/message-writer.js';
import { openStore } from './store/open-store.js';
import { Outbox } from './webhooks/outbox.js';
import { ApiKeys } from './platform/api-keys.js';
import type { PlatformContext } from './platform/platform-context.js';
import { PlatformMessages } from './platform/platform-messages.js';
import { PlatformRooms } from './platform/platform-rooms.js';
import { PlatformUsers, type AttachmentEraser } from './platform/platform-users.js';
import type { PlatformDeps } from './transport/http/platform/index.js';
import { shareRoomChanges } from './transport/socket/room-invalidation.js';
import { createWebhooks } from './webhooks/create-webhooks.js';
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
  /** Removes a user's attachment files on erasure (the uploads feature provides it). */
  attachments?: AttachmentEraser;
}

export interface ParleyApp {
  readonly config: Config;
  readonly metrics: Metrics;
  readonly log: Logger;
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
    requireExp: config.jwtRequireExp,
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

  // Before anything is opened: a key it can never verify with refuses the start and leaves nothing behind.
  const authenticator = createAuthenticator(config, clock);
  const ids = createIdGenerator(clock);
  let nudgeWebhooks = () => {};
  const outbox = new Outbox({
    urls: config.webhookUrls,
    unreadDelayMs: config.unreadNotifyDelayMs,
    ids,
    clock,
    onRecorded: () => nudgeWebhooks(),
  });
  const metrics = new Metrics();
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    sqliteSynchronous: config.sqliteSynchronous,
    log: log.child({ module: 'store' }),
    hooks: outbox,
    onLockWait: (seconds) => metrics.storeLockWaitSeconds.observe(seconds),
    messageWriter: true,
    soleChatNode: config.redisUrl === undefined,
  });
  const scale = await createScaleOut(config, randomUUID(), log).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const gate = new TokenBucketGate(config.rateLimits, scale.budgets);
  const writer = new MessageWriter(store.messages, {
    batchSize: config.writeBatchSize,
    delayMs: config.writeBatchDelayMs,
    onFlush: (rows, seconds) => {
      metrics.messagesStored.inc(rows);
      metrics.storeSeconds.observe(seconds);
    },
  });
  const uploads = await createUploads(config, store.attachments, clock, log.child({ module: 'uploads' }), metrics.registry, scale.budgets).catch(async (err: unknown) => {
    await scale.close();
    await store.close();
    throw err;
  });
  const { rooms, messages, presence, blocks, lifecycle, reports } = createChatServices(config, {
    store,
    presence: scale.presence,
    writer,
    ids,
    clock,
    gate,
    attachments: uploads.service,
    log,
  });
  const webhooks = createWebhooks(config, { store, presence, clock, log, metrics });
  nudgeWebhooks = () => webhooks.nudge();
  let sockets: SocketServer | undefined;
  let roomChanged = (namespace: string, roomToken: string) => rooms.forget(namespace, roomToken);
  const platformContext: PlatformContext = {
    store,
    clock,
    namespaces: config.namespaces,
    notifier: (namespace) => sockets?.notifier(namespace),
    roomChanged: (namespace, roomToken) => roomChanged(namespace, roomToken),
  };
  const users = new PlatformUsers(platformContext, options.attachments ?? {
    eraseUser: (namespace, userId) => uploads.service.removeForUser(namespace, userId),
  });
  const admit = (namespace: string, userId: string) => users.assertNotBanned(namespace, userId);
  const history = new HistoryService(store.rooms, store.messages, config.namespaces, admit);
  const memberSchema = messageSchema(config.maxMessageLength);
  const platform: PlatformDeps = {
    keys: new ApiKeys(config.apiKeys),
    rooms: new PlatformRooms(platformContext, ids, presence),
    messages: new PlatformMessages(platformContext, ids, writer, messages, memberSchema, config.maxMessageLength),
    users,
    webhooks,
    store,
    reports,
    notifier: (namespace) => sockets?.notifier(namespace),
  };
  reports.useBan(async (namespace, userId, reason) => {
    await users.ban(namespace, userId, { reason });
  });

  let draining = false;
  const http = await buildHttpServer({
    history,
    authenticator,
    metrics,
    log: log.child({ module: 'http' }),
    readiness: { storage: () => store.ping(), ...scale.readiness, ...(uploads.probe ? { uploads: uploads.probe } : {}) },
    corsOrigins: config.corsOrigins,
    historyRate: config.rateLimits.history,
    demoDir: config.serveDemo ? resolve(here, '../public') : undefined,
    serveDocs: config.serveDocs,
    metricsAccess: { public: config.metricsPublic, token: config.metricsToken },
    draining: () => draining,
    platform,
    uploads: {
      uploads: uploads.service,
      authenticator,
      namespaces: config.namespaces,
      publicUrl: config.publicUrl,
      maxFileBytes: Math.max(...Object.values(config.uploadLimits)),
    },
  });
  const socketServer = new SocketServer(http.server, config, {
    services: {
      rooms,
      messages,
      presence,
      messageSchema: memberSchema,
      lifecycle: { lifecycle, blocks, reports, editSchema: editMessageSchema(config.maxMessageLength) },
    },
    authenticator,
    metrics,
    log: log.child({ module: 'socket' }),
    admit,
  });
  sockets = socketServer;
  scale.attach(socketServer.io);
  roomChanged = shareRoomChanges(socketServer.io, config.namespaces, (ns, token) => rooms.forget(ns, token), config.redisUrl !== undefined);
  scale.presence.onExpired((namespace, userId) => {
    void presence
      .wentOffline(namespace, userId)
      .then((change) => socketServer.notifier(namespace)?.presence(userId, 'offline', change.counterparts))
      .catch((err: unknown) => log.error({ err }, 'announcing an expired user failed'));
  });

  let closing: Promise<void> | undefined;
  return {
    config,
    metrics,
    log,
    uploads: uploads.service,
    sweepUploads: () => uploads.sweeper.sweepNow(),
    async start() {
      await http.listen({ port: config.port, host: config.host });
      const address = http.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      webhooks.start();
      return { port, url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}` };
    },
    close() {
      closing ??= (async () => {
        draining = true;
        await socketServer.drain(config.shutdownTimeoutMs);
        await writer.drain();
        await webhooks.close();
        await socketServer.close();
        await http.close();
        await scale.close();
        await uploads.close();
        await store.close();
      })();
      return closing;
    },
  };
}
