import type { z } from 'zod';
import { ParleyError } from '../protocol/errors.js';
import type { postMessageSchema, putRoomSchema } from '../protocol/platform-schemas.js';
import type { Message, Report, Room, RoomSummary } from '../protocol/types.js';
import type { PlatformMessage } from '../protocol/webhooks.js';
import { toParleyError } from './acks.js';
import type { RoomMember } from '../protocol/platform-view.js';

export interface PlatformClientOptions {
  /** The server's origin, e.g. `https://chat.example.com`. */
  url: string;
  /** One of the server's API_KEYS. */
  apiKey: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The body of `PUT …/rooms/{roomToken}`, as the server's schema reads it. */
export type PutRoomInput = z.input<typeof putRoomSchema>;

/**
 * The body of `POST …/rooms/{roomToken}/messages`: a member's message when `senderId` is given, else a
 * system message (which may carry `data`, a JSON object of at most 8 KiB, e.g. an order card).
 */
export type PostMessageInput = z.input<typeof postMessageSchema>;

export interface PlatformHistory {
  messages: PlatformMessage[];
  limit: number;
  nextCursor: string | null;
}

export interface Ban {
  namespace: string;
  userId: string;
  reason: string | null;
  until: string | null;
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  type: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

const seg = encodeURIComponent;

/**
 * The platform API for a marketplace's backend (server to server). Every call resolves with the answer's
 * `data`; an error answer rejects with a ParleyError (`code`, `message`, `status`).
 */
export class ParleyPlatformClient {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: PlatformClientOptions) {
    this.base = `${options.url.replace(/\/+$/, '')}/v1/platform`;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Creates the room, or finds it (`created: false`); `status: 'active'` (default) activates it. */
  async putRoom(namespace: string, roomToken: string, input: PutRoomInput): Promise<{ room: Room; created: boolean }> {
    const { data, status } = await this.call<{ room: Room }>('PUT', `/rooms/${seg(namespace)}/${seg(roomToken)}`, input);
    return { room: data.room, created: status === 201 };
  }

  getRoom(namespace: string, roomToken: string) {
    return this.data<{ room: Room; members: RoomMember[] }>('GET', `/rooms/${seg(namespace)}/${seg(roomToken)}`);
  }

  async userRooms(namespace: string, userId: string, limit?: number): Promise<RoomSummary[]> {
    const query = limit === undefined ? '' : `?limit=${limit}`;
    return (await this.data<{ rooms: RoomSummary[] }>('GET', `/users/${seg(namespace)}/${seg(userId)}/rooms${query}`)).rooms;
  }

  /** `created: false` when the clientMsgId was seen before (the original comes back). */
  async postMessage(namespace: string, roomToken: string, input: PostMessageInput): Promise<{ message: Message; created: boolean }> {
    const { data, status } = await this.call<{ message: Message }>('POST', `/rooms/${seg(namespace)}/${seg(roomToken)}/messages`, input);
    return { message: data.message, created: status === 201 };
  }

  history(namespace: string, roomToken: string, query: { before?: string; after?: string; limit?: number } = {}) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const qs = params.size > 0 ? `?${params}` : '';
    return this.data<PlatformHistory>('GET', `/rooms/${seg(namespace)}/${seg(roomToken)}/messages${qs}`);
  }

  async closeRoom(namespace: string, roomToken: string, reason?: string): Promise<Room> {
    const body = reason === undefined ? {} : { reason };
    return (await this.data<{ room: Room }>('POST', `/rooms/${seg(namespace)}/${seg(roomToken)}/close`, body)).room;
  }

  async ban(namespace: string, userId: string, input: { reason?: string; until?: string | Date } = {}): Promise<Ban> {
    const until = input.until instanceof Date ? input.until.toISOString() : input.until;
    const body = { ...(input.reason !== undefined ? { reason: input.reason } : {}), ...(until !== undefined ? { until } : {}) };
    return (await this.data<{ ban: Ban }>('PUT', `/users/${seg(namespace)}/${seg(userId)}/ban`, body)).ban;
  }

  unban(namespace: string, userId: string) {
    return this.data<{ lifted: boolean }>('DELETE', `/users/${seg(namespace)}/${seg(userId)}/ban`);
  }

  exportUser(namespace: string, userId: string) {
    return this.data<{ user: { userId: string; namespace: string }; rooms: Room[]; messages: Message[] }>(
      'GET',
      `/users/${seg(namespace)}/${seg(userId)}/export`,
    );
  }

  eraseUser(namespace: string, userId: string) {
    return this.data<{ erased: { messages: number; attachments: number } }>('DELETE', `/users/${seg(namespace)}/${seg(userId)}`);
  }

  async deliveries(query: { status?: WebhookDelivery['status']; limit?: number } = {}): Promise<WebhookDelivery[]> {
    const params = new URLSearchParams();
    if (query.status) params.set('status', query.status);
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    const qs = params.size > 0 ? `?${params}` : '';
    return (await this.data<{ deliveries: WebhookDelivery[] }>('GET', `/webhooks/deliveries${qs}`)).deliveries;
  }

  /** §13: the moderators' queue, oldest first. */
  async reports(query: { status?: Report['status']; limit?: number } = {}): Promise<Report[]> {
    const params = new URLSearchParams();
    if (query.status) params.set('status', query.status);
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    const qs = params.size > 0 ? `?${params}` : '';
    return (await this.data<{ reports: Report[] }>('GET', `/reports${qs}`)).reports;
  }

  async resolveReport(id: string, input: { action: 'dismiss' | 'delete-message' | 'ban-user'; note?: string }): Promise<Report> {
    return (await this.data<{ report: Report }>('POST', `/reports/${seg(id)}/resolve`, input)).report;
  }

  /** Attempts a failed delivery once, now; `invalid_payload` for a pending or delivered one. */
  async retryDelivery(id: string): Promise<WebhookDelivery> {
    return (await this.data<{ delivery: WebhookDelivery }>('POST', `/webhooks/deliveries/${seg(id)}/retry`)).delivery;
  }

  private async data<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.call<T>(method, path, body)).data;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<{ data: T; status: number }> {
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${this.options.apiKey}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new ParleyError('internal', `Platform request failed: ${err instanceof Error ? err.message : String(err)}.`);
    }
    const parsed = (await response.json().catch(() => null)) as { success?: unknown; data?: unknown; error?: unknown } | null;
    if (response.ok && parsed?.success === true) return { data: parsed.data as T, status: response.status };
    throw toParleyError(parsed?.error, `Platform request failed with HTTP ${response.status}.`);
  }
}
