import { io } from 'socket.io-client';
import { ClientEvent, PrivateNotice, ServerEvent, type ClientEventName, type PrivateNoticeName } from '../protocol/events.js';
import { ParleyError } from '../protocol/errors.js';
import type { Message } from '../protocol/types.js';
import { checkSize, closedError, emitOnce, newClientMsgId, toParleyError, unwrap, whenConnected } from './acks.js';
import { fetchHistory } from './history.js';
import { MessageFeed } from './message-feed.js';
import { uploadFile, type UploadBody } from './upload.js';
import type { Attachment } from '../protocol/types.js';
import type {
  ConnectionState,
  CursorHistory,
  DataOf,
  HistoryCursorQuery,
  HistoryPageQuery,
  NoticeOf,
  PagedHistory,
  ParleyClientOptions,
  ParleySocket,
  PayloadOf,
  ServerEventName,
  ServerPayloadOf,
} from './types.js';

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_SEND_ATTEMPTS = 3;
/** The server's default maxHttpBufferSize. */
const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

/** A typed Parley client for one user in one namespace. Every call resolves with its ack's `data`. */
export class ParleyClient {
  readonly socket: ParleySocket;
  readonly namespace: string;
  private readonly closed = new AbortController();
  private readonly ackTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxSendAttempts: number;
  private readonly maxPayloadBytes: number;
  private readonly feed: MessageFeed;
  private readonly catchUpErrors = new Set<(error: ParleyError) => void>();

  constructor(private readonly options: ParleyClientOptions) {
    this.namespace = options.namespace;
    this.ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxSendAttempts = Math.max(1, options.maxSendAttempts ?? DEFAULT_SEND_ATTEMPTS);
    this.maxPayloadBytes = options.maxHttpBufferSize ?? DEFAULT_MAX_PAYLOAD_BYTES;
    const identity = options.token !== undefined ? { auth: { token: options.token } } : { query: { userId: options.userId } };
    // forceNew: the user id travels with the engine connection, so clients must not share one.
    this.socket = io(`${baseUrl(options.url)}/${options.namespace}`, {
      transports: ['websocket'],
      forceNew: true,
      ...identity,
      ...options.socketOptions,
    });
    this.feed = new MessageFeed(
      (since) => this.request(ClientEvent.Sync, since === undefined ? {} : { since }),
      (error) => this.reportCatchUpError(error),
    );
    this.followMessages(options.catchUp ?? true);
  }

  /** The greatest message `_id` this client has seen (acks, `message` events, sync results). */
  get lastMessageId(): string | undefined {
    return this.feed.lastMessageId;
  }

  /** Resolves once connected; rejects with the server's ParleyError when the connection is refused. */
  ready(): Promise<void> {
    return whenConnected(this.socket, this.connectTimeoutMs, this.closed.signal);
  }

  joinRoom(payload: PayloadOf<typeof ClientEvent.JoinRoom>): Promise<DataOf<typeof ClientEvent.JoinRoom>> {
    return this.request(ClientEvent.JoinRoom, payload);
  }

  acceptRoom(payload: PayloadOf<typeof ClientEvent.AcceptRoom>): Promise<DataOf<typeof ClientEvent.AcceptRoom>> {
    return this.request(ClientEvent.AcceptRoom, payload);
  }

  /** Turns down a pending request sent to this user: the room is deleted for both members. */
  declineRoom(payload: PayloadOf<typeof ClientEvent.DeclineRoom>): Promise<DataOf<typeof ClientEvent.DeclineRoom>> {
    return this.request(ClientEvent.DeclineRoom, payload);
  }

  typing(payload: PayloadOf<typeof ClientEvent.Typing> = {}): Promise<DataOf<typeof ClientEvent.Typing>> {
    return this.request(ClientEvent.Typing, payload);
  }

  markRead(payload: PayloadOf<typeof ClientEvent.Read>): Promise<DataOf<typeof ClientEvent.Read>> {
    return this.request(ClientEvent.Read, payload);
  }

  async sync(payload: PayloadOf<typeof ClientEvent.Sync> = {}): Promise<DataOf<typeof ClientEvent.Sync>> {
    const result = await this.request(ClientEvent.Sync, payload);
    this.feed.observe(result.messages.map((m) => m._id));
    return result;
  }

