import { ParleyError } from '../protocol/errors.js';
import { toParleyError } from './acks.js';
import type { CursorHistory, HistoryCursorQuery, HistoryPageQuery, PagedHistory } from './types.js';

export interface HistoryTarget {
  url: string;
  namespace: string;
  token: string | undefined;
  fetch: typeof fetch;
}

/** GET /v1/chat/ (SPEC §7, cursors of §9); a non-2xx answer rejects with its ParleyError. */
export async function fetchHistory(
  target: HistoryTarget,
  query: HistoryPageQuery | HistoryCursorQuery,
): Promise<PagedHistory | CursorHistory> {
  const params = new URLSearchParams({ roomToken: query.roomToken, namespace: target.namespace });
  for (const key of ['page', 'limit', 'before', 'after'] as const) {
    const value = (query as Partial<Record<typeof key, string | number>>)[key];
    if (value !== undefined) params.set(key, String(value));
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.token !== undefined) headers.authorization = `Bearer ${target.token.replace(/^Bearer /, '')}`;

  let response: Response;
  try {
    response = await target.fetch(`${target.url}/v1/chat/?${params}`, { headers });
  } catch (err) {
    throw new ParleyError('internal', `History request failed: ${err instanceof Error ? err.message : String(err)}.`);
  }
  const body = (await response.json().catch(() => null)) as { success?: unknown; data?: unknown; error?: unknown } | null;
  if (response.ok && body?.success === true) return body.data as PagedHistory | CursorHistory;
  throw toParleyError(body?.error, `History request failed with HTTP ${response.status}.`);
}
