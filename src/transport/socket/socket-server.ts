import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Server, type Socket } from 'socket.io';
import {
  ClientEvent,
  ParleyError,
  PrivateNotice,
  ServerEvent,
  toParleyError,
  type Actor,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '../../protocol/index.js';
import type { Authenticator } from '../../auth/authenticator.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { Adapter } from 'socket.io-adapter';
import { AuthFailure } from '../../auth/auth-failure.js';
import { ConnectGate, type ConnectLimits } from '../../limits/connect-gate.js';
import { CompactSessionAdapter } from './compact-session-adapter.js';
import { chatHandlers, type ChatServices } from './chat-handlers.js';
import { EventBinder, InFlight, type SharedListener } from './event-binder.js';
import { Notifier, userRoom, type ParleyNamespace } from './notifier.js';

export interface SocketServerOptions {
  namespaces: readonly string[];
  maxHttpBufferSize: number;
  maxSocketsPerUser: number;
  recoveryWindowMs: number;
  corsOrigins: readonly string[];
  rateLimits: ConnectLimits;
  /** The client address is the first X-Forwarded-For entry (only behind a proxy that sets it). */
  trustProxy: boolean;
}

export interface SocketDeps {
  services: ChatServices;
  authenticator: Authenticator;
  metrics: Metrics;
  log: Logger;
  /** Refuses a handshake by throwing (e.g. `forbidden` for a banned user); runs after authentication. */
  admit?: (namespace: string, userId: string) => Promise<void>;
}

interface SlimRequest {
  headers: Record<string, unknown>;
  url?: string;
  _query?: Record<string, unknown>;
  connection?: { encrypted?: boolean };
}

/** Even after a drain that used its whole budget, queued acks get this long to be written. */
const MIN_FLUSH_MS = 250;

function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([work.then(() => {}), timeout]).finally(() => clearTimeout(timer));
}

type ParleySocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  { actor: Actor; expiresAt?: number | undefined }
>;

// setTimeout's longest delay (~24.8 days); tokens living longer are only checked on reconnect.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Socket.IO on the shared HTTP server: namespaces, handshake auth, per-socket lifecycle. */
export class SocketServer {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents>;
  readonly inFlight = new InFlight();
  private readonly binder: EventBinder;
  private readonly notifiers = new Map<string, Notifier>();
  /** When drain() started plus its timeout: close() waits for acks to be flushed until then. */
  private closeDeadline = 0;
  /** Presence updates of disconnected sockets still being written; close() waits for them. */
  private readonly pendingPresence = new Set<Promise<void>>();
  private readonly connectGate: ConnectGate;
  /** Set when shutdown starts: new connections are refused from then on. */
  private draining = false;

  constructor(httpServer: HttpServer, private readonly options: SocketServerOptions, private readonly deps: SocketDeps) {
    this.io = new Server(httpServer, {
      maxHttpBufferSize: options.maxHttpBufferSize,
      serveClient: false,
      cors: options.corsOrigins.length > 0 ? { origin: [...options.corsOrigins] } : undefined,
      // Middlewares run on a recovered reconnect too: an expired or revoked token must not resume a session.
      ...(options.recoveryWindowMs > 0
        ? {
            connectionStateRecovery: { maxDisconnectionDuration: options.recoveryWindowMs, skipMiddlewares: false },
            adapter: CompactSessionAdapter as unknown as typeof Adapter,
          }
        : {}),
    });
    // Keep only what handshakes read from the upgrade request (the tuning guide's memory advice,
    // without breaking a second namespace multiplexed on the same connection).
    this.io.engine.on('connection', (raw: { request: SlimRequest }) => {
      const { headers, url, _query, connection } = raw.request;
      raw.request = { headers, url, _query, connection: { encrypted: Boolean(connection?.encrypted) } };
    });
    this.binder = new EventBinder(deps.metrics, this.inFlight, deps.log);
    this.connectGate = new ConnectGate(options.rateLimits);
    // The root namespace always exists in Socket.IO but is not a chat namespace: refuse it like an unknown one.
    this.io.of('/').use((socket, next) => {
      this.logRefusal(socket, '/', 'unknown_namespace');
      next(new Error('Invalid namespace'));
    });
    for (const name of options.namespaces) this.setUpNamespace(this.io.of(`/${name}`) as ParleyNamespace, name);
    deps.metrics.recoverySource = () =>
      options.namespaces.map((name) => {
        const adapter: unknown = this.io.of(`/${name}`).adapter;
        return [name, adapter instanceof CompactSessionAdapter ? adapter.retainedPackets : 0];
      });
  }

