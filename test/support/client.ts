import { io, type Socket } from 'socket.io-client';

export interface Received {
  event: string;
  payload: any;
  consumed: boolean;
}

const DEFAULT_WAIT_MS = 3000;

/** A real socket.io-client socket that records everything it receives, from the moment it is created. */
export class TestClient {
  readonly received: Received[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly socket: Socket) {
    socket.onAny((event: string, payload: unknown) => {
      this.received.push({ event, payload, consumed: false });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static open(url: string, namespace: string, opts: { query?: Record<string, string>; auth?: Record<string, unknown> }) {
    const socket = io(`${url}/${namespace}`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      query: opts.query,
      auth: opts.auth,
    });
    return new TestClient(socket);
  }

  /** Resolves when connected; rejects with the connect_error. */
  connected(): Promise<this> {
    if (this.socket.connected) return Promise.resolve(this);
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve(this));
      this.socket.once('connect_error', (err) => reject(err));
    });
  }

  connectError(): Promise<Error & { data?: any }> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => reject(new Error('connected, but a connect_error was expected')));
      this.socket.once('connect_error', (err) => resolve(err));
    });
  }

  /** Emits with an ack callback and resolves with the ack. */
  request(event: string, ...args: unknown[]): Promise<any> {
    return this.socket.timeout(DEFAULT_WAIT_MS).emitWithAck(event, ...args);
  }

  /** Emits without an ack callback. */
  send(event: string, ...args: unknown[]): void {
    this.socket.emit(event, ...args);
  }

  /** The first not-yet-consumed event of that name matching the predicate (waits for it). */
  waitFor(event: string, match: (payload: any) => boolean = () => true, timeoutMs = DEFAULT_WAIT_MS): Promise<any> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.received.find((r) => !r.consumed && r.event === event && match(r.payload));
        if (!hit) return false;
        hit.consumed = true;
        clearTimeout(timer);
        resolve(hit.payload);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== listen);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
      }, timeoutMs);
      const listen = () => {
        if (!check()) this.waiters.push(listen);
      };
      listen();
    });
  }

  waitForPrivate(notice: string, match: (payload: any) => boolean = () => true, timeoutMs?: number): Promise<any> {
    return this.waitFor('private', (p) => p?.event === notice && match(p), timeoutMs);
  }

  /** Everything received so far under that name (consumed or not). */
  all(event: string, match: (payload: any) => boolean = () => true): any[] {
    return this.received.filter((r) => r.event === event && match(r.payload)).map((r) => r.payload);
  }

  /**
   * A round trip on this socket: once it returns, every notice the server sent to this socket before
   * it handled the barrier has arrived. Used to assert that something was NOT received, without sleeping.
   */
  async barrier(): Promise<void> {
    await this.request('__barrier__');
  }

  close(): void {
    this.socket.disconnect();
  }
}
