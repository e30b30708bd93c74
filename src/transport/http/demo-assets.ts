import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

// <repo>/src/transport/http under a dev runner, <repo>/dist/transport/http when built: either way the bundle
// is <repo>/dist/browser/, made by `npm run build` (scripts/build.mjs).
const BUNDLE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../dist/browser/parley-client.js');

/**
 * The demo page's SDK at /sdk/client/index.js: the SDK bundled with socket.io-client ahead of time, so the
 * page runs the very code the SDK tests exercise and the server compiles nothing at run time.
 */
export async function registerDemoAssets(app: FastifyInstance, log: Logger): Promise<void> {
  let bundle: Promise<string | undefined> | undefined;
  const load = () =>
    readFile(BUNDLE, 'utf8').catch(() => {
      log.warn({ path: BUNDLE }, 'the demo page needs the SDK bundle: run `npm run build`');
      bundle = undefined; // look again on the next request: a build may be under way
      return undefined;
    });
  app.get('/sdk/client/index.js', { schema: { hide: true } }, async (_req, reply) => {
    const code = await (bundle ??= load());
    if (code === undefined) return reply.callNotFound();
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(code);
  });
}