  notifier(namespace: string): Notifier | undefined {
    return this.notifiers.get(namespace);
  }

  private setUpNamespace(nsp: ParleyNamespace, namespace: string): void {
    const notifier = new Notifier(nsp);
    this.notifiers.set(namespace, notifier);
    nsp.use((socket, next) => {
      this.admit(socket as ParleySocket, namespace).then(
        () => next(),
        (err: unknown) => {
          const error = toParleyError(err);
          if (error !== err) this.deps.log.error({ err }, 'handshake failed');
          this.deps.metrics.errors.inc({ code: error.code });
          this.logRefusal(socket, namespace, error instanceof AuthFailure ? error.reason : error.code, error.message);
          next(Object.assign(new Error(error.message), { data: error.toBody() }));
        },
      );
    });
    const handlers = chatHandlers(this.deps.services, notifier);
    const actorOf = (socket: Socket) => (socket as ParleySocket).data.actor;
    const listeners = Object.values(ClientEvent).map(
      (event) => [event, this.binder.listener(event, handlers[event], actorOf)] as const,
    );
    const shared = { listeners, unknown: this.binder.unknownEventListener() };
    nsp.on('connection', (socket) => this.onConnection(socket as ParleySocket, notifier, shared));
  }

  /** The client's address: the peer, or behind a trusted proxy the first X-Forwarded-For entry. */
  private addressOf(socket: Socket): string {
    const forwarded = this.options.trustProxy ? socket.handshake.headers['x-forwarded-for'] : undefined;
    // Client-supplied text used as a limiter key and logged: keep it short.
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().slice(0, 64);
    return first || socket.handshake.address;
  }

  /** Every refused handshake at info with its reason (never the credential itself). */
  private logRefusal(socket: Socket, namespace: string, reason: string, detail?: string): void {
    this.deps.log.info({ namespace, reason, ip: this.addressOf(socket), ...(detail ? { detail } : {}) }, `handshake rejected: ${reason}`);
  }

  private async admit(socket: ParleySocket, namespace: string): Promise<void> {
    if (this.draining) throw new ParleyError('internal', 'The server is shutting down; reconnect in a moment.');
    await this.connectGate.attempt(this.addressOf(socket));
    const { auth, query } = socket.handshake;
    const { userId, expiresAt } = await this.deps.authenticator.fromHandshake({ auth, query: query as Record<string, unknown> });
    await this.deps.admit?.(namespace, userId);
    await this.connectGate.user(namespace, userId);
    const { presence } = this.deps.services;
    if ((await presence.socketCount(namespace, userId)) >= this.options.maxSocketsPerUser) {
      throw new ParleyError('rate_limited', `Too many connections: at most ${this.options.maxSocketsPerUser} sockets per user.`);
    }
    // A recovered session comes back in its old user's room; a token for someone else must not keep it.
    const restored = socket.recovered ? socket.data.actor : undefined;
    if (restored && restored.userId !== userId) void socket.leave(userRoom(restored.userId));
    socket.data.actor = { namespace, userId, socketId: socket.id };
    socket.data.expiresAt = expiresAt;
  }

  /** A socket does not outlive its token: it is disconnected when the token expires. */
  private expireWithToken(socket: ParleySocket): void {
    const { expiresAt } = socket.data;
    if (expiresAt === undefined) return;
    const delay = expiresAt - Date.now();
    if (delay > MAX_TIMER_MS) return;
    const timer = setTimeout(() => socket.disconnect(true), Math.max(0, delay));
    socket.once('disconnect', () => clearTimeout(timer));
  }

