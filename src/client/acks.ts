import { ParleyError, errorRegistry, type ErrorCode } from '../protocol/errors.js';
import type { ParleySocket } from './types.js';

export type AckOutcome = { delivered: true; response: unknown } | { delivered: false; reason: string };

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorRegistry, code);
}

/** A `{ code, message }` from the wire as a ParleyError; an unknown code becomes `internal`. */
export function toParleyError(error: unknown, fallback = 'The server answered with an unexpected body.'): ParleyError {
  const body = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown };
  const message = typeof body.message === 'string' ? body.message : fallback;
  return new ParleyError(isErrorCode(body.code) ? body.code : 'internal', message);
}

/**
 * Emits once and settles with the ack, or with why none came: a timeout, or a disconnect (socket.io-client
 * fails pending acks of sent packets when the connection drops).
 */
export function emitOnce(socket: ParleySocket, event: string, payload: unknown, timeoutMs: number): Promise<AckOutcome> {
  // The public methods are typed per event; this one wire call is not, so it takes the untyped view.
  const raw = socket as unknown as {
    timeout(ms: number): { emit(ev: string, p: unknown, cb: (err: Error | null, res: unknown) => void): void };
  };
  return new Promise((resolve) => {
    raw.timeout(timeoutMs).emit(event, payload, (err, response) => {
      resolve(err ? { delivered: false, reason: err.message } : { delivered: true, response });
    });
  });
}

/** A success ack's `data` (undefined for bare `{ success: true }`); a failure ack throws its ParleyError. */
export function unwrap(response: unknown): unknown {
  const ack = response as { success?: unknown; data?: unknown; error?: unknown } | null;
  if (ack?.success === true) return ack.data;
  throw toParleyError(ack?.error);
}

/** Resolves once the socket is connected; fails on a refused connection, on `closed`, or after `timeoutMs`. */
export function whenConnected(socket: ParleySocket, timeoutMs: number, closed: AbortSignal): Promise<void> {
  if (closed.aborted) return Promise.reject(closedError());
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const finish = (error?: ParleyError) => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onRefused);
      closed.removeEventListener('abort', onClosed);
      if (error) reject(error);
      else resolve();
    };
    const onConnect = () => finish();
    // A refusal by the server's middleware is final (socket.active turns false); network errors are retried.
    const onRefused = (err: Error & { data?: unknown }) => {
      if (!socket.active) finish(toParleyError(err.data, err.message));
    };
    const onClosed = () => finish(closedError());
    const timer = setTimeout(() => finish(new ParleyError('internal', `Not connected after ${timeoutMs} ms.`)), timeoutMs);
    socket.on('connect', onConnect);
    socket.on('connect_error', onRefused);
    closed.addEventListener('abort', onClosed);
  });
}

export function closedError(): ParleyError {
  return new ParleyError('internal', 'The client was closed.');
}

/** A clientMsgId: a UUID where available (secure contexts), else 128 random bits in hex. */
export function newClientMsgId(): string {
  const { crypto } = globalThis;
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

const utf8 = new TextEncoder();

/**
 * The bytes of the frame socket.io-client writes for `emit(event, payload, ack)`: engine.io's type digit,
 * socket.io's packet type, `/namespace,`, the ack id (at most 16 digits), then the JSON of [event, payload].
 */
export function encodedSize(namespace: string, event: string, payload: unknown): number {
  return utf8.encode(`42/${namespace},${'9'.repeat(16)}`).length + utf8.encode(JSON.stringify([event, payload])).length;
}

/** The server closes the socket on a frame over its maxHttpBufferSize; fail such a call before sending. */
export function checkSize(namespace: string, event: string, payload: unknown, limit: number): void {
  const size = encodedSize(namespace, event, payload);
  if (size <= limit) return;
  throw new ParleyError(
    'too_large',
    `The "${event}" payload is ${size} bytes when encoded; the server accepts at most ${limit} bytes per frame (maxHttpBufferSize). Send less, or upload the file and send its URL.`,
  );
}
