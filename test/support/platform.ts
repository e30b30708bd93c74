import { ParleyPlatformClient } from '../../src/client/server.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createTestApp, type TestApp } from './test-app.js';

export const API_KEY = 'test-platform-key-0123456789abcdef';
export const OLD_API_KEY = 'old-platform-key-0123456789abcdef';

export interface PlatformTestApp extends TestApp {
  api: ParleyPlatformClient;
  /** A raw request to /v1/platform/<path>: status and parsed body. */
  raw(method: string, path: string, body?: unknown, key?: string | null): Promise<{ status: number; body: any }>;
}

/** A test app with two platform API keys (API_KEY and OLD_API_KEY) and the typed platform client. */
export async function platformApp(overrides: Partial<ConfigInput> = {}, options: Parameters<typeof createTestApp>[1] = {}): Promise<PlatformTestApp> {
  const t = await createTestApp({ apiKeys: [API_KEY, OLD_API_KEY], ...overrides }, options);
  const api = new ParleyPlatformClient({ url: t.url, apiKey: API_KEY });
  return Object.assign(t, {
    api,
    async raw(method: string, path: string, body?: unknown, key: string | null = API_KEY) {
      const headers: Record<string, string> = {};
      if (key !== null) headers.authorization = `Bearer ${key}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${t.url}/v1/platform/${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
  });
}
