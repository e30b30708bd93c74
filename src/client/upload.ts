import { ParleyError } from '../protocol/errors.js';
import type { Attachment } from '../protocol/types.js';
import { toParleyError } from './acks.js';

/** What `upload` takes: a browser File or Blob, or bytes (a Node Buffer is a Uint8Array). */
export type UploadBody = Blob | ArrayBuffer | Uint8Array;

export interface UploadTarget {
  url: string;
  namespace: string;
  userId: string | undefined;
  token: string | undefined;
  fetch: typeof fetch;
}

/**
 * POST /v1/uploads with the file as the raw body (SPEC §12). The server decides the kind from the bytes;
 * resolves with the attachment, rejects with the server's ParleyError (too_large, unsupported_type, …).
 */
export async function uploadFile(target: UploadTarget, file: UploadBody, signal?: AbortSignal): Promise<Attachment> {
  const params = new URLSearchParams({ namespace: target.namespace });
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.token !== undefined) headers.authorization = `Bearer ${target.token.replace(/^Bearer /, '')}`;
  else if (target.userId !== undefined) params.set('userId', target.userId);
  const declared = typeof Blob !== 'undefined' && file instanceof Blob ? file.type : '';
  headers['content-type'] = declared || 'application/octet-stream';
  let response: Response;
  try {
    response = await target.fetch(`${target.url}/v1/uploads?${params}`, {
      method: 'POST',
      headers,
      body: file as BodyInit,
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    throw new ParleyError('internal', `Upload failed: ${err instanceof Error ? err.message : String(err)}.`);
  }
  const body = (await response.json().catch(() => null)) as { success?: unknown; attachment?: unknown; error?: unknown } | null;
  if (response.status === 201 && body?.success === true) return body.attachment as Attachment;
  throw toParleyError(body?.error, `Upload failed with HTTP ${response.status}.`);
}