  /** §13: replaces the text of one's own text message (within the edit window). */
  editMessage(payload: PayloadOf<typeof ClientEvent.EditMessage>): Promise<DataOf<typeof ClientEvent.EditMessage>> {
    return this.request(ClientEvent.EditMessage, payload);
  }

  /** §13: turns one's own message into a tombstone (idempotent). */
  deleteMessage(payload: PayloadOf<typeof ClientEvent.DeleteMessage>): Promise<DataOf<typeof ClientEvent.DeleteMessage>> {
    return this.request(ClientEvent.DeleteMessage, payload);
  }

  /** §13: adds (`on`, the default) or removes one's emoji reaction. */
  react(payload: PayloadOf<typeof ClientEvent.React>): Promise<DataOf<typeof ClientEvent.React>> {
    return this.request(ClientEvent.React, payload);
  }

  blockUser(userId: string): Promise<DataOf<typeof ClientEvent.BlockUser>> {
    return this.request(ClientEvent.BlockUser, { userId });
  }

  unblockUser(userId: string): Promise<DataOf<typeof ClientEvent.UnblockUser>> {
    return this.request(ClientEvent.UnblockUser, { userId });
  }

  /** §13: reports a room (or one message of it) to the marketplace's moderators. */
  report(payload: PayloadOf<typeof ClientEvent.Report>): Promise<DataOf<typeof ClientEvent.Report>> {
    return this.request(ClientEvent.Report, payload);
  }

  /**
   * Sends a message. Without a clientMsgId one is made, so when the ack is lost (a reconnect, a timeout)
   * the same message is sent again, at most `maxSendAttempts` times, and the server stores it once.
   */
  async send(payload: PayloadOf<typeof ClientEvent.Message>): Promise<DataOf<typeof ClientEvent.Message>> {
    const message = { ...payload, clientMsgId: payload.clientMsgId ?? newClientMsgId() };
    checkSize(this.namespace, ClientEvent.Message, message, this.maxPayloadBytes);
    let reason = 'no attempt';
    for (let attempt = 1; attempt <= this.maxSendAttempts; attempt += 1) {
      const waiting = this.connection();
      if (waiting) await waiting;
      const outcome = await emitOnce(this.socket, ClientEvent.Message, message, this.ackTimeoutMs);
      if (outcome.delivered) {
        const data = unwrap(outcome.response) as DataOf<typeof ClientEvent.Message>;
        this.feed.observe([data.message._id]);
        return data;
      }
      reason = outcome.reason;
    }
    if (this.closed.signal.aborted) throw closedError();
    throw new ParleyError(
      'internal',
      `No acknowledgement for message ${message.clientMsgId} after ${this.maxSendAttempts} attempts (${reason}).`,
    );
  }

  /** Chat history over HTTP: `page`/`limit`, or a `before`/`after` cursor (newest first either way). */
  history(query: HistoryPageQuery): Promise<PagedHistory>;
  history(query: HistoryCursorQuery): Promise<CursorHistory>;
  history(query: HistoryPageQuery | HistoryCursorQuery): Promise<PagedHistory | CursorHistory> {
    return fetchHistory(
      {
        url: baseUrl(this.options.url),
        namespace: this.namespace,
        token: this.options.token,
        fetch: this.options.fetch ?? globalThis.fetch.bind(globalThis),
      },
      query,
    );
  }

  /** Uploads a file (POST /v1/uploads); send it with `sendAttachment` or `send({ type, attachmentId })`. */
  upload(file: UploadBody, options: { signal?: AbortSignal } = {}): Promise<Attachment> {
    const fetchImpl = this.options.fetch ?? globalThis.fetch.bind(globalThis);
    const target = { url: baseUrl(this.options.url), namespace: this.namespace, userId: this.options.userId, token: this.options.token, fetch: fetchImpl };
    return uploadFile(target, file, options.signal);
  }

  /** Sends an uploaded file as a media message of its kind (the message's text is the file's URL). */
  sendAttachment(
    attachment: Pick<Attachment, 'id' | 'kind'>,
    payload: { roomToken?: string; clientMsgId?: string } = {},
  ): Promise<DataOf<typeof ClientEvent.Message>> {
    return this.send({ ...payload, type: attachment.kind, attachmentId: attachment.id });
  }