  private onConnection(
    socket: ParleySocket,
    notifier: Notifier,
    shared: { listeners: ReadonlyArray<readonly [string, SharedListener]>; unknown: SharedListener },
  ): void {
    // After a recovered reconnection the socket id is the same but data may be restored; rebuild it.
    const actor: Actor = { ...socket.data.actor, socketId: socket.id };
    socket.data.actor = actor;
    void socket.join(userRoom(actor.userId));
    for (const [event, listener] of shared.listeners) (socket as Socket).on(event, listener);
    socket.onAny(shared.unknown);
    this.deps.metrics.sockets.inc({ namespace: actor.namespace });
    this.expireWithToken(socket);

    const ready = this.greet(socket, actor, notifier);
    socket.on('disconnect', () => {
      this.deps.metrics.sockets.dec({ namespace: actor.namespace });
      const done = ready
        .then(() => this.deps.services.presence.disconnect(actor))
        .then((change) => {
          if (change.changed) notifier.presence(actor.userId, 'offline', change.counterparts);
        })
        .catch((err: unknown) => this.deps.log.error({ err }, 'presence update on disconnect failed'))
        .finally(() => this.pendingPresence.delete(done));
      this.pendingPresence.add(done);
    });
  }

  /** Registers presence, sends the room list and online counterparts, tells counterparts. */
  private async greet(socket: ParleySocket, actor: Actor, notifier: Notifier): Promise<void> {
    const { presence } = this.deps.services;
    try {
      const change = await presence.connect(actor);
      // At once: the service checked that this change is still the latest (no awaits in between).
      if (change.changed) notifier.presence(actor.userId, 'online', change.counterparts);
      const [rooms, users] = await Promise.all([presence.roomSummaries(actor), presence.onlineCounterparts(actor)]);
      socket.emit(ServerEvent.Private, { event: PrivateNotice.ListRoom, success: true, data: { rooms } });
      socket.emit(ServerEvent.Private, { event: PrivateNotice.ListOnlineUser, success: true, data: { users } });
      await this.bannedMeanwhile(socket, actor);
    } catch (err) {
      this.deps.log.error({ err }, 'greeting a new socket failed');
      socket.emit(ServerEvent.Private, { event: PrivateNotice.ListRoom, success: false, error: toParleyError(err).toBody() });
    }
  }

  /**
   * A ban that committed between the handshake's check and the socket joining its user room missed this
   * socket: checked once more after the greeting (any later ban reaches it through its room), off the path
   * of the greeting itself. A storage failure here lets it stay (the handshake has just admitted it).
   */
  private async bannedMeanwhile(socket: ParleySocket, actor: Actor): Promise<void> {
    const refusal = await this.deps.admit?.(actor.namespace, actor.userId).then(
      () => undefined,
      (err: unknown) => toParleyError(err),
    );
    if (refusal?.code !== 'forbidden') return;
    socket.emit(ServerEvent.Private, { event: PrivateNotice.Banned, success: false, error: refusal.toBody() });
    socket.disconnect(true);
  }

  /** Shutdown, step 1: refuse new events and wait (bounded) until the ones being handled are acked. */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    this.inFlight.draining = true;
    this.closeDeadline = Date.now() + timeoutMs;
    await within(this.inFlight.idle(), timeoutMs);
  }

  /** Shutdown, step 2: disconnect every local socket (after its queued acks are written) and stop the engine. */
  async close(): Promise<void> {
    // engine.close() discards each connection's write buffer, which may still hold acks of stored
    // messages; closing each connection ourselves first flushes that buffer. Closing the connection (not
    // disconnecting the sockets, which sends "io server disconnect": clients would not come back) lets
    // clients reconnect by themselves, through the balancer to another node, and resume their session.
    const namespaces = this.options.namespaces.map((name) => this.io.of(`/${name}`));
    const connections = new Set(namespaces.flatMap((nsp) => [...nsp.sockets.values()].map((s) => s.conn)));
    const flushed = [...connections].map((conn) =>
      conn.readyState === 'closed' ? Promise.resolve() : new Promise<void>((resolve) => conn.once('close', () => resolve())),
    );
    for (const conn of connections) conn.close();
    await within(Promise.all(flushed), Math.max(MIN_FLUSH_MS, this.closeDeadline - Date.now()));
    this.io.engine.close();
    await Promise.allSettled([...this.pendingPresence]);
    // Cross-node adapters hold Redis connections and polling loops of their own.
    const all = ['/', ...this.options.namespaces.map((name) => `/${name}`)];
    await Promise.allSettled(all.map(async (name) => this.io.of(name).adapter.close()));
  }
}
