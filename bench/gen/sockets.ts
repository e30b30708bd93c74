import { io, type Socket } from 'socket.io-client';

export type { Socket };

/** Connects one websocket-only client; rejects on connect_error or after timeoutMs. */
export function connect(
  url: string,
  query: Record<string, string>,
  localAddress: string | undefined,
  timeoutMs = 15_000,
): Promise<Socket> {
  // engine.io-client passes `localAddress` on to `ws` in Node, though its typings omit it.
  const extra = localAddress ? ({ localAddress } as Record<string, unknown>) : {};
  const socket = io(url, { transports: ['websocket'], query, forceNew: true, reconnection: false, timeout: timeoutMs, ...extra });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`connect timeout after ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    };
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', fail);
  });
}

/** Runs fn(0…n-1) with at most `concurrency` calls in flight; returns the settled results in order. */
export async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, n)) }, lane));
  return results;
}

interface Ack {
  success?: boolean;
  error?: { code?: string; message?: string };
}

/** Emits with an ack and a timeout; throws unless the ack says success. */
export async function call(socket: Socket, event: string, payload: unknown, timeoutMs = 10_000): Promise<Ack> {
  const ack = (await socket.timeout(timeoutMs).emitWithAck(event, payload)) as Ack;
  if (!ack?.success) throw new Error(`${event} failed: ${JSON.stringify(ack)}`);
  return ack;
}
