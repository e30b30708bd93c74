/** Helpers for the upload tests: POST files over fetch or a raw node:http stream, read them back. */
import { request } from 'node:http';
import type { TestApp } from './test-app.js';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export async function upload(
  t: TestApp,
  body: Buffer | FormData,
  opts: { userId?: string; namespace?: string; headers?: Record<string, string>; query?: string } = {},
): Promise<Answer> {
  const params = new URLSearchParams();
  if (opts.namespace !== '') params.set('namespace', opts.namespace ?? 'customer');
  if (opts.userId !== '') params.set('userId', opts.userId ?? 'c1');
  const query = opts.query ?? params.toString();
  const res = await fetch(`${t.url}/v1/uploads?${query}`, {
    method: 'POST',
    body: body instanceof FormData ? body : new Uint8Array(body),
    headers: opts.headers ?? (body instanceof FormData ? {} : { 'content-type': 'application/octet-stream' }),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** A multipart form with the bytes as field `file` (declared type and name chosen by the caller). */
export function form(bytes: Buffer, type = 'application/octet-stream', name = 'upload.bin', field = 'file'): FormData {
  const data = new FormData();
  data.append(field, new Blob([new Uint8Array(bytes)], { type }), name);
  return data;
}

export async function download(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

export interface StreamedUpload {
  status: number | undefined;
  body: string;
  /** Bytes the client managed to hand to its socket before the server stopped it. */
  written: number;
}

/**
 * Streams `head` then zeros up to `total` bytes as a raw body over node:http (no Content-Length, chunked),
 * stopping when the server answers or closes. `abortAfter`: the client itself goes away after that many
 * bytes, once `whenSent` (if given) resolves.
 */
export function streamUpload(
  t: TestApp,
  head: Buffer,
  total: number,
  opts: { userId?: string; abortAfter?: number; whenSent?: () => Promise<void> } = {},
): Promise<StreamedUpload> {
  return new Promise((resolve) => {
    let written = 0;
    let stopped = false;
    let status: number | undefined;
    let body = '';
    const finish = () => {
      if (stopped) return;
      stopped = true;
      resolve({ status, body, written });
    };
    const req = request(`${t.url}/v1/uploads?namespace=customer&userId=${opts.userId ?? 'c1'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
    });
    req.on('response', (res) => {
      status = res.statusCode;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', finish);
      res.on('error', finish);
    });
    req.on('error', () => {
      if (status === undefined) setImmediate(finish);
    });
    req.on('close', () => {
      if (status === undefined) setImmediate(finish);
    });
    const chunk = Buffer.alloc(64 * 1024);
    const pump = async () => {
      req.write(head);
      written += head.length;
      while (!stopped && written < total && !req.destroyed) {
        if (opts.abortAfter !== undefined && written >= opts.abortAfter) {
          await opts.whenSent?.();
          req.destroy();
          return;
        }
        const ok = req.write(chunk);
        written += chunk.length;
        if (!ok) await drainedOrClosed(req);
      }
      if (!stopped && !req.destroyed) req.end();
    };
    void pump();
  });
}

function drainedOrClosed(req: ReturnType<typeof request>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      req.off('drain', done);
      req.off('close', done);
      resolve();
    };
    req.on('drain', done);
    req.on('close', done);
  });
}

/** The value of a Prometheus sample line (`name{labels} value`), or 0. */
export async function metric(t: TestApp, sample: string): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.split(' ')[1]) : 0;
}
