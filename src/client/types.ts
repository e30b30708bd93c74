/**
 * Client-side types, all derived from src/protocol: a renamed event or field there breaks the SDK's build.
 */
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import type { ClientEventName, PrivateNoticeName } from '../protocol/events.js';
import type { ClientToServerEvents, PrivatePayload, ServerToClientEvents } from '../protocol/types.js';
import type { HistoryPage } from '../services/history-service.js';

export type ParleySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What a client event takes. */
export type PayloadOf<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[0];

type AckReplyOf<E extends ClientEventName> = Parameters<NonNullable<Parameters<ClientToServerEvents[E]>[1]>>[0];

/** What a successful ack carries in `data` (void for acks that are just `{ success: true }`). */
export type DataOf<E extends ClientEventName> =
  Extract<AckReplyOf<E>, { success: true }> extends { data: infer D } ? D : void;

export type ServerEventName = keyof ServerToClientEvents;
export type ServerPayloadOf<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];

type SuccessNotice = Extract<PrivatePayload, { success: true }>;
/** The `private` notice named `N` (list-room, list-online-user, online, offline). */
export type NoticeOf<N extends PrivateNoticeName> = SuccessNotice extends infer P
  ? P extends { event: infer E }
    ? N extends E
      ? Omit<P, 'event'> & { event: N }
      : never
    : never
  : never;

export type PagedHistory = Extract<HistoryPage, { page: number }>;
export type CursorHistory = Extract<HistoryPage, { nextCursor: string | null }>;

export interface HistoryPageQuery {
  roomToken: string;
  page?: number;
  limit?: number;
}
export type HistoryCursorQuery = { roomToken: string; limit?: number } & (
  | { before: string; after?: never }
  | { after: string; before?: never }
);

/** Trusted mode names the user; jwt mode sends a token (also used as the Bearer token for history). */
export type Identity = { userId: string; token?: never } | { token: string; userId?: never };

export type ParleyClientOptions = Identity & {
  /** The server's origin, e.g. `http://127.0.0.1:3300`. */
  url: string;
  namespace: string;
  /** Passed to socket.io-client's `io()` (reconnection delays, etc.). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** How long to wait for each ack (default 10 s). */
  ackTimeoutMs?: number;
  /** How long a call waits for a (re)connection before it fails (default 10 s). */
  connectTimeoutMs?: number;
  /** Attempts for `send` when the ack is lost, e.g. to a reconnect (default 3, at least 1). */
  maxSendAttempts?: number;
  /**
   * The server's `maxHttpBufferSize` in bytes (default 64 KiB, the server's default). A call whose encoded
   * frame is larger fails at once with `too_large` instead of being sent (the server would close the socket).
   */
  maxHttpBufferSize?: number;
  /**
   * After a reconnect, fetch the messages missed while away with `sync` and deliver them to the `message`
   * handlers, each once (default true).
   */
  catchUp?: boolean;
  fetch?: typeof fetch;
};

export type ConnectionState =
  | { status: 'connected'; recovered: boolean }
  | { status: 'disconnected'; reason: string }
  | { status: 'refused'; code: string; message: string };
