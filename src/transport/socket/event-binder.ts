import type { Logger } from 'pino';
import type { Socket } from 'socket.io';
import {
  ParleyError,
  ServerEvent,
  isClientEvent,
  toParleyError,
  type Actor,
  type ClientEventName,
} from '../../protocol/index.js';
import type { Metrics } from '../../metrics/metrics.js';

/** What a handler gives back: the ack body (after `success: true`) and notices to send after the ack. */
export interface HandlerResult {
  reply: object;
  after?: () => void;
}
export type EventHandler = (actor: Actor, payload: unknown) => Promise<HandlerResult>;
/** A socket listener shared by every socket of a namespace: Socket.IO calls it with `this` = the socket. */
export type SharedListener = (this: Socket, ...args: unknown[]) => void;

/** Counts events being handled, so shutdown can wait for in-flight writes to be acked. */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];
  draining = false;

  enter(): void {
    this.count += 1;
  }
  leave(): void {
    this.count -= 1;
    if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
  }
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

type Ack = (response: object) => void;

interface BoundEvent {
  event: ClientEventName;
  handler: EventHandler;
  received: { inc(): void };
  acked: { observe(seconds: number): void };
}

/**
 * The socket ack wrapper: the one place socket failures become `{ success: false, error }`, sent as the
 * ack or, without an ack callback, as a `private` notice. A failure never disconnects the socket.
 */
export class EventBinder {
  constructor(
    private readonly metrics: Metrics,
    private readonly inFlight: InFlight,
    private readonly log: Logger,
  ) {}

  /** One listener per event for all sockets; `actorOf` reads the acting user off the socket. */
  listener(event: ClientEventName, handler: EventHandler, actorOf: (socket: Socket) => Actor): SharedListener {
    const binder = this;
    // Label lookups hash the labels on every call: bound once per event name instead.
    const bound: BoundEvent = { event, handler, received: this.metrics.events.labels(event), acked: this.metrics.ackSeconds.labels(event) };
    return function (this: Socket, ...args: unknown[]) {
      const ack = typeof args.at(-1) === 'function' ? (args.pop() as Ack) : undefined;
      void binder.run(this, bound, actorOf(this), args[0], ack);
    };
  }

  /** For `socket.onAny`. Unknown event names: an ack gets `invalid_payload` naming the event; without one, ignored. */
  unknownEventListener(): SharedListener {
    const { metrics } = this;
    return function (event: unknown, ...args: unknown[]) {
      if (typeof event === 'string' && isClientEvent(event)) return;
      const ack = args.at(-1);
      if (typeof ack !== 'function') return;
      const name = typeof event === 'string' ? event.slice(0, 64) : String(event);
      metrics.errors.inc({ code: 'invalid_payload' });
      (ack as Ack)({ success: false, error: new ParleyError('invalid_payload', `Unknown event "${name}".`).toBody() });
    };
  }

  private async run(socket: Socket, bound: BoundEvent, actor: Actor, payload: unknown, ack?: Ack) {
    const { event, handler } = bound;
    const started = performance.now();
    bound.received.inc();
    this.inFlight.enter();
    try {
      if (this.inFlight.draining) throw new ParleyError('internal', 'The server is shutting down; retry on reconnect.');
      const result = await handler(actor, payload);
      ack?.({ success: true, ...result.reply });
      result.after?.();
    } catch (err) {
      const error = toParleyError(err);
      if (error.code === 'internal' && err !== error) this.log.error({ err, event }, 'event failed');
      this.metrics.errors.inc({ code: error.code });
      const body = { success: false as const, error: error.toBody() };
      if (ack) ack(body);
      else socket.emit(ServerEvent.Private, { event, ...body });
    } finally {
      bound.acked.observe((performance.now() - started) / 1000);
      this.inFlight.leave();
    }
  }
}