  /**
   * Listens to a server event; returns the function that stops listening. `message` handlers also get the
   * messages missed while disconnected (see `catchUp`), each once.
   */
  on<E extends ServerEventName>(event: E, handler: (payload: ServerPayloadOf<E>) => void): () => void {
    if (event === ServerEvent.Message) return this.feed.subscribe(handler as (message: Message) => void);
    const listener = handler as (...args: unknown[]) => void;
    const untyped = this.socket as unknown as { on(ev: string, l: typeof listener): void; off(ev: string, l: typeof listener): void };
    untyped.on(event, listener);
    return () => untyped.off(event, listener);
  }

  /** Listens to one kind of successful `private` notice (list-room, list-online-user, online, offline). */
  onNotice<N extends PrivateNoticeName>(notice: N, handler: (payload: NoticeOf<N>) => void): () => void {
    return this.on(ServerEvent.Private, (payload) => {
      if (payload.success && payload.event === notice) handler(payload as unknown as NoticeOf<N>);
    });
  }

  /**
   * Failures the server reported on `private` (events sent without an ack, a failed greeting), and a
   * catch-up after a reconnect that failed (event `sync`).
   */
  onFailure(handler: (event: string, error: ParleyError) => void): () => void {
    const onCatchUp = (error: ParleyError) => handler(ClientEvent.Sync, error);
    this.catchUpErrors.add(onCatchUp);
    const off = this.on(ServerEvent.Private, (payload) => {
      if (!payload.success) handler(payload.event, toParleyError(payload.error));
    });
    return () => {
      this.catchUpErrors.delete(onCatchUp);
      off();
    };
  }

  /** Connection changes: connected (again), disconnected (socket.io-client retries), refused (final). */
  onConnection(handler: (state: ConnectionState) => void): () => void {
    const onConnect = () => handler({ status: 'connected', recovered: this.socket.recovered === true });
    const onDisconnect = (reason: string) => handler({ status: 'disconnected', reason });
    const onError = (err: Error & { data?: unknown }) => {
      if (this.socket.active) return handler({ status: 'disconnected', reason: err.message });
      const { code, message } = toParleyError(err.data, err.message);
      handler({ status: 'refused', code, message });
    };
    this.socket.on('connect', onConnect);
    this.socket.on('disconnect', onDisconnect);
    this.socket.on('connect_error', onError);
    return () => {
      this.socket.off('connect', onConnect);
      this.socket.off('disconnect', onDisconnect);
      this.socket.off('connect_error', onError);
    };
  }

  /** Disconnects for good; calls still waiting reject with a ParleyError. */
  close(): void {
    this.closed.abort();
    this.socket.disconnect();
  }

  /** Settled already when connected, so a call made while connected hits the wire in the same tick. */
  private connection(): Promise<void> | undefined {
    if (this.socket.connected && !this.closed.signal.aborted) return undefined;
    return whenConnected(this.socket, this.connectTimeoutMs, this.closed.signal);
  }

  /** Live messages go through the feed; with catchUp, a reconnect syncs from the last `_id` seen. */
  private followMessages(catchUp: boolean): void {
    this.socket.on(ServerEvent.Message, (message) => this.feed.live(message));
    if (!catchUp) return;
    let connectedBefore = false;
    this.socket.on('connect', () => {
      if (connectedBefore) void this.feed.reconnected();
      connectedBefore = true;
    });
    this.socket.on('disconnect', () => this.feed.disconnected());
    // The first list-room anchors a client that has seen no message yet: its rooms' newest messages.
    this.socket.on(ServerEvent.Private, (payload) => {
      if (payload.success && payload.event === PrivateNotice.ListRoom) {
        this.feed.observe(payload.data.rooms.map((room) => room.lastMessage?._id));
      }
    });
  }

  private reportCatchUpError(error: unknown): void {
    const parleyError = error instanceof ParleyError ? error : toParleyError(error);
    for (const handler of [...this.catchUpErrors]) handler(parleyError);
  }

  private async request<E extends ClientEventName>(event: E, payload: PayloadOf<E>): Promise<DataOf<E>> {
    checkSize(this.namespace, event, payload, this.maxPayloadBytes);
    const waiting = this.connection();
    if (waiting) await waiting;
    const outcome = await emitOnce(this.socket, event, payload, this.ackTimeoutMs);
    if (!outcome.delivered) throw new ParleyError('internal', `No acknowledgement for "${event}" (${outcome.reason}).`);
    return unwrap(outcome.response) as DataOf<E>;
  }
}

function baseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

export function createParleyClient(options: ParleyClientOptions): ParleyClient {
  return new ParleyClient(options);
}
